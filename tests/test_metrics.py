"""DepthEvalMetric: hand-computed values, mmseg's DepthMetric, crops, caps, dumps."""
import csv

import cv2
import numpy as np
import pytest
import torch
from mmseg.evaluation.metrics import DepthMetric

from mmdepth_dgr.evaluation import (
    DEPTH_METRICS,
    DepthEvalMetric,
    compute_depth_metrics,
    eval_crop_mask,
    evaluate_depth,
)


def _sample(pred, gt=None, **meta):
    out = dict(pred_depth_map=dict(data=torch.as_tensor(pred, dtype=torch.float32)[None]),
               img_path='/x/scene/rgb_0001.jpg', **meta)
    if gt is not None:
        out['gt_depth_map'] = dict(data=torch.as_tensor(gt, dtype=torch.float32)[None])
    return out


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


def test_agrees_with_mmseg_depth_metric():
    rng = np.random.default_rng(1)
    ours = DepthEvalMetric(min_depth_eval=1e-3, max_depth_eval=10.0, crop='nyu')
    ref = DepthMetric(min_depth_eval=1e-3, max_depth_eval=10.0, crop_type='nyu_crop')
    samples = []
    for _ in range(5):
        gt = rng.uniform(0.5, 9.5, (480, 640))
        gt[rng.random(gt.shape) < 0.1] = 0  # holes
        pred = np.clip(gt * rng.uniform(0.7, 1.3, gt.shape), 0.01, 9.99)
        samples.append(_sample(pred, gt))
    ours.process({}, samples)
    ref.process({}, samples)
    a = ours.compute_metrics(ours.results)
    b = ref.compute_metrics(ref.results)
    for key in ('abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10', 'd1', 'd2', 'd3'):
        assert a[key] == pytest.approx(b[key], abs=1e-6, rel=1e-6), key
    # silog differs on purpose: BTS prints 100*sqrt(var(e)), mmseg sqrt(mean e^2 - 0.5 mean^2)


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


@pytest.mark.parametrize('bad', ['kb', 'Garg', 'nyu_crop'])
def test_unknown_crop_is_named(bad):
    with pytest.raises(ValueError, match=f"unknown crop '{bad}'"):
        DepthEvalMetric(crop=bad)
    with pytest.raises(ValueError, match=f"unknown evaluation crop '{bad}'"):
        eval_crop_mask((10, 10), bad)


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


def test_skips_samples_without_ground_truth_and_dumps(tmp_path):
    metric = DepthEvalMetric(max_depth_eval=10, output_dir=str(tmp_path), depth_scale=1000)
    gt = np.full((8, 8), 2.0)
    metric.process({}, [
        _sample(gt * 1.1, gt, rel_img_path='scene_a/rgb_0001.jpg'),
        _sample(gt, None, rel_img_path='scene_b/rgb_0001.jpg'),
        _sample(gt, np.zeros((8, 8)), rel_img_path='scene_c/rgb_0001.jpg'),
    ])
    result = metric.compute_metrics(metric.results)
    assert set(result) == set(DEPTH_METRICS)
    assert result['abs_rel'] == pytest.approx(0.1)
    png = cv2.imread(str(tmp_path / 'scene_a__rgb_0001.png'), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16 and png[0, 0] == 2200
    assert (tmp_path / 'scene_b__rgb_0001.png').exists()  # inference-only samples are dumped
    with open(tmp_path / 'per_image_metrics.csv') as f:
        rows = list(csv.DictReader(f))
    assert [r['name'] for r in rows] == ['scene_a__rgb_0001']
    assert float(rows[0]['abs_rel']) == pytest.approx(0.1)


def test_no_evaluable_sample_is_an_error():
    metric = DepthEvalMetric()
    metric.process({}, [_sample(np.ones((4, 4)))])
    with pytest.raises(RuntimeError, match='no sample had valid ground truth'):
        metric.compute_metrics(metric.results)


def test_kb_cropped_samples_use_full_frame_crop():
    rng = np.random.default_rng(3)
    full_gt = rng.uniform(1, 70, (375, 1242))
    full_pred = full_gt * rng.uniform(0.8, 1.2, full_gt.shape)
    crop_gt, crop_pred = full_gt[23:, 13:1229], full_pred[23:, 13:1229]
    metric = DepthEvalMetric(max_depth_eval=80, crop='garg')
    metric.process({}, [_sample(crop_pred, crop_gt, uncropped_shape=(375, 1242),
                                kb_crop_offset=(23, 13))])
    ours = metric.compute_metrics(metric.results)
    ref = evaluate_depth(full_gt, full_pred, 1e-3, 80, crop='garg')
    for key in DEPTH_METRICS:
        assert ours[key] == pytest.approx(ref[key], rel=1e-9)


def test_bad_range_is_an_error():
    with pytest.raises(ValueError, match='min_depth_eval'):
        DepthEvalMetric(min_depth_eval=5, max_depth_eval=1)


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


def test_edge_errors_and_metric_option(tmp_path):
    from mmdepth_dgr.evaluation.functional import edge_depth_errors
    gt = np.full((8, 12), 2.0)
    gt[:, 6:] = 4.0
    blurred = gt.copy()
    blurred[:, 5:7] = 3.0  # boundary smeared over two columns
    errs = edge_depth_errors(gt, blurred, 1e-3, 10.0, band=0)
    assert errs['n_edge'] == 16
    assert errs['edge_abs_rel'] == pytest.approx((0.5 + 0.25) / 2)
    assert errs['edge_rmse'] == pytest.approx(1.0)
    assert edge_depth_errors(np.full((4, 4), 2.0), np.ones((4, 4)), 1e-3, 10.0) is None
    metric = DepthEvalMetric(max_depth_eval=10.0, edge_metrics=True, output_dir=str(tmp_path))
    flat = dict(pred_depth_map=dict(data=torch.ones(1, 8, 12)),
                gt_depth_map=dict(data=torch.full((1, 8, 12), 2.0)), img_path='flat.png')
    step = dict(pred_depth_map=dict(data=torch.from_numpy(blurred)[None]),
                gt_depth_map=dict(data=torch.from_numpy(gt)[None]), img_path='step.png')
    metric.process({}, [flat, step])
    res = metric.compute_metrics(metric.results)
    banded = edge_depth_errors(gt, blurred, 1e-3, 10.0)  # the metric's default band=1
    assert banded['n_edge'] == 32 and banded['edge_rmse'] == pytest.approx(np.sqrt(0.5))
    assert res['edge_rmse'] == pytest.approx(banded['edge_rmse'])  # flat image has no edge
    assert res['abs_rel'] == pytest.approx((0.5 + np.mean(np.abs(gt - blurred) / gt)) / 2)
    header = (tmp_path / 'per_image_metrics.csv').read_text().splitlines()[0]
    assert header.endswith('n_edge,edge_abs_rel,edge_rmse')
