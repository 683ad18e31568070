"""Depth-boundary metrics of the field and a continuity metric for smooth regions.

- iBims-1 depth boundary errors (Koch et al., "Evaluation of CNN-based Single-Image Depth
  Estimation Methods", ECCV-W 2018): :func:`depth_boundary_errors`.
- Depth Pro's scale-invariant boundary F1 (Bochkovskii et al., "Depth Pro: Sharp Monocular
  Metric Depth in Less Than a Second", 2024): :func:`boundary_f1`.
- The paper's "unnatural depth jumps in smooth areas" have no published metric; this module
  defines one (:func:`continuity_errors`): jumps and log-gradient errors of the prediction on
  neighbour pairs where the ground truth is smooth.
- :func:`gt_edges_from_depth`: the rule giving GT edges when a dataset has no edge maps.

Neighbour pairs are the 4-neighbour pairs of an (H, W) map: ``horizontal`` pairs
``(y, x), (y, x+1)`` as an (H, W-1) array and ``vertical`` pairs ``(y, x), (y+1, x)`` as an
(H-1, W) array.
"""
from typing import Dict, Optional, Tuple

import numpy as np
from scipy import ndimage
from skimage import feature

from .depth import clip_prediction, eval_crop_mask, evaluated_pixels, median_scale

#: Per-image numbers of :func:`image_boundary_metrics`, in the order they are printed.
BOUNDARY_METRICS = ('dbe_acc', 'dbe_comp', 'boundary_f1', 'spurious_jump_rate',
                    'smooth_log_grad_error')

#: The :data:`BOUNDARY_METRICS` for which lower is better (``boundary_f1`` is higher-better).
BOUNDARY_LOWER_BETTER = ('dbe_acc', 'dbe_comp', 'spurious_jump_rate', 'smooth_log_grad_error')

#: Pair directions of :func:`directional_contours`: the neighbour that is nearer.
DIRECTIONS = ('left', 'top', 'right', 'bottom')

_AXES = {'horizontal': 1, 'vertical': 0}


def _pair_views(array: np.ndarray, axis: int) -> Tuple[np.ndarray, np.ndarray]:
    """The first and second pixels of every neighbour pair along ``axis`` (0 or 1)."""
    if axis == 1:
        return array[:, :-1], array[:, 1:]
    return array[:-1, :], array[1:, :]


def pair_mask(valid: Optional[np.ndarray], shape: Tuple[int, int],
              axis: int) -> np.ndarray:
    """Neighbour pairs along ``axis`` whose two pixels are both valid.

    Args:
        valid (np.ndarray, optional): (H, W) bool; None means every pixel.
        shape (tuple[int, int]): (H, W) of the map.
        axis (int): 1 for horizontal pairs, 0 for vertical pairs.

    Returns:
        np.ndarray: bool, (H, W-1) for axis 1, (H-1, W) for axis 0.
    """
    if valid is None:
        valid = np.ones(shape, dtype=bool)
    first, second = _pair_views(np.asarray(valid, dtype=bool), axis)
    return first & second


def inverse_depth(depth: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Inverse depth as Depth Pro computes it: ``1 / max(depth, eps)``.

    Args:
        depth (np.ndarray): Depth map (0 or negative where unknown).
        eps (float): Lower clip of the depth before inverting. Defaults to 1e-6.

    Returns:
        np.ndarray: float64 inverse depth (``1 / eps`` where depth <= eps).
    """
    return 1.0 / np.clip(np.asarray(depth, dtype=np.float64), eps, None)


def boundary_thresholds(t_min: float = 1.05, t_max: float = 1.25,
                        n: int = 10) -> Tuple[np.ndarray, np.ndarray]:
    """Depth Pro's ratio thresholds and their weights.

    Args:
        t_min (float): Smallest ratio threshold. Defaults to 1.05.
        t_max (float): Largest ratio threshold. Defaults to 1.25.
        n (int): Number of thresholds. Defaults to 10.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``t = linspace(t_min, t_max, n)`` and
        the weights ``t / sum(t)``.
    """
    thresholds = np.linspace(t_min, t_max, n)
    return thresholds, thresholds / thresholds.sum()


# ----------------------------------------------------------------------------------------
# Depth Pro: scale-invariant boundary F1
# ----------------------------------------------------------------------------------------


def directional_contours(inv: np.ndarray, t: float,
                         valid: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """Foreground/background contours of an inverse-depth map in the four directions.

    Depth Pro's definition: the pair ``(p, q)`` with ``q`` the right neighbour of
    ``p`` is a ``right`` contour when ``inv_q / inv_p > t`` (the right pixel is
    nearer by more than the ratio ``t``) and a ``left`` contour when
    ``inv_p / inv_q > t``; ``bottom``/``top`` likewise for vertical pairs. With
    ``valid`` (an extension for sparse ground truth) only pairs of two valid
    pixels can be contours.

    Args:
        inv (np.ndarray): (H, W) inverse depth, positive.
        t (float): Ratio threshold (> 1).
        valid (np.ndarray, optional): (H, W) bool, pixels that count.

    Returns:
        dict[str, np.ndarray]: :data:`DIRECTIONS` -> bool maps, (H, W-1) for
        ``left``/``right`` and (H-1, W) for ``top``/``bottom``.
    """
    out = {}
    for (near_first, near_second), axis in ((('left', 'right'), 1), (('top', 'bottom'), 0)):
        first, second = _pair_views(inv, axis)
        both = pair_mask(valid, inv.shape, axis)
        out[near_first] = (first / second > t) & both
        out[near_second] = (second / first > t) & both
    return {name: out[name] for name in DIRECTIONS}


def directional_precision_recall(pred_inv: np.ndarray, gt_inv: np.ndarray, t: float,
                                 valid: Optional[np.ndarray] = None
                                 ) -> Dict[str, Tuple[float, float]]:
    """Per-direction boundary precision and recall at one ratio threshold (Depth Pro).

    For each direction ``d``: ``precision = |P_d & G_d| / max(|P_d|, 1)`` and
    ``recall = |P_d & G_d| / max(|G_d|, 1)`` with ``P_d``, ``G_d`` the
    :func:`directional_contours` of the prediction and the ground truth. A
    direction without GT contours therefore has recall 0 (and precision 0).

    Args:
        pred_inv (np.ndarray): (H, W) predicted inverse depth.
        gt_inv (np.ndarray): (H, W) ground-truth inverse depth.
        t (float): Ratio threshold.
        valid (np.ndarray, optional): See :func:`directional_contours`.

    Returns:
        dict[str, tuple[float, float]]: direction -> (precision, recall).
    """
    pred_c = directional_contours(pred_inv, t, valid)
    gt_c = directional_contours(gt_inv, t, valid)
    out = {}
    for name in DIRECTIONS:
        hits = np.count_nonzero(pred_c[name] & gt_c[name])
        out[name] = (hits / max(np.count_nonzero(pred_c[name]), 1),
                     hits / max(np.count_nonzero(gt_c[name]), 1))
    return out


def boundary_f1_at(pred_inv: np.ndarray, gt_inv: np.ndarray, t: float,
                   valid: Optional[np.ndarray] = None) -> float:
    """Depth Pro's boundary F1 at one threshold: ``2pr / (p + r)`` (0 when ``p + r == 0``),
    ``p`` and ``r`` the means over the four directions of
    :func:`directional_precision_recall`."""
    per_direction = directional_precision_recall(pred_inv, gt_inv, t, valid)
    p = float(np.mean([pr[0] for pr in per_direction.values()]))
    r = float(np.mean([pr[1] for pr in per_direction.values()]))
    return 0.0 if p + r == 0 else 2.0 * p * r / (p + r)


def boundary_f1(pred: np.ndarray, gt: np.ndarray, t_min: float = 1.05, t_max: float = 1.25,
                n: int = 10, valid: Optional[np.ndarray] = None, eps: float = 1e-6) -> float:
    """Depth Pro's scale-invariant boundary F1 (Bochkovskii et al. 2024, ``SI_boundary_F1``).

    Both depth maps are inverted (:func:`inverse_depth`, depth clipped at
    ``eps``); for each ``t`` of :func:`boundary_thresholds` the F1 of
    :func:`boundary_f1_at` is computed and the result is
    ``sum_t F1(t) * t / sum(t)``. Only ratios of neighbours enter, so a global
    scale of either map changes nothing.

    As published, a direction without GT contours adds recall 0 (and
    precision 0) to the four-direction means, so ``F1 = 1`` needs GT contours
    in all four directions; a GT without any contour gives 0.

    Sparse ground truth (extension, e.g. KITTI LiDAR): with ``valid`` only
    pairs of two valid pixels count, on both the predicted and the GT contour
    maps. ``valid=None`` is the published behaviour (every pair counts, GT
    zeros become ``1 / eps``).

    Args:
        pred (np.ndarray): (H, W) predicted depth.
        gt (np.ndarray): (H, W) ground-truth depth.
        t_min (float): Smallest ratio threshold. Defaults to 1.05.
        t_max (float): Largest ratio threshold. Defaults to 1.25.
        n (int): Number of thresholds. Defaults to 10.
        valid (np.ndarray, optional): (H, W) bool of the pixels with ground truth.
        eps (float): Depth clip before inverting. Defaults to 1e-6.

    Returns:
        float: The weighted F1 in [0, 1] (higher is better).
    """
    pred_inv, gt_inv = _checked_inverses(pred, gt, valid, eps)
    thresholds, weights = boundary_thresholds(t_min, t_max, n)
    scores = [boundary_f1_at(pred_inv, gt_inv, t, valid) for t in thresholds]
    return float(np.dot(scores, weights))


def _checked_inverses(pred: np.ndarray, gt: np.ndarray, valid: Optional[np.ndarray],
                      eps: float) -> Tuple[np.ndarray, np.ndarray]:
    """Inverse depths of two (H, W) maps, checking the shapes (``valid`` too)."""
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.ndim != 2 or pred.shape != gt.shape or (
            valid is not None and np.shape(valid) != gt.shape):
        raise ValueError(f'pred {pred.shape}, gt {gt.shape} and valid '
                         f'{None if valid is None else np.shape(valid)} must be the same (H, W)')
    return inverse_depth(pred, eps), inverse_depth(gt, eps)


# ----------------------------------------------------------------------------------------
# iBims-1: depth boundary errors
# ----------------------------------------------------------------------------------------


def canny_depth_edges(pred: np.ndarray, mask: Optional[np.ndarray] = None, low: float = 0.15,
                      high: float = 0.3) -> np.ndarray:
    """Edges of a depth map as iBims-1 detects them.

    The depth is min-max normalised to [0, 1] over the ``mask`` pixels (in
    float32, as the official code does) and passed to
    ``skimage.feature.canny`` with ``sigma = sqrt(2)`` and hysteresis
    thresholds ``low``/``high`` on the gradient magnitude.

    Pixels without prediction: the official code sets them (``pred == 0``) to
    NaN. NaN spreads through the Gaussian (6 px support for ``sigma = sqrt(2)``),
    the Sobel filter and the non-maximum suppression, so no edge is found within
    8 px of a missing pixel. Here they are canny's ``mask`` instead: the
    smoothing ignores them and only the 1-px ring around them is suppressed.
    Farther away the two differ only through hysteresis (a weak edge linked to a
    strong one near a hole). Without missing pixels (the dense, clamped
    predictions of :class:`~mmdepth_dgr.evaluation.DepthEvalMetric`) both give
    the same edges.

    Args:
        pred (np.ndarray): (H, W) depth.
        mask (np.ndarray, optional): (H, W) bool of the pixels with prediction;
            defaults to the finite, positive pixels.
        low (float): Low hysteresis threshold. Defaults to 0.15.
        high (float): High hysteresis threshold. Defaults to 0.3.

    Returns:
        np.ndarray: (H, W) bool edge map (all False when fewer than two
        distinct values are predicted).
    """
    pred = np.asarray(pred, dtype=np.float64)
    if mask is None:
        mask = np.isfinite(pred) & (pred > 0)
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return np.zeros(pred.shape, dtype=bool)
    values = pred[mask].astype(np.float32)
    lo, span = values.min(), values.max() - values.min()
    if not span > 0:
        return np.zeros(pred.shape, dtype=bool)
    normalised = np.zeros(pred.shape, dtype=np.float32)
    normalised[mask] = (values - lo) / span
    return feature.canny(normalised, sigma=np.sqrt(2), low_threshold=low,
                         high_threshold=high, mask=mask)


def edge_distance(edges: np.ndarray) -> np.ndarray:
    """Euclidean distance of every pixel to the nearest edge pixel (0 on edges)."""
    return ndimage.distance_transform_edt(~np.asarray(edges, dtype=bool))


def chamfer_errors(pred_edges: np.ndarray, gt_edges: np.ndarray,
                   theta: float = 10.0) -> Tuple[float, float]:
    """iBims-1's truncated chamfer accuracy and completeness of two edge maps.

    With ``D_gt``/``D_pred`` the distance to the nearest GT/predicted edge:
    ``acc = mean(D_gt)`` over the predicted edges with ``D_gt < theta``;
    ``comp = (sum_pred min(D_gt, theta) + sum_gt min(D_pred, theta)) /
    (n_pred + n_gt)`` over all edge pixels of both maps. Both are ``theta``
    when no predicted edge lies within ``theta`` of the GT edges.

    Args:
        pred_edges (np.ndarray): (H, W) bool predicted edges.
        gt_edges (np.ndarray): (H, W) bool GT edges, at least one.
        theta (float): Truncation distance in pixels. Defaults to 10.

    Returns:
        tuple[float, float]: (accuracy, completeness) in pixels.
    """
    pred_edges = np.asarray(pred_edges, dtype=bool)
    gt_edges = np.asarray(gt_edges, dtype=bool)
    dist_gt = edge_distance(gt_edges)
    close = pred_edges & (dist_gt < theta)
    if not close.any():
        return float(theta), float(theta)
    acc = float(dist_gt[close].mean())
    dist_pred = edge_distance(pred_edges)
    total = (np.minimum(dist_gt[pred_edges], theta).sum()
             + np.minimum(dist_pred[gt_edges], theta).sum())
    return acc, float(total / (pred_edges.sum() + gt_edges.sum()))


def depth_boundary_errors(pred: np.ndarray, gt_edges: np.ndarray, theta: float = 10.0,
                          low: float = 0.15, high: float = 0.3,
                          mask: Optional[np.ndarray] = None) -> Tuple[float, float]:
    """iBims-1 depth boundary errors (Koch et al., ECCV-W 2018, ``compute_depth_boundary_error``).

    The predicted edges are :func:`canny_depth_edges` of the prediction (min-max
    normalised, so any affine change of the depth values changes nothing);
    accuracy and completeness are the truncated chamfer distances of
    :func:`chamfer_errors` between them and ``gt_edges``.

    Args:
        pred (np.ndarray): (H, W) predicted depth.
        gt_edges (np.ndarray): (H, W) GT edge map, nonzero = edge (iBims-1's
            thin occlusion contours, or :func:`gt_edges_from_depth`).
        theta (float): Truncation distance in pixels. Defaults to 10.
        low (float): Canny low threshold. Defaults to 0.15.
        high (float): Canny high threshold. Defaults to 0.3.
        mask (np.ndarray, optional): Pixels with prediction, see
            :func:`canny_depth_edges` (why a mask and not NaN).

    Returns:
        tuple[float, float]: ``(dbe_acc, dbe_comp)`` in pixels, lower is better;
        ``(nan, nan)`` when ``gt_edges`` has no edge.
    """
    gt_edges = np.asarray(gt_edges) != 0
    if gt_edges.shape != np.shape(pred):
        raise ValueError(f'gt_edges {gt_edges.shape} and pred {np.shape(pred)} differ')
    if not gt_edges.any():
        return float('nan'), float('nan')
    return chamfer_errors(canny_depth_edges(pred, mask, low, high), gt_edges, theta)


def gt_edges_from_depth(gt: np.ndarray, valid: np.ndarray, t: float = 1.1) -> np.ndarray:
    """GT edges for datasets without edge maps (NYU, KITTI): thin occlusion contours.

    iBims-1's GT edges are thin (1 px) contours of the occluding objects. This
    rule gives the same kind of map from GT depth: for every 4-neighbour pair of
    two valid pixels whose depth ratio ``max(a/b, b/a)`` exceeds ``t``, the
    nearer pixel (the occluding side) is an edge. Smooth and slanted surfaces
    (neighbour ratios near 1) and the borders of missing depth give no edge.

    Args:
        gt (np.ndarray): (H, W) GT depth.
        valid (np.ndarray): (H, W) bool, pixels with GT.
        t (float): Ratio threshold. Defaults to 1.1 (the 10 % jump of
            :func:`~mmdepth_dgr.evaluation.functional.depth_edge_mask`).

    Returns:
        np.ndarray: (H, W) bool edge map.
    """
    gt = np.asarray(gt, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    safe = np.where(valid, gt, 1.0)
    edges = np.zeros(gt.shape, dtype=bool)
    for axis in (0, 1):
        first, second = _pair_views(safe, axis)
        both = pair_mask(valid, gt.shape, axis)
        edge_first, edge_second = _pair_views(edges, axis)  # views: written in place
        edge_first |= both & (second > t * first)
        edge_second |= both & (first > t * second)
    return edges


# ----------------------------------------------------------------------------------------
# Continuity: spurious jumps in GT-smooth regions (this project's definition)
# ----------------------------------------------------------------------------------------


def neighbour_jumps(depth: np.ndarray, t: float, valid: Optional[np.ndarray] = None
                    ) -> Dict[str, np.ndarray]:
    """Neighbour pairs whose depth ratio ``max(a/b, b/a)`` exceeds ``t``.

    The ratio of inverse depths is the same, so these are the pairs that are a
    Depth Pro contour in one of the two directions of their axis.

    Args:
        depth (np.ndarray): (H, W) depth, positive where ``valid``.
        t (float): Ratio threshold.
        valid (np.ndarray, optional): (H, W) bool; only pairs of valid pixels.

    Returns:
        dict[str, np.ndarray]: ``horizontal`` (H, W-1) and ``vertical`` (H-1, W).
    """
    depth = np.asarray(depth, dtype=np.float64)
    out = {}
    for name, axis in _AXES.items():
        first, second = _pair_views(depth, axis)
        ratio = np.maximum(first, second) / np.minimum(first, second)
        out[name] = (ratio > t) & pair_mask(valid, depth.shape, axis)
    return out


def gt_smooth_pairs(gt: np.ndarray, valid: Optional[np.ndarray] = None, t: float = 1.05,
                    k: int = 2, unknown: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """Neighbour pairs where the ground truth is smooth.

    A pair is GT-smooth when both pixels are valid and neither is within ``k``
    pixels (square neighbourhood, ``scipy.ndimage.binary_dilation``) of a pixel
    of a GT contour pair, a contour being a :func:`neighbour_jumps` pair at
    ratio ``t`` (Depth Pro's smallest threshold), or of an ``unknown`` pixel.
    Depth sensors lose depth right at occlusion edges (Kinect shadows), so a
    contour can hide in a hole: holes of dense GT get the contours' margin.

    Args:
        gt (np.ndarray): (H, W) GT depth.
        valid (np.ndarray, optional): (H, W) bool of the pixels with GT.
        t (float): Contour ratio. Defaults to 1.05.
        k (int): Margin around contours in pixels. Defaults to 2.
        unknown (np.ndarray, optional): (H, W) bool of the pixels without GT that
            may hide a contour (holes inside the evaluated region). Defaults to none.

    Returns:
        dict[str, np.ndarray]: ``horizontal`` (H, W-1) and ``vertical`` (H-1, W).
    """
    gt = np.asarray(gt, dtype=np.float64)
    valid = np.ones(gt.shape, bool) if valid is None else np.asarray(valid, dtype=bool)
    near = (np.zeros(gt.shape, dtype=bool) if unknown is None
            else np.asarray(unknown, dtype=bool) & ~valid)
    for name, jumps in neighbour_jumps(np.where(valid, gt, 1.0), t, valid).items():
        first, second = _pair_views(near, _AXES[name])
        first |= jumps
        second |= jumps
    if k > 0 and near.any():
        near = ndimage.binary_dilation(near, structure=np.ones((3, 3), bool), iterations=k)
    smooth = valid & ~near
    return {name: pair_mask(smooth, gt.shape, axis) for name, axis in _AXES.items()}


def continuity_errors(pred: np.ndarray, gt: np.ndarray, valid: Optional[np.ndarray] = None,
                      t_min: float = 1.05, t_max: float = 1.25, n: int = 10, k: int = 2,
                      eps: float = 1e-6,
                      unknown: Optional[np.ndarray] = None) -> Dict[str, float]:
    """Unnatural depth jumps of a prediction where the ground truth is smooth.

    No published metric exists for the paper's "unnatural depth jumps in smooth
    areas"; this one is defined on the GT-smooth pairs ``S`` of
    :func:`gt_smooth_pairs` (ratio ``t_min``, margin ``k``), horizontal and
    vertical pairs pooled:

    - ``spurious_jump_rate = sum_t w_t * |J_t & S| / |S|`` with ``J_t`` the
      prediction's :func:`neighbour_jumps` at ratio ``t`` (a Depth Pro contour
      in either direction) and ``t, w_t`` of :func:`boundary_thresholds`: the
      fraction is taken at each threshold, then weighted as ``boundary_f1``.
    - ``smooth_log_grad_error = mean_S |(ln p_b - ln p_a) - (ln g_b - ln g_a)|``
      for the pairs ``(a, b)`` (both directions, depths clipped at ``eps``).

    Both are 0 for a perfect prediction and ignore a global scale of it.

    Args:
        pred (np.ndarray): (H, W) predicted depth.
        gt (np.ndarray): (H, W) GT depth.
        valid (np.ndarray, optional): (H, W) bool of the pixels with GT.
        t_min, t_max, n: Thresholds, as in :func:`boundary_f1`.
        k (int): Margin around GT contours in pixels. Defaults to 2.
        eps (float): Depth clip before the logarithm. Defaults to 1e-6.
        unknown (np.ndarray, optional): Holes that get the contours' margin, see
            :func:`gt_smooth_pairs`.

    Returns:
        dict[str, float]: ``spurious_jump_rate``, ``smooth_log_grad_error``
        (both lower-better, NaN without a smooth pair) and ``n_smooth_pairs``.
    """
    pred = np.clip(np.asarray(pred, dtype=np.float64), eps, None)
    gt_safe = np.clip(np.asarray(gt, dtype=np.float64), eps, None)
    smooth = gt_smooth_pairs(gt_safe, valid, t_min, k, unknown)
    n_smooth = int(sum(m.sum() for m in smooth.values()))
    if n_smooth == 0:
        return dict(spurious_jump_rate=float('nan'), smooth_log_grad_error=float('nan'),
                    n_smooth_pairs=0)
    thresholds, weights = boundary_thresholds(t_min, t_max, n)
    rates = [sum(np.count_nonzero(jumps & smooth[name])
                 for name, jumps in neighbour_jumps(pred, t).items()) / n_smooth
             for t in thresholds]
    log_pred, log_gt = np.log(pred), np.log(gt_safe)
    abs_err = 0.0
    for name, axis in _AXES.items():
        p_first, p_second = _pair_views(log_pred, axis)
        g_first, g_second = _pair_views(log_gt, axis)
        diff = (p_second - p_first) - (g_second - g_first)
        abs_err += np.abs(diff[smooth[name]]).sum()
    return dict(spurious_jump_rate=float(np.dot(rates, weights)),
                smooth_log_grad_error=float(abs_err / n_smooth), n_smooth_pairs=n_smooth)


# ----------------------------------------------------------------------------------------
# One image, as DepthEvalMetric evaluates it
# ----------------------------------------------------------------------------------------


#: Fraction of the evaluated region with GT above which the GT counts as dense (NYU Kinect,
#: iBims-1, the synthetic renders) and its holes get the contours' margin in the continuity
#: numbers; sparse LiDAR (KITTI, about 5-15%) borders a hole at every pixel.
DENSE_GT_FRACTION = 0.5


def image_boundary_metrics(gt: np.ndarray, pred: np.ndarray, min_depth: float,
                           max_depth: float, crop: Optional[str] = None,
                           median_scaling: bool = False,
                           uncropped_shape: Optional[Tuple[int, int]] = None,
                           offset: Tuple[int, int] = (0, 0),
                           gt_edges: Optional[np.ndarray] = None,
                           edge_ratio: float = 1.1) -> Dict[str, float]:
    """The :data:`BOUNDARY_METRICS` of one image with the standard evaluation conventions.

    The prediction is median-scaled (if asked) and, except for DBE, clamped as
    the standard metrics do. ``valid`` is the standard evaluated mask (GT in
    the caps, inside the crop). DBE: canny runs on the unclamped prediction
    (as the official iBims-1 script) over the crop region's finite, positive
    pixels, and the GT edges (``gt_edges`` or, without them,
    :func:`gt_edges_from_depth` of the valid GT at ``edge_ratio``) are kept
    inside the crop. ``boundary_f1`` and the continuity numbers use the valid
    pairs; when the GT is dense (at least :data:`DENSE_GT_FRACTION` of the
    region valid) its holes get the contours' margin (:func:`gt_smooth_pairs`).
    NaN marks a number that does not exist for the image: DBE without
    GT edges, ``boundary_f1`` without any GT contour pair at ``t = 1.05`` (the
    published value would be 0 whatever the prediction), continuity without a
    GT-smooth pair.

    Args:
        gt, pred, min_depth, max_depth, crop, uncropped_shape, offset: As in
            :func:`~.depth.evaluated_pixels`.
        median_scaling (bool): Median-scale the prediction first.
        gt_edges (np.ndarray, optional): (H, W) GT edge map, nonzero = edge.
        edge_ratio (float): ``t`` of :func:`gt_edges_from_depth`. Defaults to 1.1.

    Returns:
        dict[str, float]: :data:`BOUNDARY_METRICS` plus ``n_gt_edge`` and
        ``n_smooth_pairs``.
    """
    gt, pred, valid = evaluated_pixels(gt, pred, min_depth, max_depth, crop, uncropped_shape,
                                       offset)
    region = eval_crop_mask(gt.shape, crop, uncropped_shape, offset)
    scaled = pred * median_scale(gt[valid], pred[valid]) if median_scaling else pred
    if gt_edges is None:
        edges = gt_edges_from_depth(gt, valid, edge_ratio)
    else:
        edges = np.asarray(gt_edges).reshape(gt.shape) != 0
    edges &= region
    # DBE on the unclamped prediction, as the official script (pred_org): iBims-1 depths
    # reach 50 m, beyond the 10 m cap of the other numbers.
    with np.errstate(invalid='ignore'):
        has_pred = region & np.isfinite(scaled) & (scaled > 0)
    acc, comp = depth_boundary_errors(np.where(has_pred, scaled, 0.0), edges, mask=has_pred)
    pred = clip_prediction(scaled, min_depth, max_depth)
    has_contour = any(m.any() for m in neighbour_jumps(np.where(valid, gt, 1.0), 1.05,
                                                       valid).values())
    f1 = boundary_f1(pred, gt, valid=valid) if has_contour else float('nan')
    out = dict(dbe_acc=acc, dbe_comp=comp, boundary_f1=f1, n_gt_edge=int(edges.sum()))
    dense = region.any() and valid[region].mean() >= DENSE_GT_FRACTION
    out.update(continuity_errors(pred, gt, valid, unknown=region & ~valid if dense else None))
    return out
