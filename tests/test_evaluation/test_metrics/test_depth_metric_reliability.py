"""DepthEvalMetric: non-finite predictions are replaced as BTS does but counted and reported;
a run without any ground truth writes its predictions and returns no metrics."""
import csv
import logging

import numpy as np
import pytest
import torch

from mmdepth_dgr.evaluation import (
    DEPTH_METRICS,
    DepthEvalMetric,
    compute_depth_metrics,
    count_non_finite,
    evaluate_depth,
)
from mmdepth_dgr.evaluation.metrics import depth_metric


def _sample(pred, gt=None, name='scene/rgb_0001.jpg'):
    out = dict(pred_depth_map=dict(data=torch.as_tensor(pred, dtype=torch.float32)[None]),
               img_path=f'/x/{name}', rel_img_path=name)
    if gt is not None:
        out['gt_depth_map'] = dict(data=torch.as_tensor(gt, dtype=torch.float32)[None])
    return out


@pytest.fixture
def logged(monkeypatch):
    """The (level, message) pairs the metric module logs."""
    records = []

    def record(msg, logger=None, level=logging.INFO):
        records.append((level, msg))

    monkeypatch.setattr(depth_metric, 'print_log', record)
    return records


def _warnings(records, text):
    return [m for level, m in records if level == logging.WARNING and text in m]


def test_count_non_finite():
    pred = np.array([1.0, np.nan, np.inf, -np.inf, np.nan, 2.0])
    assert count_non_finite(pred) == dict(n_nan=2, n_posinf=1, n_neginf=1)
    assert count_non_finite(np.ones((3, 3))) == dict(n_nan=0, n_posinf=0, n_neginf=0)


def test_evaluate_depth_counts_only_evaluated_pixels_and_keeps_bts_numbers():
    gt = np.full((4, 4), 2.0)
    gt[0, :] = 0  # no ground truth: a NaN there is neither evaluated nor counted
    pred = np.full((4, 4), 2.5)
    pred[0, 0] = np.nan
    pred[1, 0], pred[1, 1], pred[1, 2] = np.nan, np.inf, -np.inf
    m = evaluate_depth(gt, pred, 1e-3, 10.0)
    assert (m['n_nan'], m['n_posinf'], m['n_neginf'], m['n_valid']) == (1, 1, 1, 12)
    bts = pred[1:].copy()  # BTS: pred[isinf] = max, pred[isnan] = min, then clip
    bts[np.isinf(bts)] = 10.0
    bts[np.isnan(bts)] = 1e-3
    ref = compute_depth_metrics(gt[1:], bts)
    for key in DEPTH_METRICS:
        assert m[key] == pytest.approx(ref[key], rel=1e-12), key


def test_metric_warns_with_counts_and_images(tmp_path, logged):
    gt = np.full((4, 4), 2.0)
    nan_pred, inf_pred, clean = np.full((4, 4), 2.0), np.full((4, 4), 2.0), np.full((4, 4), 2.2)
    nan_pred[0, :3] = np.nan
    inf_pred[1, 1], inf_pred[2, 2], inf_pred[3, 3] = np.inf, np.inf, -np.inf
    metric = DepthEvalMetric(max_depth_eval=10.0, output_dir=str(tmp_path))
    metric.process({}, [_sample(nan_pred, gt, 'a/rgb_1.jpg'), _sample(inf_pred, gt, 'b/rgb_1.jpg'),
                        _sample(clean, gt, 'c/rgb_1.jpg')])
    result = metric.compute_metrics(metric.results)
    assert set(result) == set(DEPTH_METRICS)  # the returned keys are unchanged
    (warning,) = _warnings(logged, 'non-finite predictions in 2 of 3 evaluated images')
    assert '3 NaN pixels -> min_depth_eval (0.001)' in warning
    assert '2 +inf and 1 -inf pixels -> max_depth_eval (10)' in warning
    with open(tmp_path / 'per_image_metrics.csv') as f:
        rows = {r['name']: r for r in csv.DictReader(f)}
    assert (rows['a__rgb_1']['n_nan'], rows['a__rgb_1']['n_posinf']) == ('3', '0')
    assert (rows['b__rgb_1']['n_posinf'], rows['b__rgb_1']['n_neginf']) == ('2', '1')
    assert rows['c__rgb_1']['n_nan'] == '0'
    (png_warning,) = _warnings(logged, 'predictions written to')
    assert png_warning.startswith(f'DepthEvalMetric: 2 of 3 predictions written to {tmp_path} '
                                  'had non-finite pixels (6 in all)')


def test_finite_predictions_give_no_warning(logged):
    metric = DepthEvalMetric(max_depth_eval=10.0)
    metric.process({}, [_sample(np.full((4, 4), 2.2), np.full((4, 4), 2.0))])
    metric.compute_metrics(metric.results)
    assert not [m for level, m in logged if level == logging.WARNING]


def test_no_ground_truth_at_all_returns_no_metrics(tmp_path, logged):
    """The reported case: an all-None KITTI split could not finish tools/test.py."""
    metric = DepthEvalMetric(max_depth_eval=80.0, output_dir=str(tmp_path), depth_scale=256)
    metric.process({}, [_sample(np.full((4, 6), 3.0), None, f'd/rgb_{i}.png') for i in range(3)])
    assert metric.compute_metrics(metric.results) == {}
    assert sorted(p.name for p in tmp_path.glob('*.png')) == [f'd__rgb_{i}.png' for i in range(3)]
    assert not (tmp_path / 'per_image_metrics.csv').exists()
    assert _warnings(logged, f'no sample has ground truth: wrote 3 predictions to {tmp_path}, '
                             'no metrics.')
    # without an output dir the note says the predictions were not written
    metric = DepthEvalMetric()
    metric.process({}, [_sample(np.ones((4, 4)))])
    assert metric.compute_metrics(metric.results) == {}
    assert _warnings(logged, 'no sample has ground truth: 1 predictions not written')


def test_ground_truth_without_valid_pixel_is_still_an_error(logged):
    metric = DepthEvalMetric(max_depth_eval=10.0)
    metric.process({}, [_sample(np.ones((4, 4))), _sample(np.ones((4, 4)), np.full((4, 4), 50.))])
    with pytest.raises(RuntimeError, match=r'no sample had valid ground truth .*\(0\.001, 10\.0\)'):
        metric.compute_metrics(metric.results)
    with pytest.raises(RuntimeError, match='0 samples seen'):
        DepthEvalMetric().compute_metrics([])
