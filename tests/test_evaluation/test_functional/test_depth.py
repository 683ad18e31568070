"""Depth metrics as functions: hand-computed values, crops, caps, median scaling, edge errors,
the probe's RMSE and gradient conventions."""
import numpy as np
import pytest

from mmdepth_dgr.evaluation import compute_depth_metrics, eval_crop_mask, evaluate_depth
from mmdepth_dgr.evaluation.functional import depth_rmse, gradient_magnitude


def test_hand_computed_values():
    gt = np.array([1.0, 2.0, 4.0])
    pred = np.array([1.1, 2.0, 3.0])
    m = compute_depth_metrics(gt, pred)
    # ratios max(gt/pred, pred/gt): 1.1, 1.0, 4/3 -> only the last is >= 1.25
    assert m['d1'] == pytest.approx(2 / 3)
    assert m['d2'] == pytest.approx(1.0) and m['d3'] == pytest.approx(1.0)
    assert m['abs_rel'] == pytest.approx((0.1 / 1 + 0 + 1 / 4) / 3)
    assert m['sq_rel'] == pytest.approx((0.01 / 1 + 0 + 1 / 4) / 3)
    assert m['rmse'] == pytest.approx(np.sqrt((0.01 + 0 + 1) / 3))
    e = [np.log(1.1), 0.0, np.log(0.75)]
    assert m['rmse_log'] == pytest.approx(np.sqrt(sum(x * x for x in e) / 3))
    assert m['log10'] == pytest.approx((np.log10(1.1) + 0 + abs(np.log10(0.75))) / 3)
    var = sum(x * x for x in e) / 3 - (sum(e) / 3) ** 2
    assert m['silog'] == pytest.approx(100 * np.sqrt(var))


def test_perfect_and_scaled_predictions():
    gt = np.random.default_rng(0).uniform(1, 9, (20, 30))
    assert compute_depth_metrics(gt, gt)['abs_rel'] == 0
    m = compute_depth_metrics(gt, gt * 2)
    assert m['silog'] == pytest.approx(0, abs=1e-6)  # scale invariant
    assert m['rmse_log'] == pytest.approx(np.log(2))
    assert m['d1'] == 0


def test_crop_masks():
    nyu = eval_crop_mask((480, 640), 'nyu')
    expected = np.zeros((480, 640), bool)
    expected[45:471, 41:601] = True
    assert np.array_equal(nyu, expected)
    garg = eval_crop_mask((375, 1242), 'garg')
    expected = np.zeros((375, 1242), bool)
    expected[int(0.40810811 * 375):int(0.99189189 * 375),
             int(0.03594771 * 1242):int(0.96405229 * 1242)] = True
    assert np.array_equal(garg, expected)
    eigen = eval_crop_mask((375, 1242), 'eigen')
    assert eigen[int(0.3324324 * 375), 100] and not eigen[int(0.3324324 * 375) - 1, 100]
    # a KB crop (top 23, left 13) sees the slice of the full-frame crop
    kb = eval_crop_mask((352, 1216), 'garg', uncropped_shape=(375, 1242), offset=(23, 13))
    assert np.array_equal(kb, garg[23:375, 13:1229])
    assert eval_crop_mask((4, 5), None).all()
    # scaled NYU crop for the small synthetic frames
    small = eval_crop_mask((120, 160), 'nyu')
    assert small[11:118, 10:150].all() and not small[10, 50] and not small[50, 9]


def test_caps_and_clipping():
    gt = np.array([[0.0, 0.5, 5.0, 12.0]])
    pred = np.array([[3.0, 0.0, np.inf, 3.0]])
    m = evaluate_depth(gt, pred, 1e-3, 10.0)
    # valid: gt 0.5 (pred clipped to 1e-3) and gt 5 (pred inf -> 10); 0 and 12 excluded
    assert m['n_valid'] == 2
    assert m['abs_rel'] == pytest.approx(((0.5 - 1e-3) / 0.5 + 1.0) / 2)
    assert evaluate_depth(np.zeros((2, 2)), np.ones((2, 2)), 1e-3, 10) is None


def test_median_scaling():
    gt = np.random.default_rng(2).uniform(1, 5, (10, 10))
    m = evaluate_depth(gt, gt * 3.7, 1e-3, 80, median_scaling=True)
    assert m['abs_rel'] == pytest.approx(0, abs=1e-9)


def test_depth_edge_mask_marks_jumps_not_slopes():
    from mmdepth_dgr.evaluation.functional import depth_edge_mask
    gt = np.tile(np.linspace(2.0, 3.0, 12), (8, 1))  # a smooth slope: no edge
    gt[:, 6:] += 2.0  # a 2 m step between columns 5 and 6
    valid = np.ones_like(gt, dtype=bool)
    edge = depth_edge_mask(gt, valid, rel_jump=0.1, band=0)
    assert edge[:, 5].all() and edge[:, 6].all() and edge.sum() == 16
    assert depth_edge_mask(gt, valid, band=1).sum() == 8 * 4
    valid[:, 6] = False  # a jump next to an invalid pixel is not an edge
    assert not depth_edge_mask(gt, valid, band=0)[:, 5].any()
    with pytest.raises(ValueError, match='rel_jump'):
        depth_edge_mask(gt, valid, rel_jump=0)


def test_gradient_magnitude_and_rmse_conventions():
    flat = np.full((6, 8, 3), 120, dtype=np.uint8)
    assert np.allclose(gradient_magnitude(flat), 0)
    step = np.zeros((6, 8), dtype=np.float64)
    step[:, 4:] = 1.0
    mag = gradient_magnitude(step)
    assert np.allclose(mag[:, [3, 4]], 4.0) and np.allclose(mag[:, [0, 1, 6, 7]], 0)

    gen = np.random.default_rng(0)
    gt = gen.uniform(1, 9, (48, 64))
    gt[0, 0] = 15.0  # beyond max_depth: excluded
    pred = gt + gen.normal(0, 0.3, gt.shape)
    kwargs = dict(min_depth=1e-3, max_depth=10.0, crop='nyu')
    assert depth_rmse(gt, pred, **kwargs) == pytest.approx(
        evaluate_depth(gt, pred, **kwargs)['rmse'])
    assert depth_rmse(np.zeros((4, 4)), np.ones((4, 4)), 1e-3, 10.0) is None


def test_edge_affinity_is_one_for_indifferent_masks_and_the_boundary_ratio_otherwise():
    from mmdepth_dgr.evaluation.functional import edge_affinity
    rng = np.random.default_rng(0)
    weight = rng.uniform(0, 1, (40, 50))
    assert edge_affinity(np.ones((40, 50), bool), weight) == pytest.approx(1.0)
    random_kept = rng.random((40, 50)) < 0.3
    assert edge_affinity(random_kept, weight) == pytest.approx(1.0, abs=0.05)
    top = weight > np.quantile(weight, 0.8)  # keeps the strongest fifth
    assert edge_affinity(top, weight) == pytest.approx(weight[top].mean() / weight.mean())
    assert edge_affinity(top, weight) > 1.6 and edge_affinity(~top, weight) < 1.0
    boundary = np.zeros((40, 50))
    boundary[:, 20] = 1.0  # 2% of the frame
    kept = np.zeros((40, 50), bool)
    kept[:, 18:23] = True  # 5 columns around it: 1/5 of the kept pixels on the boundary
    assert edge_affinity(kept, boundary) == pytest.approx((1 / 5) / (1 / 50))
    region = np.zeros((40, 50), bool)
    region[:, :25] = True
    # inside the left half: kept columns 18-22 (0.2 on the boundary), boundary 1/25 of it
    assert edge_affinity(kept, boundary, region) == pytest.approx(0.2 / (1 / 25))
    assert np.isnan(edge_affinity(np.zeros((40, 50), bool), weight))
    assert np.isnan(edge_affinity(kept, np.zeros((40, 50))))
    with pytest.raises(ValueError, match='same'):
        edge_affinity(kept, weight[:, :10])
    with pytest.raises(ValueError, match='non-negative'):
        edge_affinity(kept, -weight)
