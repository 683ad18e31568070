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
from .mask_sparsity_metric import MaskSparsityMetric
from .probe_functional import (
    DEFAULT_MASK_THRESHOLD,
    apply_mask,
    binarize_mask,
    depth_rmse,
    gradient_magnitude,
    image_region_mask,
    mask_l1,
    mask_sparsity,
    restore_map,
)

__all__ = ['DepthEvalMetric', 'DEPTH_METRICS', 'EVAL_CROPS', 'clip_prediction',
           'compute_depth_metrics', 'eval_crop_mask', 'evaluate_depth', 'MaskSparsityMetric',
           'DEFAULT_MASK_THRESHOLD', 'apply_mask', 'binarize_mask', 'depth_rmse',
           'gradient_magnitude', 'image_region_mask', 'mask_l1', 'mask_sparsity', 'restore_map']
