"""Paired statistics of the study: seeds for the training noise, test images for the test-set noise.

A variant and its reference are trained with the same seeds (same data order and augmentation)
and tested on the same images, so both comparisons are paired:

* over seeds: ``d_s = m(variant, s) - m(reference, s)`` of the image-averaged metric ``m``,
  mean +- sample std and a paired t-test (``scipy.stats.ttest_rel``; with 3 seeds it only
  passes for differences that are large against their seed-to-seed spread);
* over test images: per image, the metric averaged over the seeds, then the paired bootstrap
  (resampling images) 95% interval of the mean difference and a Wilcoxon signed-rank test.

A difference is called *larger than the noise* only when the seed t-test has p < ``alpha``
and the image bootstrap interval excludes 0 on the same side as the mean per-seed difference;
otherwise it is reported as no difference, whatever its sign. The Wilcoxon p-value is written
for readers (``comparisons.csv``) and takes no part in the verdict. The study makes about a
hundred such comparisons without a multiple-comparison correction: requiring both the seed and
the image test keeps chance findings rare (see ``tests/test_analysis/test_dgr_study``), not
impossible.
"""
from dataclasses import dataclass
from typing import Dict, Sequence, Tuple

import numpy as np
from scipy import stats


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``; 0 for a single value).

    Args:
        values (Sequence[float]): E.g. one metric of one variant, one value per seed.

    Returns:
        tuple[float, float]: ``(mean, std)``.
    """
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def paired_bootstrap_ci(diff: np.ndarray, n_boot: int = 10000, alpha: float = 0.05,
                        seed: int = 0) -> Tuple[float, float]:
    """Percentile bootstrap interval of the mean of paired differences.

    Args:
        diff (np.ndarray): (N,) per-item differences (variant - reference), e.g. per test image.
        n_boot (int): Bootstrap resamples.
        alpha (float): 1 - confidence level.
        seed (int): Resampling seed (the interval is reproducible).

    Returns:
        tuple[float, float]: ``(low, high)``.

    Raises:
        ValueError: No difference is given.
    """
    diff = np.asarray(diff, dtype=np.float64).ravel()
    if diff.size == 0:
        raise ValueError('no paired difference to bootstrap')
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, diff.size, size=(n_boot, diff.size))].mean(axis=1)
    low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def _p_value(test, *args) -> float:
    """A scipy test's p-value, 1.0 where the test is undefined (all differences zero)."""
    with np.errstate(all='ignore'):
        try:
            p = float(test(*args).pvalue)
        except ValueError:
            return 1.0
    return 1.0 if np.isnan(p) else p


@dataclass(frozen=True)
class PairedResult:
    """One metric of one variant against its reference.

    Attributes:
        diff_mean (float): Mean over seeds of ``m(variant) - m(reference)``.
        diff_std (float): Sample std of those per-seed differences.
        seed_diffs (tuple[float, ...]): The per-seed differences.
        p_seeds (float): Paired t-test over seeds.
        ci_images (tuple[float, float]): Bootstrap 95% interval of the mean per-image difference.
        p_images (float): Wilcoxon signed-rank test over images.
        larger_than_noise (bool): The seed t-test rejects equality at ``alpha`` and the
            image interval excludes 0 on the side of ``diff_mean``.
    """

    diff_mean: float
    diff_std: float
    seed_diffs: Tuple[float, ...]
    p_seeds: float
    ci_images: Tuple[float, float]
    p_images: float
    larger_than_noise: bool


def paired_comparison(variant_seeds: Sequence[float], reference_seeds: Sequence[float],
                      variant_images: np.ndarray, reference_images: np.ndarray,
                      alpha: float = 0.05, n_boot: int = 10000) -> PairedResult:
    """Compare one metric of a variant with its reference, paired by seed and by test image.

    Args:
        variant_seeds (Sequence[float]): The variant's image-averaged metric, one per seed.
        reference_seeds (Sequence[float]): The reference's, same seeds in the same order.
        variant_images (np.ndarray): (N,) the variant's metric per test image, averaged over
            seeds (NaN where an image has no value, e.g. no GT edge: such images are dropped).
        reference_images (np.ndarray): (N,) the reference's, same images in the same order.
        alpha (float): Test level.
        n_boot (int): Bootstrap resamples.

    Returns:
        PairedResult: The numbers and the verdict.

    Raises:
        ValueError: The seeds or images do not pair up.
    """
    v = np.asarray(variant_seeds, dtype=np.float64)
    r = np.asarray(reference_seeds, dtype=np.float64)
    if v.shape != r.shape or v.size < 2:
        raise ValueError(f'need the same >= 2 seeds for both, got {v.size} and {r.size}')
    vi = np.asarray(variant_images, dtype=np.float64)
    ri = np.asarray(reference_images, dtype=np.float64)
    if vi.shape != ri.shape:
        raise ValueError(f'per-image values do not pair up: {vi.shape} vs {ri.shape}')
    keep = np.isfinite(vi) & np.isfinite(ri)
    image_diff = vi[keep] - ri[keep]
    seed_diff = v - r
    if not (np.isfinite(seed_diff).all() and image_diff.size):
        # the metric exists for no image (e.g. no GT edge anywhere): nothing to compare
        nan = float('nan')
        return PairedResult(nan, nan, tuple(float(x) for x in seed_diff), 1.0, (nan, nan),
                            1.0, False)
    d_mean, d_std = mean_std(seed_diff)
    p_seeds = _p_value(stats.ttest_rel, v, r)
    ci = paired_bootstrap_ci(image_diff, n_boot=n_boot, alpha=alpha)
    p_images = _p_value(stats.wilcoxon, image_diff)
    same_side = (ci[0] > 0 and d_mean > 0) or (ci[1] < 0 and d_mean < 0)
    larger = bool(p_seeds < alpha and same_side)
    return PairedResult(d_mean, d_std, tuple(float(x) for x in seed_diff), p_seeds, ci,
                        p_images, larger)


def verdict(result: PairedResult, lower_is_better: bool) -> str:
    """``'better'``, ``'worse'`` or ``'no difference'`` (inside the noise).

    Args:
        result (PairedResult): From :func:`paired_comparison`.
        lower_is_better (bool): The metric's direction.

    Returns:
        str: The word.
    """
    if not result.larger_than_noise:
        return 'no difference'
    improved = result.diff_mean < 0 if lower_is_better else result.diff_mean > 0
    return 'better' if improved else 'worse'


def per_image_matrix(rows_by_seed: Sequence[Dict[str, Dict[str, float]]], names: Sequence[str],
                     metric: str) -> np.ndarray:
    """(seeds, images) values of one metric, NaN where a row lacks it.

    Args:
        rows_by_seed (Sequence[dict]): Per seed, image name -> that image's metrics.
        names (Sequence[str]): The image names, in the order wanted.
        metric (str): The metric.

    Returns:
        np.ndarray: The matrix.

    Raises:
        KeyError: An image is missing from a seed's rows (the runs saw other test sets).
    """
    out = np.full((len(rows_by_seed), len(names)), np.nan)
    for s, rows in enumerate(rows_by_seed):
        for i, name in enumerate(names):
            if name not in rows:
                raise KeyError(f'test image {name!r} missing from the per-image metrics of '
                               f'seed index {s}: the runs were tested on different images')
            value = rows[name].get(metric)
            if value is not None and value != '':
                out[s, i] = float(value)
    return out
