"""Evaluation: depth metrics (registered in mmseg's METRICS)."""
from .depth_metric import DepthEvalMetric
from .functional import (
                         DEPTH_METRICS,
                         EVAL_CROPS,
                         clip_prediction,
                         compute_depth_metrics,
                         eval_crop_mask,
                         evaluate_depth,
)

__all__ = ['DepthEvalMetric', 'DEPTH_METRICS', 'EVAL_CROPS', 'clip_prediction',
           'compute_depth_metrics', 'eval_crop_mask', 'evaluate_depth']
