"""The study's paired statistics, validated on cases whose answer is known."""
import numpy as np
import pytest

from mmdepth_dgr.analysis.dgr_study.stats import (
    mean_std,
    paired_bootstrap_ci,
    paired_comparison,
    per_image_matrix,
    verdict,
)


def test_mean_std_is_the_sample_std():
    mean, std = mean_std([1.0, 2.0, 4.0])
    assert mean == pytest.approx(7 / 3)
    assert std == pytest.approx(np.std([1.0, 2.0, 4.0], ddof=1))
    assert mean_std([3.0]) == (3.0, 0.0)


def test_bootstrap_of_a_constant_difference_is_that_constant():
    assert paired_bootstrap_ci(np.full(50, 0.25), n_boot=200) == pytest.approx((0.25, 0.25))
    with pytest.raises(ValueError, match='no paired difference'):
        paired_bootstrap_ci(np.array([]))


def test_bootstrap_interval_covers_the_mean_and_shrinks_with_more_images():
    rng = np.random.default_rng(1)
    small = paired_bootstrap_ci(rng.normal(1.0, 1.0, 20), n_boot=2000)
    large = paired_bootstrap_ci(rng.normal(1.0, 1.0, 2000), n_boot=2000)
    assert large[0] < 1.0 < large[1]
    assert large[1] - large[0] < (small[1] - small[0]) / 4


def _simulated_study(effect: float, rng: np.random.Generator, seeds: int = 3,
                     images: int = 64):
    """Reference and variant results with a planted effect: per-image difficulty shared by
    both, a seed offset (training noise) and per-image noise."""
    difficulty = rng.gamma(2.0, 0.05, images)
    ref = difficulty + rng.normal(0, 0.01, (seeds, 1)) + rng.normal(0, 0.02, (seeds, images))
    var = (difficulty + effect + rng.normal(0, 0.01, (seeds, 1))
           + rng.normal(0, 0.02, (seeds, images)))
    return var.mean(axis=1), ref.mean(axis=1), var.mean(axis=0), ref.mean(axis=0)


def test_a_planted_effect_is_found_with_its_sign():
    # 0.1 is 7 seed-noise standard deviations (sd of a per-seed difference: ~0.015): with 3
    # seeds the t-test (critical t = 4.3) then detects it nearly always; at half that effect
    # it misses about a third of the time, the price of 3 seeds.
    rng = np.random.default_rng(0)
    found = 0
    for _ in range(20):
        res = paired_comparison(*_simulated_study(-0.1, rng), n_boot=1000)
        found += verdict(res, lower_is_better=True) == 'better'
        assert res.diff_mean == pytest.approx(-0.1, abs=0.03)
    assert found >= 19
    res = paired_comparison(*_simulated_study(+0.1, rng), n_boot=1000)
    assert verdict(res, lower_is_better=True) == 'worse'
    assert verdict(res, lower_is_better=False) == 'better'


def test_no_effect_is_reported_as_no_difference_nearly_always():
    rng = np.random.default_rng(0)
    false_alarms = sum(
        paired_comparison(*_simulated_study(0.0, rng), n_boot=1000).larger_than_noise
        for _ in range(100))
    assert false_alarms <= 5  # both tests at 0.05 must reject: at most the level


def test_an_effect_inside_the_seed_noise_is_no_difference():
    # The image bootstrap alone would call this significant: every image moves the same way
    # within a seed, but the seeds disagree on the sign.
    var_seeds, ref_seeds = [0.30, 0.20, 0.31], [0.25, 0.25, 0.25]
    images = np.linspace(0.1, 0.4, 64)
    res = paired_comparison(var_seeds, ref_seeds, images + 0.02, images, n_boot=1000)
    assert res.ci_images[0] > 0
    assert not res.larger_than_noise
    assert verdict(res, lower_is_better=True) == 'no difference'


def test_paired_comparison_checks_pairing_and_drops_nan_images():
    with pytest.raises(ValueError, match='same >= 2 seeds'):
        paired_comparison([1.0, 2.0], [1.0], np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match='do not pair up'):
        paired_comparison([1.0, 2.0], [1.0, 2.0], np.zeros(3), np.zeros(4))
    res = paired_comparison([1.0, 1.1], [0.5, 0.55], np.array([1.0, np.nan, 1.0]),
                            np.array([0.0, 0.0, np.nan]), n_boot=100)
    assert res.ci_images == pytest.approx((1.0, 1.0))
    assert res.seed_diffs == pytest.approx((0.5, 0.55))


def test_a_metric_no_image_has_is_no_difference():
    nan_images = np.full(8, np.nan)
    res = paired_comparison([np.nan, np.nan], [np.nan, np.nan], nan_images, nan_images)
    assert not res.larger_than_noise and np.isnan(res.diff_mean)
    assert verdict(res, lower_is_better=True) == 'no difference'


def test_seeds_and_images_must_agree_on_the_side():
    # every seed says worse, every image says better (impossible from the same runs unless
    # the per-image NaN pattern differs): no verdict
    res = paired_comparison([0.30, 0.31, 0.32], [0.20, 0.20, 0.21],
                            np.linspace(0.1, 0.2, 16), np.linspace(0.2, 0.3, 16), n_boot=200)
    assert res.ci_images[1] < 0 < res.diff_mean and res.p_seeds < 0.05
    assert not res.larger_than_noise


def test_per_image_matrix_reads_values_and_names_missing_images():
    rows = [{'a': {'m': '1.5'}, 'b': {'m': ''}}, {'a': {'m': '2'}, 'b': {'m': '3'}}]
    out = per_image_matrix(rows, ['a', 'b'], 'm')
    assert out[0, 0] == 1.5 and np.isnan(out[0, 1]) and out[1].tolist() == [2.0, 3.0]
    with pytest.raises(KeyError, match="'c' missing"):
        per_image_matrix(rows, ['a', 'c'], 'm')
