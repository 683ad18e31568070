"""Medians and confidence intervals of repeated timings (cost benchmarks).

Timings of interleaved repetitions (:func:`~.benchmark_utils.time_interleaved`)
come in rounds, one call of each variant per round, so a variant's time and a
ratio between two variants are summarised per round: the ratio of round ``i``
is ``t_a[i] / t_b[i]`` (a paired ratio: load changes between rounds cancel).
The interval is a percentile bootstrap of the median (resampling the rounds
with replacement, a fixed seed so tables are reproducible). With ``n`` rounds
the bootstrap interval of a median cannot be wider than the range of the
samples; with fewer than 5 rounds it is close to meaningless, which is why the
benchmarks default to at least 5.
"""
import math
import statistics
from typing import NamedTuple, Sequence

import numpy as np


class Interval(NamedTuple):
    """A median and its confidence interval."""

    median: float
    low: float
    high: float
    n: int

    def fmt(self, unit: str = 's', digits: int = 3) -> str:
        """``median [low, high]`` with ``unit`` (``'s'``: ms below 1 s; ``'x'``: a ratio)."""
        if unit == 'x':
            return (f'{self.median:.{digits}g}x [{self.low:.{digits}g}, '
                    f'{self.high:.{digits}g}]')
        scale, name = (1e3, 'ms') if unit == 's' and self.high < 1 else (1.0, unit)
        return (f'{self.median * scale:.{digits}g} [{self.low * scale:.{digits}g}, '
                f'{self.high * scale:.{digits}g}] {name}')


def median_interval(samples: Sequence[float], confidence: float = 0.95, n_boot: int = 10000,
                    seed: int = 0) -> Interval:
    """Median of ``samples`` with a percentile-bootstrap confidence interval.

    Args:
        samples (Sequence[float]): One value per repetition (at least 1).
        confidence (float): Coverage of the interval. Defaults to 0.95.
        n_boot (int): Bootstrap resamples. Defaults to 10000.
        seed (int): Seed of the resampling. Defaults to 0.

    Returns:
        Interval: ``median``, ``low``, ``high`` and the number of samples.
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f'median_interval: need finite samples, got {list(samples)}')
    med = float(statistics.median(x.tolist()))
    if x.size == 1:
        return Interval(med, med, med, 1)
    rng = np.random.default_rng(seed)
    boots = np.median(x[rng.integers(0, x.size, size=(n_boot, x.size))], axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(boots, [alpha, 1 - alpha])
    return Interval(med, float(low), float(high), int(x.size))


def paired_ratio_interval(numerator: Sequence[float], denominator: Sequence[float],
                          confidence: float = 0.95, n_boot: int = 10000,
                          seed: int = 0) -> Interval:
    """Median and interval of the per-round ratios ``numerator[i] / denominator[i]``.

    Args:
        numerator (Sequence[float]): Times of the first variant, one per round.
        denominator (Sequence[float]): Times of the second, same rounds.
        confidence (float): Coverage. Defaults to 0.95.
        n_boot (int): Bootstrap resamples. Defaults to 10000.
        seed (int): Seed. Defaults to 0.

    Returns:
        Interval: Of the ratios.
    """
    if len(numerator) != len(denominator):
        raise ValueError('paired_ratio_interval: the two variants need the same rounds, got '
                         f'{len(numerator)} and {len(denominator)} samples')
    ratios = [n / max(d, 1e-12) for n, d in zip(numerator, denominator, strict=True)]
    return median_interval(ratios, confidence, n_boot, seed)


def relative_difference(value: float, reference: float) -> float:
    """``|value - reference| / |reference|`` (inf for a zero reference and nonzero value)."""
    if reference == 0:
        return 0.0 if value == 0 else math.inf
    return abs(value - reference) / abs(reference)


RESOLUTION = 0.01


def half_width(interval: Interval) -> float:
    """Largest distance from the median to an end of the interval."""
    return max(interval.median - interval.low, interval.high - interval.median)


def resolves(interval: Interval, resolution: float = RESOLUTION) -> bool:
    """Whether an interval of a ratio resolves ``resolution`` (both ends within +-it).

    Args:
        interval (Interval): E.g. of a paired step-time ratio or of a share.
        resolution (float): Half width allowed, in the ratio's units
            (0.01: one percentage point). Defaults to 0.01.

    Returns:
        bool: ``half_width(interval) <= resolution``.
    """
    return half_width(interval) <= resolution


def interval_dict(interval: Interval, resolution: float = RESOLUTION) -> dict:
    """JSON-friendly form of an interval of a ratio, with its ``resolved`` flag.

    Args:
        interval (Interval): The interval.
        resolution (float): See :func:`resolves`.

    Returns:
        dict: ``median``, ``low``, ``high``, ``n``, ``half_width``, ``resolved``.
    """
    return dict(median=interval.median, low=interval.low, high=interval.high, n=interval.n,
                half_width=half_width(interval), resolved=resolves(interval, resolution))


def fmt_pct_interval(interval: Interval, offset: float = 0.0) -> str:
    """``+1.23 % [+0.50, +2.10]`` of ``interval - offset`` (offset 1 turns a ratio into +%)."""
    m, lo, hi = (100 * (v - offset) for v in (interval.median, interval.low, interval.high))
    return f'{m:+.2f} % [{lo:+.2f}, {hi:+.2f}]'
