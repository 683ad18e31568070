"""IBimsDepthMetric through the iBims-1 config's test pipeline on a tiny tree."""
import csv
import inspect
import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import DATASETS, METRICS

from mmdepth_dgr.evaluation.metrics import DepthEvalMetric
from mmdepth_dgr.evaluation.metrics import depth_metric as depth_metric_module
from mmdepth_dgr.evaluation.metrics import ibims_metric as module
from mmdepth_dgr.testing.ibims import write_ibims_tree
from mmdepth_dgr.testing.paths import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs', 'multiscale_depth',
                  'multiscale-depth_mit-b2_8xb4-80k_nyu-416x544_ibims.py')
COLUMNS = ['dde_0', 'dde_m', 'dde_p', 'pe_fla', 'pe_ori', 'pe_fla_wall', 'pe_ori_wall',
           'pe_fla_table', 'pe_ori_table', 'pe_fla_floor', 'pe_ori_floor']


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('ibims'))
    return root, write_ibims_tree(root)


def _evaluator_cfg(**kwargs):
    cfg = Config.fromfile(CONFIG).test_evaluator.to_dict()
    if 'boundary_metrics' not in inspect.signature(DepthEvalMetric.__init__).parameters:
        cfg.pop('boundary_metrics')  # DepthEvalMetric's boundary errors not landed yet
    cfg.update(kwargs)
    return cfg


def _samples(root, predict):
    cfg = Config.fromfile(CONFIG).test_dataloader.dataset
    cfg.data_root = root
    dataset = DATASETS.build(cfg)
    out = []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        gt = sample.gt_depth_map.data[0].numpy().astype(np.float64)
        pred = predict(i, gt)
        sample.pred_depth_map = PixelData(data=torch.from_numpy(pred[None]).float())
        out.append(sample.to_dict())
    return out


def _run(root, predict, monkeypatch, **kwargs):
    logs = []
    for mod in (module, depth_metric_module):
        monkeypatch.setattr(mod, 'print_log', lambda msg, **_: logs.append(msg))
    metric = METRICS.build(_evaluator_cfg(**kwargs))
    assert type(metric).__name__ == 'IBimsDepthMetric'
    samples = _samples(root, predict)
    for s in samples:
        metric.process({}, [s])
    return metric.evaluate(len(samples)), logs, samples


def test_planarity_pooled_over_planes_and_types(tree, monkeypatch, tmp_path):
    root, facts = tree
    # a constant prediction is the plane Y = c: perfect for the wall (normal (0, 1, 0)),
    # 90 degrees off the floor (normal (0, 0, 1)); the table is under the 5% rule
    res, logs, _ = _run(root, lambda i, gt: np.full(gt.shape, 2.0), monkeypatch,
                        output_dir=str(tmp_path), save_png=False)
    assert res['pe_ori_wall'] == pytest.approx(0, abs=1e-4)
    assert res['pe_ori_floor'] == pytest.approx(90, abs=1e-4)
    # pooled as the official script: planes (wall, floor | wall) -> 90 / 3, not the
    # mean of per-image means (45, 0) -> 22.5
    assert res['pe_ori'] == pytest.approx(30, abs=1e-4)
    assert res['pe_fla'] == pytest.approx(0, abs=1e-6)
    assert math.isnan(res['pe_fla_table']) and math.isnan(res['pe_ori_table'])
    # every GT pixel is beyond 3 m (the floor's nearest is 3.13 m): all predicted too close
    assert (res['dde_0'], res['dde_m'], res['dde_p']) == pytest.approx((0, 1, 0))
    # one table: DepthEvalMetric's columns, then the iBims-1 ones
    table = next(m for m in logs if m.startswith('Depth metrics over 2 images'))
    header = next(line for line in table.splitlines() if 'dde_0' in line)
    columns = [c.strip() for c in header.strip('|').split('|')]
    assert columns[-len(COLUMNS):] == COLUMNS and columns[:2] == ['d1', 'd2']
    assert 'planarity over 3 of 5 planes' in next(m for m in logs if 'DDE at 3 m' in m)
    with open(tmp_path / 'per_image_metrics.csv') as f:
        rows = list(csv.DictReader(f))
    assert {'abs_rel', 'dde_0', 'pe_fla_wall'} <= set(rows[0])
    assert [r['name'] for r in rows] == ['corridor_01', 'office_02']
    assert [int(r['n_planes']) for r in rows] == [3, 2]
    assert float(rows[0]['pe_ori_floor']) == pytest.approx(90, abs=1e-4)
    assert rows[1]['pe_ori_floor'] == 'nan'


def test_dde_on_the_officially_masked_pixels(tree, monkeypatch):
    root, facts = tree
    res, _, samples = _run(root, lambda i, gt: 0.8 * facts['decoded'], monkeypatch)
    valid = facts['valid']
    gt, pred = facts['decoded'][valid], 0.8 * facts['decoded'][valid]
    too_close = np.count_nonzero((pred <= 3) & (gt > 3)) / valid.sum()
    assert too_close > 0.05
    assert res['dde_m'] == pytest.approx(too_close)
    assert res['dde_p'] == pytest.approx(0)
    assert res['dde_0'] == pytest.approx(1 - too_close)
    # masked pixels are out: counting them would give another fraction
    unmasked = np.count_nonzero((0.8 * facts['decoded'] <= 3) & (facts['decoded'] > 3))
    assert unmasked / valid.size != pytest.approx(too_close)
    # median-scaled planes of a scaled GT: near-perfect (depth PNG quantisation only)
    assert res['pe_ori'] < 0.05 and res['pe_fla'] < 0.05
    # DepthEvalMetric's own numbers are unchanged
    plain = METRICS.build(dict(type='DepthEvalMetric', min_depth_eval=1e-3,
                               max_depth_eval=10.0, crop=None))
    for s in samples:
        plain.process({}, [s])
    for key, value in plain.evaluate(len(samples)).items():
        assert res[key] == pytest.approx(value)
    assert res['abs_rel'] == pytest.approx(0.2, abs=1e-6)


def test_sample_without_planes_is_an_error(tree, monkeypatch):
    root, _ = tree
    metric = METRICS.build(_evaluator_cfg())
    sample = _samples(root, lambda i, gt: gt)[0]
    del sample['ibims_planes']
    with pytest.raises(KeyError, match='ibims_planes'):
        metric.process({}, [sample])
