"""The study's tables (Markdown, CSV) and its plot, from the per-image CSVs of the runs."""
import csv
import warnings
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

from mmdepth_dgr.evaluation.functional import (
    BOUNDARY_LOWER_BETTER,
    BOUNDARY_METRICS,
    DEPTH_METRICS,
)

from .runs import COMPARISONS, StudyRun
from .stats import PairedResult, mean_std, paired_comparison, per_image_matrix, verdict

#: Metrics where higher is better; every other one is an error (lower is better).
HIGHER_IS_BETTER = frozenset({'d1', 'd2', 'd3'}
                             | set(BOUNDARY_METRICS) - set(BOUNDARY_LOWER_BETTER))

#: The columns of the README's comparison table and of the plot.
KEY_METRICS = ('abs_rel', 'rmse', 'd1', 'dbe_acc', 'dbe_comp', 'boundary_f1',
               'spurious_jump_rate', 'smooth_log_grad_error')

#: Every metric the study reports, in table order.
STUDY_METRICS = tuple(DEPTH_METRICS) + tuple(BOUNDARY_METRICS)

#: Marks of the comparison table: better, worse, inside the noise.
MARKS = {'better': '(+)', 'worse': '(-)', 'no difference': '(=)'}


def read_per_image(path: Path) -> Dict[str, Dict[str, str]]:
    """Rows of a ``per_image_metrics.csv`` keyed by image name.

    Raises:
        FileNotFoundError: The file does not exist (named).
        ValueError: The file has no ``name`` column or no row.
    """
    if not path.is_file():
        raise FileNotFoundError(f'per-image metrics not found: {path} (run the study without '
                                '--report-only to make it)')
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.DictReader(f))
    if not rows or 'name' not in rows[0]:
        raise ValueError(f'{path}: no per-image rows with a name column')
    return {row['name']: row for row in rows}


def collect(runs: Sequence[StudyRun], metrics: Sequence[str] = STUDY_METRICS
            ) -> Tuple[List[str], Dict[str, Dict[str, np.ndarray]]]:
    """Per variant and metric, the (seeds, images) matrix of per-image values.

    Args:
        runs (Sequence[StudyRun]): Every run, as planned (same seeds for every variant).
        metrics (Sequence[str]): The metrics to read.

    Returns:
        tuple: The variant names in table order and ``{variant: {metric: matrix}}``; the
        images are those of the first run, sorted by name.

    Raises:
        KeyError: A metric is missing from the CSVs (e.g. the boundary metrics were off).
    """
    variants = list(dict.fromkeys(r.variant for r in runs))
    rows = {v: [read_per_image(r.per_image_csv) for r in runs if r.variant == v]
            for v in variants}
    first = rows[variants[0]][0]
    missing = [m for m in metrics if m not in next(iter(first.values()))]
    if missing:
        raise KeyError(f'metrics {missing} are not in {runs[0].per_image_csv}; test with '
                       'test_evaluator.boundary_metrics=True (the study does) or use --retest')
    names = sorted(first)
    return variants, {v: {m: per_image_matrix(rows[v], names, m) for m in metrics}
                      for v in variants}


def _nanmean(matrix: np.ndarray, axis: int) -> np.ndarray:
    """``np.nanmean`` that gives NaN for an all-NaN slice without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        return np.nanmean(matrix, axis=axis)


def seed_means(matrix: np.ndarray) -> np.ndarray:
    """Per seed, the metric averaged over the images that have it (as DepthEvalMetric does)."""
    return _nanmean(matrix, axis=1)


def compare_all(variants: Sequence[str], data: Dict[str, Dict[str, np.ndarray]],
                metrics: Sequence[str], n_boot: int = 10000
                ) -> List[Tuple[str, str, Dict[str, PairedResult]]]:
    """Run :func:`~.stats.paired_comparison` for every comparison whose variants were run."""
    results = []
    for variant, reference in COMPARISONS:
        if variant not in data or reference not in data:
            continue
        per_metric = {}
        for m in metrics:
            v, r = data[variant][m], data[reference][m]
            per_metric[m] = paired_comparison(seed_means(v), seed_means(r),
                                              _nanmean(v, axis=0), _nanmean(r, axis=0),
                                              n_boot=n_boot)
        results.append((variant, reference, per_metric))
    return results


def _fmt(value: float, digits: int = 4) -> str:
    return f'{value:.{digits}f}'


def summary_table(variants: Sequence[str], data: Dict[str, Dict[str, np.ndarray]],
                  metrics: Sequence[str]) -> str:
    """Markdown table: per variant, each metric's mean +- std over seeds."""
    lines = ['| variant | ' + ' | '.join(metrics) + ' |', '|---' * (len(metrics) + 1) + '|']
    for v in variants:
        cells = []
        for m in metrics:
            mean, std = mean_std(seed_means(data[v][m]))
            cells.append(f'{_fmt(mean)} ± {_fmt(std)}')
        lines.append(f'| {v} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def comparison_table(comparisons: Sequence[Tuple[str, str, Dict[str, PairedResult]]],
                     metrics: Sequence[str]) -> str:
    """Markdown table: per comparison, each metric's mean per-seed difference +- std and mark.

    The mark is :data:`MARKS` of :func:`~.stats.verdict`: ``(+)`` better, ``(-)`` worse,
    ``(=)`` inside the noise.
    """
    lines = ['| variant vs reference | ' + ' | '.join(metrics) + ' |',
             '|---' * (len(metrics) + 1) + '|']
    for variant, reference, per_metric in comparisons:
        cells = []
        for m in metrics:
            res = per_metric[m]
            mark = MARKS[verdict(res, m not in HIGHER_IS_BETTER)]
            cells.append(f'{res.diff_mean:+.4f} ± {res.diff_std:.4f} {mark}')
        lines.append(f'| {variant} vs {reference} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def write_comparisons_csv(path: Path,
                          comparisons: Sequence[Tuple[str, str, Dict[str, PairedResult]]]
                          ) -> None:
    """Every paired number (per-seed differences, p-values, bootstrap interval) as CSV."""
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['variant', 'reference', 'metric', 'diff_mean', 'diff_std',
                         'seed_diffs', 'p_seeds_ttest', 'ci_images_low', 'ci_images_high',
                         'p_images_wilcoxon', 'verdict'])
        for variant, reference, per_metric in comparisons:
            for m, res in per_metric.items():
                writer.writerow([variant, reference, m, f'{res.diff_mean:.6g}',
                                 f'{res.diff_std:.6g}',
                                 ' '.join(f'{d:.6g}' for d in res.seed_diffs),
                                 f'{res.p_seeds:.4g}', f'{res.ci_images[0]:.6g}',
                                 f'{res.ci_images[1]:.6g}', f'{res.p_images:.4g}',
                                 verdict(res, m not in HIGHER_IS_BETTER)])


def write_summary_csv(path: Path, variants: Sequence[str],
                      data: Dict[str, Dict[str, np.ndarray]], metrics: Sequence[str]) -> None:
    """Per variant, metric and seed, the image-averaged value (long format)."""
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['variant', 'metric', 'seed_index', 'value'])
        for v in variants:
            for m in metrics:
                for s, value in enumerate(seed_means(data[v][m])):
                    writer.writerow([v, m, s, f'{value:.6g}'])


def plot_differences(path: Path,
                     comparisons: Sequence[Tuple[str, str, Dict[str, PairedResult]]],
                     metrics: Sequence[str] = KEY_METRICS) -> None:
    """One panel per metric: each comparison's mean per-seed difference +- std, the seeds as dots.

    Green: better beyond the noise, red: worse beyond the noise, grey: inside the noise.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    colours = {'better': 'tab:green', 'worse': 'tab:red', 'no difference': 'tab:gray'}
    cols = 4
    rows = -(-len(metrics) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 0.45 * len(comparisons) * rows
                                                  + 1.2 * rows), squeeze=False)
    labels = [f'{v} vs {r}' for v, r, _ in comparisons]
    ys = np.arange(len(comparisons))[::-1]
    for ax, m in zip(axes.ravel(), metrics, strict=False):
        for y, (_, _, per_metric) in zip(ys, comparisons, strict=True):
            res = per_metric[m]
            colour = colours[verdict(res, m not in HIGHER_IS_BETTER)]
            ax.errorbar(res.diff_mean, y, xerr=res.diff_std, fmt='o', color=colour, capsize=3)
            ax.plot(res.seed_diffs, [y] * len(res.seed_diffs), '.', color=colour, alpha=0.5)
        ax.axvline(0.0, color='black', lw=0.8)
        better = 'higher' if m in HIGHER_IS_BETTER else 'lower'
        ax.set_title(f'{m} (difference; {better} is better)', fontsize=9)
        ax.set_yticks(ys)
        ax.set_yticklabels(labels if ax in axes[:, 0] else [], fontsize=8)
        ax.tick_params(axis='x', labelsize=8)
    for ax in axes.ravel()[len(metrics):]:
        ax.axis('off')
    fig.suptitle('Paired differences, mean over seeds +- std (dots: seeds); green/red: beyond '
                 'the noise, grey: inside it', fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(runs: Sequence[StudyRun], out_dir: Path, n_boot: int = 10000) -> str:
    """Tables and plot of a finished study into ``out_dir``; returns the Markdown.

    Files: ``table.md`` (the two tables), ``summary.csv``, ``comparisons.csv``,
    ``differences.png``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    variants, data = collect(runs)
    comparisons = compare_all(variants, data, STUDY_METRICS, n_boot=n_boot)
    seeds = sorted({r.seed for r in runs})
    n_images = next(iter(data[variants[0]].values())).shape[1]
    text = (f'Seeds {seeds}, {n_images} test images; mean ± std over seeds.\n\n'
            + summary_table(variants, data, KEY_METRICS)
            + '\nPaired differences (variant - reference), mean ± std over seeds; (+) better, '
            '(-) worse beyond the noise (seed t-test p < 0.05 and the bootstrap 95% interval '
            'over test images excludes 0), (=) inside the noise.\n\n'
            + comparison_table(comparisons, KEY_METRICS)
            + '\nAll nine standard numbers:\n\n'
            + summary_table(variants, data, DEPTH_METRICS))
    (out_dir / 'table.md').write_text(text, encoding='utf-8')
    write_summary_csv(out_dir / 'summary.csv', variants, data, STUDY_METRICS)
    write_comparisons_csv(out_dir / 'comparisons.csv', comparisons)
    plot_differences(out_dir / 'differences.png', comparisons)
    return text
