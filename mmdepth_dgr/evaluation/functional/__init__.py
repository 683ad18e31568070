"""Pure numpy functions of the evaluation, one module per family of metrics.

- :mod:`.depth`: the nine standard numbers, crops and caps (BTS / Monocular-Depth-Estimation-Toolbox
  conventions), the depth-discontinuity errors and the probe's helpers.
- :mod:`.boundary`: the field's depth-boundary metrics (iBims-1 DBE, Depth Pro boundary F1), the
  continuity metric of GT-smooth regions and the GT-edge rule for datasets without edge maps.
"""
from .boundary import (
    BOUNDARY_LOWER_BETTER,
    BOUNDARY_METRICS,
    boundary_f1,
    canny_depth_edges,
    chamfer_errors,
    continuity_errors,
    depth_boundary_errors,
    directional_contours,
    directional_precision_recall,
    gt_edges_from_depth,
    gt_smooth_pairs,
    image_boundary_metrics,
    inverse_depth,
    neighbour_jumps,
)
from .depth import (
    DEPTH_METRICS,
    EDGE_METRICS,
    EVAL_CROPS,
    NON_FINITE_COUNTS,
    clip_prediction,
    compute_depth_metrics,
    count_non_finite,
    depth_edge_mask,
    depth_rmse,
    edge_affinity,
    edge_depth_errors,
    eval_crop_mask,
    evaluate_depth,
    evaluated_pixels,
    gradient_magnitude,
)

__all__ = ['BOUNDARY_LOWER_BETTER', 'BOUNDARY_METRICS', 'boundary_f1', 'canny_depth_edges',
           'chamfer_errors', 'continuity_errors', 'depth_boundary_errors',
           'directional_contours', 'directional_precision_recall', 'gt_edges_from_depth',
           'gt_smooth_pairs', 'image_boundary_metrics', 'inverse_depth', 'neighbour_jumps',
           'DEPTH_METRICS', 'EDGE_METRICS', 'EVAL_CROPS', 'NON_FINITE_COUNTS', 'clip_prediction',
           'compute_depth_metrics', 'count_non_finite', 'depth_edge_mask', 'depth_rmse',
           'edge_affinity', 'edge_depth_errors', 'eval_crop_mask', 'evaluate_depth',
           'evaluated_pixels',
           'gradient_magnitude']
