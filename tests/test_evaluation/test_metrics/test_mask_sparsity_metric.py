"""MaskSparsityMetric: the fraction of kept pixels of the probe's masks."""
import pytest
import torch
from mmseg.registry import METRICS


def test_mask_sparsity_metric():
    metric = METRICS.build(dict(type='MaskSparsityMetric'))
    masks = [torch.zeros(1, 4, 4), torch.ones(1, 4, 4)]
    masks[0][0, :2] = 1
    metric.process({}, [dict(pred_mask=dict(data=m)) for m in masks])
    assert metric.compute_metrics(metric.results) == dict(sparsity=pytest.approx(0.75))
    with pytest.raises(KeyError, match='pred_mask'):
        metric.process({}, [dict(pred_depth_map=dict(data=masks[0]))])


def test_mask_sparsity_metric_threshold():
    metric = METRICS.build(dict(type='MaskSparsityMetric', threshold=0.5))
    soft = torch.tensor([[[0.2, 0.6], [0.5, 0.4]]])
    metric.process({}, [dict(pred_mask=dict(data=soft))])
    assert metric.compute_metrics(metric.results)['sparsity'] == pytest.approx(0.5)
    with pytest.raises(ValueError, match='threshold'):
        METRICS.build(dict(type='MaskSparsityMetric', threshold=1.0))
