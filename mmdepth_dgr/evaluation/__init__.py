"""Evaluation: registered metrics (``metrics/``) and their pure math (``functional.py``)."""
from .functional import (
                         DEPTH_METRICS,
                         EVAL_CROPS,
                         NON_FINITE_COUNTS,
                         clip_prediction,
                         compute_depth_metrics,
                         count_non_finite,
                         depth_rmse,
                         eval_crop_mask,
                         evaluate_depth,
                         gradient_magnitude,
)
from .metrics import DepthEvalMetric, MaskSparsityMetric

__all__ = ['DepthEvalMetric', 'DEPTH_METRICS', 'EVAL_CROPS', 'clip_prediction',
           'compute_depth_metrics', 'eval_crop_mask', 'evaluate_depth', 'MaskSparsityMetric',
           'depth_rmse', 'gradient_magnitude', 'NON_FINITE_COUNTS', 'count_non_finite']
