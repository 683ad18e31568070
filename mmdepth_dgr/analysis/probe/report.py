"""Table 1 of the sparse-pixel study: Markdown, CSV and the sparsity-trend check."""
import csv
from typing import Dict, List, Tuple

from .networks import ProbeNetwork

#: Mean columns of ``table1.csv`` (T = Transformer, C = CNN; see
#: :func:`~mmdepth_dgr.analysis.probe.evaluation.evaluate_probe_pair`).
TABLE_COLUMNS = ('lambda', 'lambda_t', 'lambda_c', 'rmse_t', 'sparsity_t', 'rmse_c', 'sparsity_c',
                 'rmse_t_mask_c', 'rmse_c_mask_t', 'soft_mean_t', 'soft_std_t', 'soft_mean_c',
                 'soft_std_c', 'matched_sparsity', 'rmse_t_m', 'rmse_t_mask_c_m', 'rmse_c_m',
                 'rmse_c_mask_t_m', 'edge_affinity_t', 'edge_affinity_c', 'boundary_affinity_t',
                 'boundary_affinity_c')
#: Columns whose spread over the test images is also written (``<column>_std``).
SPREAD_COLUMNS = ('edge_affinity_t', 'edge_affinity_c', 'boundary_affinity_t',
                  'boundary_affinity_c')
#: All columns of ``table1.csv``.
CSV_COLUMNS = TABLE_COLUMNS + tuple(f'{c}_std' for c in SPREAD_COLUMNS)
#: The operating-range check: binarised sparsity strictly inside this interval ...
SELECTIVE_RANGE = (0.1, 0.9)
#: ... for at least this many lambdas per network.
MIN_SELECTIVE_ROWS = 3


def setting_tag(relative: bool) -> str:
    """File-name tag of a row's setting: ``'gapx'`` for removal-gap factors, else ``'lambda'``.

    Args:
        relative (bool): The settings are factors of each network's removal gap.

    Returns:
        str: The tag (run folders ``<key>_<tag><value>``, panels ``..._<tag><value>.png``).
    """
    return 'gapx' if relative else 'lambda'


def fmt_cell(value, digits: int = 3) -> str:
    """Table cell."""
    if value is None:
        return '-'
    if isinstance(value, str):
        return value
    return f'{value:.{digits}f}'

def _lambda_cell(row: dict) -> str:
    return row['lambda'] if isinstance(row['lambda'], str) else f'{row["lambda"]:g}'


def _markdown(header: List[str], cells: List[List[str]]) -> List[str]:
    return ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)] + [
        '| ' + ' | '.join(c) + ' |' for c in cells]


def _pm(row: dict, key: str) -> str:
    """``mean +- std`` cell of a spread column."""
    if row.get(key) is None:
        return '-'
    std = row.get(f'{key}_std')
    return fmt_cell(row[key], 2) + ('' if std is None else f' +- {std:.2f}')


def format_table(rows: List[dict], networks: Dict[str, ProbeNetwork], threshold: float,
                 relative: bool = False) -> str:
    """Table 1 as Markdown (T = the Transformer, C = the CNN), then the matched-sparsity
    cross-evaluation and the edge affinities.

    Args:
        rows (list[dict]): From :func:`summarize`.
        networks (dict[str, ProbeNetwork]): For the caption.
        threshold (float): Binarisation threshold (caption).
        relative (bool): The rows' ``lambda`` is a factor of each network's removal gap
            (``lambda_t``/``lambda_c`` the values used) rather than one lambda for both.

    Returns:
        str: Three captioned Markdown tables.
    """
    t, c = networks['transformer'].name, networks['cnn'].name
    setting = 'lambda / removal gap' if relative else 'lambda'
    lam_rows = [r for r in rows if not isinstance(r['lambda'], str)]
    main = []
    for row in rows:
        main.append([_lambda_cell(row), fmt_cell(row.get('lambda_t')),
                     fmt_cell(row.get('lambda_c'))] + [
            fmt_cell(row.get(k), 2 if k.startswith(('sparsity', 'soft')) else 3)
            for k in ('rmse_t', 'sparsity_t', 'soft_mean_t', 'rmse_c', 'sparsity_c',
                      'soft_mean_c', 'rmse_t_mask_c', 'rmse_c_mask_t')])
    part1 = _markdown([setting, 'lambda T', 'lambda C', 'RMSE T', 'Sparsity T', 'soft mean T',
                       'RMSE C', 'Sparsity C', 'soft mean C', 'RMSE T on C mask (Eq. 7)',
                       'RMSE C on T mask (Eq. 8)'], main)
    cap1 = (f'T = {t}, C = {c}. RMSE (m) of each network on the image masked by its own '
            f'probe\'s binarised mask (threshold {threshold:g}), sparsity = fraction of kept '
            'pixels, soft mean = mean of G(I) before binarisation, and each network on the '
            'other network\'s mask; `removed`: every pixel removed.')
    matched = [[_lambda_cell(r), fmt_cell(r.get('matched_sparsity'), 2)] + [
        fmt_cell(r.get(k)) for k in ('rmse_t_m', 'rmse_t_mask_c_m', 'rmse_c_m',
                                     'rmse_c_mask_t_m')] for r in lam_rows]
    part2 = _markdown([setting, 'matched sparsity', 'RMSE T on T mask', 'RMSE T on C mask',
                       'RMSE C on C mask', 'RMSE C on T mask'], matched)
    cap2 = ('Cross-evaluation at matched sparsity (Eq. 7-8): per image, both soft masks '
            'binarised by rank at the same fraction of kept pixels (the mean of the two '
            'thresholded sparsities at the network input), so own and other masks keep equally '
            'many pixels.')
    affinity = [[_lambda_cell(r)] + [_pm(r, k) for k in SPREAD_COLUMNS] for r in lam_rows]
    part3 = _markdown([setting, 'edge affinity T', 'edge affinity C', 'boundary affinity T',
                       'boundary affinity C'], affinity)
    cap3 = ('Edge affinity (Fig. 3 as a number): mean image-gradient magnitude on the kept '
            'pixels over its mean on all pixels; boundary affinity: the same with the GT '
            'depth-boundary map (fraction of kept pixels on boundaries over the boundary '
            'fraction). 1 = indifferent; mean +- std over test images.')
    return '\n\n'.join([cap1, '\n'.join(part1), cap2, '\n'.join(part2), cap3,
                         '\n'.join(part3)])


def check_operating_range(rows: List[dict], min_rows: int = MIN_SELECTIVE_ROWS,
                          selective: Tuple[float, float] = SELECTIVE_RANGE) -> List[str]:
    """Problems with the probes' operating range (the probe job's acceptance).

    For each network, at least ``min_rows`` lambdas must give a binarised sparsity strictly
    inside ``selective`` *and* an RMSE strictly between the full-image RMSE (``original``
    row) and the all-removed RMSE (``removed`` row): masks that keep some pixels, and keep
    ones that matter.

    Args:
        rows (list[dict]): Table rows (from :func:`summarize` or :func:`read_csv`).
        min_rows (int): Lambdas needed per network.
        selective (tuple[float, float]): Open sparsity interval.

    Returns:
        list[str]: Human-readable problems; empty when the range holds.
    """
    by_label = {r['lambda']: r for r in rows if isinstance(r['lambda'], str)}
    missing = [k for k in ('original', 'removed') if k not in by_label]
    if missing:
        return [f'no {" / ".join(missing)} row in the table']
    low, high = selective
    problems = []
    for suffix, net in (('t', 'Transformer'), ('c', 'CNN')):
        full, removed = by_label['original'][f'rmse_{suffix}'], by_label['removed'][
            f'rmse_{suffix}']
        if full is None or removed is None:
            problems.append(f'{net}: no full-image or all-removed RMSE')
            continue
        good = [r['lambda'] for r in rows if not isinstance(r['lambda'], str)
                and r[f'sparsity_{suffix}'] is not None and r[f'rmse_{suffix}'] is not None
                and low < r[f'sparsity_{suffix}'] < high
                and min(full, removed) < r[f'rmse_{suffix}'] < max(full, removed)]
        if len(good) < min_rows:
            problems.append(f'{net}: {len(good)} lambda(s) ({", ".join(f"{v:g}" for v in good)})'
                            f' with sparsity in ({low:g}, {high:g}) and RMSE between full '
                            f'({full:.3f}) and removed ({removed:.3f}); need {min_rows}')
    return problems


#: Largest rise of the sparsity from one lambda to the next that :func:`check_sparsity_trend`
#: takes for noise: each lambda's probe is an independent stochastic training run, and three
#: seeds of a probe-job ResNet-50 probe at one lambda (factor 0.4) gave sparsities 0.16, 0.19
#: and 0.23 (std 0.03), so the difference of two independent runs has a std of about
#: 0.03 * sqrt(2) = 0.042; the tolerance is two of those.
TREND_TOLERANCE = 0.085


def check_sparsity_trend(rows: List[dict], tolerance: float = TREND_TOLERANCE) -> List[str]:
    """Problems with the expected trend: sparsity must fall as lambda grows (Table 1).

    Per network, the sparsity may not increase from one lambda to the next by more than
    ``tolerance`` (run-to-run noise, :data:`TREND_TOLERANCE`) and must be lower at the
    largest lambda than at the smallest.

    Args:
        rows (list[dict]): From :func:`summarize` (the ``original`` / ``removed`` rows
            are ignored).
        tolerance (float): Allowed rise between neighbouring lambdas.

    Returns:
        list[str]: Human-readable violations; empty when the trend holds.
    """
    lam_rows = sorted((r for r in rows if not isinstance(r['lambda'], str)),
                      key=lambda r: r['lambda'])
    problems = []
    if len(lam_rows) < 2:
        return ['need at least two lambdas to check the trend']
    for suffix, net in (('t', 'Transformer'), ('c', 'CNN')):
        values = [r[f'sparsity_{suffix}'] for r in lam_rows]
        for prev, cur, row in zip(values, values[1:], lam_rows[1:], strict=False):
            if cur > prev + tolerance:
                problems.append(f'{net}: sparsity rises from {prev:.3f} to {cur:.3f} at '
                                f'lambda={row["lambda"]:g}')
        if not values[-1] < values[0]:
            problems.append(f'{net}: sparsity at lambda={lam_rows[-1]["lambda"]:g} '
                            f'({values[-1]:.3f}) is not below lambda={lam_rows[0]["lambda"]:g} '
                            f'({values[0]:.3f})')
    return problems

def write_csv(rows: List[dict], path: str) -> None:
    """Write ``table1.csv`` (:data:`CSV_COLUMNS`; empty cells for undefined values).

    Args:
        rows (list[dict]): Table rows (from :func:`summarize`).
        path (str): Output file.
    """
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ('' if row.get(k) is None else row[k]) for k in CSV_COLUMNS})


def read_csv(path: str) -> List[dict]:
    """Read a ``table1.csv`` back: numbers as floats, empty cells as None, labels as str.

    Args:
        path (str): A file written by :func:`write_csv`.

    Returns:
        list[dict]: One dict per row, keyed by the CSV header.

    Raises:
        KeyError: The file lacks a column of :data:`TABLE_COLUMNS` (naming the file).
    """
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        absent = [c for c in TABLE_COLUMNS if c not in (reader.fieldnames or [])]
        if absent:
            raise KeyError(f'{path}: missing columns {absent}')
        rows = []
        for raw in reader:
            row = {}
            for key, value in raw.items():
                if value == '':
                    row[key] = None
                else:
                    try:
                        row[key] = float(value)
                    except ValueError:
                        row[key] = value
            rows.append(row)
    return rows
