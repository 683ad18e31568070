"""DepthEvalMetric: mmseg's DepthMetric, crops, samples without GT, dumps, edge metrics."""
import csv

import cv2
import numpy as np
import pytest
import torch
from mmseg.evaluation.metrics import DepthMetric

from mmdepth_dgr.evaluation import DEPTH_METRICS, DepthEvalMetric, eval_crop_mask, evaluate_depth


def _sample(pred, gt=None, **meta):
    out = dict(pred_depth_map=dict(data=torch.as_tensor(pred, dtype=torch.float32)[None]),
               img_path='/x/scene/rgb_0001.jpg', **meta)
    if gt is not None:
        out['gt_depth_map'] = dict(data=torch.as_tensor(gt, dtype=torch.float32)[None])
    return out


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


@pytest.mark.parametrize('bad', ['kb', 'Garg', 'nyu_crop'])
def test_unknown_crop_is_named(bad):
    with pytest.raises(ValueError, match=f"unknown crop '{bad}'"):
        DepthEvalMetric(crop=bad)
    with pytest.raises(ValueError, match=f"unknown evaluation crop '{bad}'"):
        eval_crop_mask((10, 10), bad)


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
    metric = DepthEvalMetric()  # ground truth given, but no pixel in the evaluation range
    metric.process({}, [_sample(np.ones((4, 4)), np.zeros((4, 4)))])
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


def test_keep_results_as_mmseg_test_py_sets_it(tmp_path):
    """mmseg's tools/test.py --out DIR sets output_dir and keep_results on the test evaluator."""
    from mmengine.config import Config
    from mmseg.registry import METRICS

    from mmdepth_dgr.testing import REPO_ROOT
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / '_base_' / 'datasets' / 'nyu.py'))
    cfg.test_evaluator['output_dir'] = str(tmp_path)
    cfg.test_evaluator['keep_results'] = True
    metric = METRICS.build(cfg.test_evaluator)
    assert isinstance(metric, DepthEvalMetric) and metric.keep_results is True
    gt = np.full((480, 640), 2.0)
    metric.process({}, [_sample(gt * 1.2, gt, rel_img_path='scene_a/rgb_0001.jpg')])
    result = metric.compute_metrics(metric.results)
    assert result['abs_rel'] == pytest.approx(0.2)
    # nothing written is removed afterwards
    assert (tmp_path / 'scene_a__rgb_0001.png').is_file()
    assert (tmp_path / 'per_image_metrics.csv').is_file()


def test_format_only_writes_predictions_and_computes_nothing(tmp_path):
    metric = DepthEvalMetric(max_depth_eval=10, output_dir=str(tmp_path), depth_scale=1000,
                             format_only=True)
    gt = np.full((8, 8), 2.0)
    metric.process({}, [
        # ground truth out of the evaluation range: evaluating would raise RuntimeError
        _sample(gt, np.zeros((8, 8)), rel_img_path='scene_a/rgb_0001.jpg'),
        _sample(gt * 1.5, None, rel_img_path='scene_b/rgb_0001.jpg'),
    ])
    assert metric.compute_metrics(metric.results) == {}
    a = cv2.imread(str(tmp_path / 'scene_a__rgb_0001.png'), cv2.IMREAD_UNCHANGED)
    b = cv2.imread(str(tmp_path / 'scene_b__rgb_0001.png'), cv2.IMREAD_UNCHANGED)
    assert (a == 2000).all() and (b == 3000).all()
    assert not (tmp_path / 'per_image_metrics.csv').exists()
    plain = DepthEvalMetric(max_depth_eval=10)  # the same samples, evaluated
    plain.process({}, [_sample(gt, np.zeros((8, 8)))])
    with pytest.raises(RuntimeError, match='no sample had valid ground truth'):
        plain.compute_metrics(plain.results)


@pytest.mark.parametrize('kwargs', [dict(), dict(output_dir='out', save_png=False)])
def test_format_only_needs_somewhere_to_write(kwargs):
    with pytest.raises(ValueError, match='format_only=True .* needs output_dir'):
        DepthEvalMetric(format_only=True, **kwargs)


def test_kitti_dump_names_are_unique_and_round_trip(tmp_path):
    """KITTI frame names repeat across drives: every Eigen test line gets its own PNG, whose
    values read back as metres to within half a PNG step (1 / depth_scale)."""
    from mmdepth_dgr.datasets import KITTIDepthDataset
    from mmdepth_dgr.testing import REPO_ROOT
    from mmdepth_dgr.utils.naming import sample_file_name
    split = REPO_ROOT.parent / 'shared' / 'splits' / 'kitti_eigen_test.txt'
    ds = KITTIDepthDataset(ann_file=str(split), data_root='/kitti', check_files=False,
                           test_mode=True)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    basenames = [info['img_path'].rsplit('/', 1)[-1] for info in infos]
    assert len(set(basenames)) < len(infos)  # the collision exists in the real split
    assert len({sample_file_name(info) for info in infos}) == len(infos)
    # the two first lines named 0000000000.png, dumped by the metric
    same = [info for info, base in zip(infos, basenames, strict=True)
            if base == '0000000000.png'][:2]
    rng = np.random.default_rng(0)
    preds = [rng.uniform(0.5, 80.0, (6, 10)).astype(np.float32) for _ in same]
    metric = DepthEvalMetric(max_depth_eval=80, crop=None, output_dir=str(tmp_path),
                             depth_scale=256.0, format_only=True)
    metric.process({}, [  # as mmengine's evaluator passes them: metainfo keys at the top
        dict(pred_depth_map=dict(data=torch.as_tensor(pred, dtype=torch.float32)[None]),
             img_path=info['img_path'], rel_img_path=info['rel_img_path'])
        for pred, info in zip(preds, same, strict=True)])
    files = sorted(tmp_path.glob('*.png'))
    assert len(files) == 2
    for pred, info in zip(preds, same, strict=True):
        png = cv2.imread(str(tmp_path / f'{sample_file_name(info)}.png'), cv2.IMREAD_UNCHANGED)
        assert png.dtype == np.uint16 and png.shape == pred.shape
        np.testing.assert_allclose(png / 256.0, pred, rtol=0, atol=0.5 / 256 + 1e-9)


# --- boundary and continuity metrics (boundary_metrics=True) ---------------------------------

OLD_CSV_COLUMNS = ['name', 'n_valid', 'n_nan', 'n_posinf', 'n_neginf', *DEPTH_METRICS]


@pytest.fixture
def logged(monkeypatch):
    """The messages the metric module logs."""
    from mmdepth_dgr.evaluation.metrics import depth_metric
    messages = []
    monkeypatch.setattr(depth_metric, 'print_log', lambda msg, **kwargs: messages.append(msg))
    return messages


def _box_pair(shape, box):
    """A near box (2 m) on a far wall (6 m) and a prediction with the box moved and blurred."""
    from scipy import ndimage
    (top, bottom), (left, right) = box
    gt = np.full(shape, 6.0)
    gt[top:bottom, left:right] = 2.0
    pred = ndimage.gaussian_filter(np.roll(gt, (2, 3), axis=(0, 1)), 1.0)
    return gt, pred


def _csv_header(directory):
    with open(directory / 'per_image_metrics.csv') as f:
        return next(csv.reader(f))


# the configs' test evaluators, each with a frame of its dataset's size and a box in its crop
CONFIG_CASES = {
    'nyu.py': ((480, 640), ((150, 300), (200, 400)), {}),
    'synthetic_nyu.py': ((480, 640), ((150, 300), (200, 400)), {}),
    'kitti.py': ((352, 1216), ((200, 300), (400, 700)),
                 dict(uncropped_shape=(375, 1242), kb_crop_offset=(23, 13))),
}


@pytest.mark.parametrize('config', sorted(CONFIG_CASES))
def test_boundary_metrics_of_the_configs_test_evaluators(config, tmp_path, logged):
    from mmengine.config import Config
    from mmseg.registry import METRICS

    from mmdepth_dgr.evaluation import BOUNDARY_METRICS
    from mmdepth_dgr.evaluation.functional import image_boundary_metrics
    from mmdepth_dgr.testing import REPO_ROOT
    shape, box, meta = CONFIG_CASES[config]
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / '_base_' / 'datasets' / config))
    metric = METRICS.build(dict(cfg.test_evaluator, boundary_metrics=True,
                                output_dir=str(tmp_path), save_png=False))
    gt, pred = _box_pair(shape, box)
    metric.process({}, [_sample(pred, gt, rel_img_path='scene/rgb_0001.jpg', **meta)])
    result = metric.compute_metrics(metric.results)
    assert list(result) == [*DEPTH_METRICS, *BOUNDARY_METRICS]
    expected = image_boundary_metrics(
        gt, pred, metric.min_depth_eval, metric.max_depth_eval, crop=metric.crop,
        uncropped_shape=meta.get('uncropped_shape'), offset=meta.get('kb_crop_offset', (0, 0)))
    for key in BOUNDARY_METRICS:
        assert np.isfinite(result[key]) and result[key] == pytest.approx(expected[key]), key
    assert 0 < result['dbe_acc'] < 10 and 0 < result['boundary_f1'] < 1
    table = next(m for m in logged if m.startswith('Depth metrics over'))
    header = table.splitlines()[2]  # PrettyTable: border, names, border, values
    assert [c.strip() for c in header.strip('|').split('|')] == list(result)
    assert any('0 of 1 images without GT edges' in m for m in logged)
    assert _csv_header(tmp_path) == [*OLD_CSV_COLUMNS, 'n_gt_edge', *BOUNDARY_METRICS]


def test_boundary_metrics_are_off_by_default(tmp_path):
    gt, pred = _box_pair((60, 80), ((20, 40), (30, 50)))
    metric = DepthEvalMetric(output_dir=str(tmp_path), save_png=False)
    metric.process({}, [_sample(pred, gt)])
    assert list(metric.compute_metrics(metric.results)) == list(DEPTH_METRICS)
    assert _csv_header(tmp_path) == OLD_CSV_COLUMNS
    assert set(metric.results[0]) == {'name', 'n_valid', 'n_nan', 'n_posinf', 'n_neginf',
                                      *DEPTH_METRICS}


def test_boundary_metrics_use_gt_edge_maps_and_skip_images_without_edges(tmp_path, logged):
    from mmdepth_dgr.evaluation import depth_boundary_errors, gt_edges_from_depth
    gt, pred = _box_pair((60, 80), ((20, 40), (30, 50)))
    ruled = gt_edges_from_depth(gt, np.ones(gt.shape, bool))
    given = np.roll(ruled, 4, axis=0)  # a dataset's edge map, unlike the rule's
    flat = np.full((60, 80), 3.0)
    with_map = _sample(pred, gt, rel_img_path='a/rgb_1.jpg',
                       gt_edge_map=dict(data=torch.from_numpy(given.astype(np.int64))[None]))
    metric = DepthEvalMetric(boundary_metrics=True, output_dir=str(tmp_path), save_png=False)
    metric.process({}, [with_map, _sample(pred, gt, rel_img_path='b/rgb_1.jpg'),
                        _sample(flat * 1.1, flat, rel_img_path='c/rgb_1.jpg')])
    rows = {r['name']: r for r in metric.results}
    assert rows['a__rgb_1']['dbe_acc'] == depth_boundary_errors(pred, given)[0]
    assert rows['b__rgb_1']['dbe_acc'] == depth_boundary_errors(pred, ruled)[0]
    assert rows['a__rgb_1']['dbe_acc'] != rows['b__rgb_1']['dbe_acc']
    assert np.isnan(rows['c__rgb_1']['dbe_acc']) and rows['c__rgb_1']['n_gt_edge'] == 0
    result = metric.compute_metrics(metric.results)
    for key in ('dbe_acc', 'dbe_comp', 'boundary_f1'):  # NaN-safe: the flat image is skipped
        assert result[key] == pytest.approx((rows['a__rgb_1'][key] + rows['b__rgb_1'][key]) / 2)
    assert result['spurious_jump_rate'] == pytest.approx(
        np.mean([r['spurious_jump_rate'] for r in rows.values()]))  # the flat image counts here
    assert any('1 of 3 images without GT edges' in m and '1 without GT depth contours' in m
               for m in logged)
    with open(tmp_path / 'per_image_metrics.csv') as f:
        csv_rows = {r['name']: r for r in csv.DictReader(f)}
    assert float(csv_rows['a__rgb_1']['dbe_acc']) == pytest.approx(rows['a__rgb_1']['dbe_acc'])
    assert csv_rows['c__rgb_1']['dbe_acc'] == 'nan'
