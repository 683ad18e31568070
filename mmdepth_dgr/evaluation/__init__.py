"""Evaluation: registered metrics (``metrics/``) and their pure math (``functional/``)."""
from .functional import (
                         BOUNDARY_LOWER_BETTER,
                         BOUNDARY_METRICS,
                         DEPTH_METRICS,
                         EVAL_CROPS,
                         NON_FINITE_COUNTS,
                         boundary_f1,
                         clip_prediction,
                         compute_depth_metrics,
                         continuity_errors,
                         count_non_finite,
                         depth_boundary_errors,
                         depth_rmse,
                         eval_crop_mask,
                         evaluate_depth,
                         gradient_magnitude,
                         gt_edges_from_depth,
)
from .metrics import DepthEvalMetric, MaskSparsityMetric

__all__ = ['DepthEvalMetric', 'DEPTH_METRICS', 'EVAL_CROPS', 'clip_prediction',
           'compute_depth_metrics', 'eval_crop_mask', 'evaluate_depth', 'MaskSparsityMetric',
           'depth_rmse', 'gradient_magnitude', 'NON_FINITE_COUNTS', 'count_non_finite',
           'BOUNDARY_METRICS', 'BOUNDARY_LOWER_BETTER', 'boundary_f1', 'continuity_errors',
           'depth_boundary_errors', 'gt_edges_from_depth']
