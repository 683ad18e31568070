"""Table 1 of the sparse-pixel study: Markdown, CSV and the sparsity-trend check."""
import csv
from typing import Dict, List

from .networks import ProbeNetwork

#: Columns of ``table1.csv``.
TABLE_COLUMNS = ('lambda', 'rmse_t', 'sparsity_t', 'rmse_c', 'sparsity_c', 'rmse_t_mask_c',
                 'rmse_c_mask_t')

def fmt_cell(value, digits: int = 3) -> str:
    """Table cell."""
    if value is None:
        return '-'
    if isinstance(value, str):
        return value
    return f'{value:.{digits}f}'

def format_table(rows: List[dict], networks: Dict[str, ProbeNetwork], threshold: float) -> str:
    """Table 1 as Markdown (T = the Transformer, C = the CNN).

    Args:
        rows (list[dict]): From :func:`summarize`.
        networks (dict[str, ProbeNetwork]): For the caption.
        threshold (float): Binarisation threshold (caption).

    Returns:
        str: A caption line and the Markdown table.
    """
    t, c = networks['transformer'].name, networks['cnn'].name
    head = ('| lambda | RMSE T | Sparsity T | RMSE C | Sparsity C | RMSE T on C mask (Eq. 7) | '
            'RMSE C on T mask (Eq. 8) |')
    lines = [head, '|' + '---|' * 7]
    for row in rows:
        lam = row['lambda'] if isinstance(row['lambda'], str) else f'{row["lambda"]:g}'
        lines.append('| ' + ' | '.join([lam] + [
            fmt_cell(row[k], 2 if k.startswith('sparsity') else 3) for k in TABLE_COLUMNS[1:]])
            + ' |')
    caption = (f'T = {t}, C = {c}. RMSE (m) of each network on the image masked by its own '
               f'probe\'s binarised mask (threshold {threshold:g}), sparsity = fraction of kept '
               'pixels, and each network on the other network\'s mask.')
    return caption + '\n\n' + '\n'.join(lines)

def check_sparsity_trend(rows: List[dict]) -> List[str]:
    """Problems with the expected trend: sparsity must fall as lambda grows (Table 1).

    Per network, the sparsity may not increase from one lambda to the next (a
    tolerance of 0.005 absorbs rounding) and must be lower at the largest lambda
    than at the smallest.

    Args:
        rows (list[dict]): From :func:`summarize` (the ``original`` row is ignored).

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
            if cur > prev + 0.005:
                problems.append(f'{net}: sparsity rises from {prev:.3f} to {cur:.3f} at '
                                f'lambda={row["lambda"]:g}')
        if not values[-1] < values[0]:
            problems.append(f'{net}: sparsity at lambda={lam_rows[-1]["lambda"]:g} '
                            f'({values[-1]:.3f}) is not below lambda={lam_rows[0]["lambda"]:g} '
                            f'({values[0]:.3f})')
    return problems

def write_csv(rows: List[dict], path: str) -> None:
    """Write ``table1.csv`` (empty cells for the undefined cross RMSEs of ``original``)."""
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=list(TABLE_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ('' if row[k] is None else row[k]) for k in TABLE_COLUMNS})
