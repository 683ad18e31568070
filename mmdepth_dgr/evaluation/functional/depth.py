"""The standard depth metrics, BTS / Monocular-Depth-Estimation-Toolbox conventions."""
from typing import Dict, Optional, Tuple

import numpy as np

#: The nine standard numbers, in the order the community prints them.
DEPTH_METRICS = ('d1', 'd2', 'd3', 'abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10', 'silog')

#: Evaluation crops. ``garg`` and ``eigen`` are fractions of the (un-KB-cropped)
#: ground-truth size, as (top, bottom, left, right); ``nyu`` is the Eigen crop
#: rows 45:471, cols 41:601 of the 480x640 NYU frame, scaled for other sizes.
EVAL_CROPS = {
    'garg': (0.40810811, 0.99189189, 0.03594771, 0.96405229),
    'eigen': (0.3324324, 0.91351351, 0.0359477, 0.96405229),
    'nyu': (45 / 480, 471 / 480, 41 / 640, 601 / 640),
}


def eval_crop_mask(shape: Tuple[int, int], crop: Optional[str],
                   uncropped_shape: Optional[Tuple[int, int]] = None,
                   offset: Tuple[int, int] = (0, 0)) -> np.ndarray:
    """Boolean mask of the evaluation crop.

    ``garg`` and ``eigen`` follow BTS: ``mask[int(t*H):int(b*H), int(l*W):int(r*W)]``
    with ``H, W`` the ground-truth size before any KB crop. ``nyu`` is exactly
    ``[45:471, 41:601]`` at 480x640 and scales proportionally (rounded) for other
    sizes, e.g. the synthetic data.

    Args:
        shape (tuple[int, int]): Shape (H, W) of the map the mask is for.
        crop (str, optional): ``'garg'``, ``'eigen'``, ``'nyu'`` or None (no crop).
        uncropped_shape (tuple[int, int], optional): Full frame size when the map
            is a KB crop of it; defaults to ``shape``.
        offset (tuple[int, int]): (top, left) of the map inside the full frame.

    Returns:
        np.ndarray: bool array of ``shape``.

    Raises:
        ValueError: Unknown crop name.
    """
    if crop is None:
        return np.ones(shape, dtype=bool)
    if crop not in EVAL_CROPS:
        raise ValueError(f'unknown evaluation crop {crop!r}; choose one of '
                         f'{sorted(EVAL_CROPS)} or None')
    full_h, full_w = uncropped_shape if uncropped_shape is not None else shape
    top_f, bottom_f, left_f, right_f = EVAL_CROPS[crop]
    to_index = round if crop == 'nyu' else int
    rows = (to_index(top_f * full_h), to_index(bottom_f * full_h))
    cols = (to_index(left_f * full_w), to_index(right_f * full_w))
    full = np.zeros((full_h, full_w), dtype=bool)
    full[rows[0]:rows[1], cols[0]:cols[1]] = True
    top, left = offset
    mask = full[top:top + shape[0], left:left + shape[1]]
    if mask.shape != tuple(shape):
        raise ValueError(f'map of shape {tuple(shape)} at offset {offset} does not fit in '
                         f'the uncropped frame {(full_h, full_w)}')
    return mask


#: Per-image counts of the non-finite predictions :func:`clip_prediction` replaces.
NON_FINITE_COUNTS = ('n_nan', 'n_posinf', 'n_neginf')


def count_non_finite(pred: np.ndarray) -> Dict[str, int]:
    """Count the NaN, +inf and -inf values of a prediction.

    Args:
        pred (np.ndarray): Predicted depth, any shape.

    Returns:
        dict[str, int]: The counts keyed by :data:`NON_FINITE_COUNTS`.
    """
    pred = np.asarray(pred)
    return dict(n_nan=int(np.isnan(pred).sum()), n_posinf=int(np.isposinf(pred).sum()),
                n_neginf=int(np.isneginf(pred).sum()))


def clip_prediction(pred: np.ndarray, min_depth: float, max_depth: float) -> np.ndarray:
    """Clamp a prediction to the evaluation range as BTS does (inf -> max, nan -> min).

    Both +inf and -inf become ``max_depth`` (BTS's ``pred[np.isinf(pred)] = max``);
    published numbers depend on this, so it is kept. :func:`evaluate_depth` counts
    the replaced values (:func:`count_non_finite`) so that callers can report them.

    Args:
        pred (np.ndarray): Predicted depth.
        min_depth (float): Lower evaluation cap.
        max_depth (float): Upper evaluation cap.

    Returns:
        np.ndarray: float64 copy of ``pred`` within ``[min_depth, max_depth]``.
    """
    pred = np.array(pred, dtype=np.float64)
    pred[np.isinf(pred)] = max_depth
    pred[np.isnan(pred)] = min_depth
    return np.clip(pred, min_depth, max_depth)


def compute_depth_metrics(gt: np.ndarray, pred: np.ndarray) -> Dict[str, float]:
    """The nine standard depth metrics of one image (BTS ``compute_errors``).

    With ``t = max(gt/pred, pred/gt)`` and ``e = ln pred - ln gt``:
    ``d_k = mean(t < 1.25**k)``, ``abs_rel = mean(|gt - pred| / gt)``,
    ``sq_rel = mean((gt - pred)**2 / gt)``, ``rmse = sqrt(mean((gt - pred)**2))``,
    ``rmse_log = sqrt(mean(e**2))``, ``log10 = mean(|log10 gt - log10 pred|)``,
    ``silog = 100 * sqrt(mean(e**2) - mean(e)**2)``.

    Args:
        gt (np.ndarray): Valid ground-truth depths (positive), any shape.
        pred (np.ndarray): Predictions at the same pixels (positive).

    Returns:
        dict[str, float]: The values keyed by :data:`DEPTH_METRICS`.

    Raises:
        ValueError: Shapes differ, no pixel is given, or a value is not positive.
    """
    gt = np.asarray(gt, dtype=np.float64).ravel()
    pred = np.asarray(pred, dtype=np.float64).ravel()
    if gt.shape != pred.shape:
        raise ValueError(f'gt and pred sizes differ: {gt.shape} vs {pred.shape}')
    if gt.size == 0:
        raise ValueError('no valid pixel to evaluate')
    if not (np.all(gt > 0) and np.all(pred > 0)):
        raise ValueError('depth metrics need positive gt and pred (clip predictions first)')
    thresh = np.maximum(gt / pred, pred / gt)
    diff = gt - pred
    err_log = np.log(pred) - np.log(gt)
    return dict(
        d1=float(np.mean(thresh < 1.25)),
        d2=float(np.mean(thresh < 1.25**2)),
        d3=float(np.mean(thresh < 1.25**3)),
        abs_rel=float(np.mean(np.abs(diff) / gt)),
        sq_rel=float(np.mean(diff**2 / gt)),
        rmse=float(np.sqrt(np.mean(diff**2))),
        rmse_log=float(np.sqrt(np.mean(err_log**2))),
        log10=float(np.mean(np.abs(np.log10(gt) - np.log10(pred)))),
        silog=float(100.0 * np.sqrt(max(np.mean(err_log**2) - np.mean(err_log)**2, 0.0))),
    )


def evaluated_pixels(gt: np.ndarray, pred: np.ndarray, min_depth: float, max_depth: float,
                     crop: Optional[str] = None,
                     uncropped_shape: Optional[Tuple[int, int]] = None,
                     offset: Tuple[int, int] = (0, 0)) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float64 copies of a GT/prediction pair and the mask of the pixels evaluated.

    Valid pixels are ``min_depth < gt < max_depth`` inside the evaluation crop.

    Args:
        gt (np.ndarray): (H, W) ground truth, 0 where unknown.
        pred (np.ndarray): (H, W) prediction.
        min_depth (float): ``min_depth_eval``.
        max_depth (float): ``max_depth_eval``.
        crop (str, optional): See :func:`eval_crop_mask`.
        uncropped_shape (tuple[int, int], optional): Full frame size for KB crops.
        offset (tuple[int, int]): (top, left) of a KB crop.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: ``gt``, ``pred`` and the
        boolean mask.

    Raises:
        ValueError: ``gt`` and ``pred`` have different shapes.
    """
    gt = np.asarray(gt, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    if gt.shape != pred.shape:
        raise ValueError(f'prediction shape {pred.shape} differs from ground truth {gt.shape}')
    valid = (gt > min_depth) & (gt < max_depth)
    valid &= eval_crop_mask(gt.shape, crop, uncropped_shape, offset)
    return gt, pred, valid


def median_scale(gt: np.ndarray, pred: np.ndarray) -> float:
    """The Monodepth2 median-scaling factor ``median(gt) / median(pred)``.

    Args:
        gt (np.ndarray): Valid ground-truth depths.
        pred (np.ndarray): The predictions at the same pixels (non-finite ones are ignored).

    Returns:
        float: The factor; 1 when no finite prediction has a positive median.
    """
    finite = np.isfinite(pred)
    med_pred = np.median(pred[finite]) if finite.any() else 0.0
    return float(np.median(gt) / med_pred) if med_pred > 0 else 1.0


def evaluate_depth(gt: np.ndarray, pred: np.ndarray, min_depth: float, max_depth: float,
                   crop: Optional[str] = None, median_scaling: bool = False,
                   uncropped_shape: Optional[Tuple[int, int]] = None,
                   offset: Tuple[int, int] = (0, 0)) -> Optional[Dict[str, float]]:
    """Evaluate one prediction against its ground truth, BTS style.

    Valid pixels: ``min_depth < gt < max_depth`` inside the crop. With
    ``median_scaling`` the prediction is first multiplied by
    ``median(gt) / median(pred)`` over the valid pixels (Monodepth2 convention).
    The prediction is then clamped to ``[min_depth, max_depth]``, NaN becoming
    ``min_depth`` and +-inf ``max_depth`` (:func:`clip_prediction`).

    Args:
        gt, pred, min_depth, max_depth, crop, uncropped_shape, offset: As in
            :func:`evaluated_pixels`.
        median_scaling (bool): Median-scale the prediction first.

    Returns:
        dict | None: Metrics plus ``n_valid`` and the numbers of evaluated pixels
        whose prediction was NaN / +inf / -inf and was replaced
        (:data:`NON_FINITE_COUNTS`), or None when no pixel is valid.

    Raises:
        ValueError: ``gt`` and ``pred`` have different shapes.
    """
    gt, pred, valid = evaluated_pixels(gt, pred, min_depth, max_depth, crop, uncropped_shape,
                                       offset)
    if not valid.any():
        return None
    pred = pred[valid]
    gt = gt[valid]
    if median_scaling:
        pred = pred * median_scale(gt, pred)
    non_finite = count_non_finite(pred)
    pred = clip_prediction(pred, min_depth, max_depth)
    metrics = compute_depth_metrics(gt, pred)
    metrics['n_valid'] = int(valid.sum())
    metrics.update(non_finite)
    return metrics


#: Names of the depth-boundary numbers :func:`edge_depth_errors` returns.
EDGE_METRICS = ('edge_abs_rel', 'edge_rmse')


def depth_edge_mask(gt: np.ndarray, valid: np.ndarray, rel_jump: float = 0.1,
                    band: int = 1) -> np.ndarray:
    """Pixels on ground-truth depth discontinuities (occlusion boundaries).

    Two 4-neighbours ``p, q`` that both have valid ground truth form a
    discontinuity when ``|gt_p - gt_q| / min(gt_p, gt_q) > rel_jump``; both are
    marked, the marks are dilated by ``band`` pixels (square neighbourhood) and
    restricted to ``valid``. Smooth surfaces, even slanted ones, have neighbour
    ratios close to 1 and are not marked.

    Args:
        gt (np.ndarray): (H, W) ground truth depth.
        valid (np.ndarray): (H, W) bool, pixels with usable ground truth.
        rel_jump (float): Relative depth jump that makes an edge. Defaults to 0.1.
        band (int): Dilation radius in pixels (0 = only the two sides of the jump).

    Returns:
        np.ndarray: (H, W) bool edge mask.
    """
    gt = np.asarray(gt, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    if gt.shape != valid.shape or gt.ndim != 2:
        raise ValueError(f'gt {gt.shape} and valid {valid.shape} must be the same (H, W)')
    if rel_jump <= 0 or band < 0:
        raise ValueError(f'rel_jump must be > 0 and band >= 0, got {rel_jump}, {band}')
    safe = np.where(valid, gt, 1.0)
    marks = np.zeros_like(valid)
    for axis in (0, 1):
        a = safe.take(range(safe.shape[axis] - 1), axis=axis)
        b = safe.take(range(1, safe.shape[axis]), axis=axis)
        both = valid.take(range(valid.shape[axis] - 1), axis=axis) & valid.take(
            range(1, valid.shape[axis]), axis=axis)
        jump = both & (np.abs(a - b) > rel_jump * np.minimum(a, b))
        lo = [slice(None)] * 2
        hi = [slice(None)] * 2
        lo[axis] = slice(0, -1)
        hi[axis] = slice(1, None)
        marks[tuple(lo)] |= jump
        marks[tuple(hi)] |= jump
    if band > 0:
        padded = np.pad(marks, band)
        h, w = marks.shape
        dilated = np.zeros_like(marks)
        for dy in range(2 * band + 1):
            for dx in range(2 * band + 1):
                dilated |= padded[dy:dy + h, dx:dx + w]
        marks = dilated
    return marks & valid


def edge_depth_errors(gt: np.ndarray, pred: np.ndarray, min_depth: float, max_depth: float,
                      crop: Optional[str] = None, rel_jump: float = 0.1, band: int = 1,
                      uncropped_shape: Optional[Tuple[int, int]] = None,
                      offset: Tuple[int, int] = (0, 0)) -> Optional[Dict[str, float]]:
    """Depth-boundary error: abs_rel and rmse on the GT depth discontinuities only.

    The pixels are those of :func:`depth_edge_mask` among the pixels
    :func:`evaluate_depth` evaluates (caps and crop), with the prediction
    clamped the same way. Over-smoothed boundaries, the failure the paper's DGR
    targets, show up here much more than in the full-image numbers.

    Args:
        gt, pred, min_depth, max_depth, crop, uncropped_shape, offset: As in
            :func:`evaluated_pixels`.
        rel_jump (float): See :func:`depth_edge_mask`.
        band (int): See :func:`depth_edge_mask`.

    Returns:
        dict | None: ``edge_abs_rel``, ``edge_rmse`` and ``n_edge``, or None
        when the image has no edge pixel.
    """
    gt, pred, valid = evaluated_pixels(gt, pred, min_depth, max_depth, crop, uncropped_shape,
                                       offset)
    edge = depth_edge_mask(gt, valid, rel_jump, band)
    if not edge.any():
        return None
    g = gt[edge]
    p = clip_prediction(pred[edge], min_depth, max_depth)
    return dict(edge_abs_rel=float(np.mean(np.abs(g - p) / g)),
                edge_rmse=float(np.sqrt(np.mean((g - p)**2))), n_edge=int(edge.sum()))


# The sparse-pixel probe's evaluation (Sec. 3.1, Table 1, Fig. 3); its masking ops live in
# mmdepth_dgr.models.utils.probe_ops, where the probe model uses them.


def depth_rmse(gt: np.ndarray, pred: np.ndarray, min_depth: float, max_depth: float,
               crop: Optional[str] = None, uncropped_shape: Optional[Tuple[int, int]] = None,
               offset: Tuple[int, int] = (0, 0)) -> Optional[float]:
    """RMSE of one prediction with the project's evaluation conventions.

    Thin wrapper of :func:`~mmdepth_dgr.evaluation.functional.evaluate_depth`
    (valid GT range, evaluation crop, prediction clamped to the caps).

    Args:
        gt, pred, min_depth, max_depth, crop, uncropped_shape, offset: As in
            :func:`evaluate_depth` (without median scaling).

    Returns:
        float | None: The RMSE in metres, or None without a valid pixel.
    """
    metrics = evaluate_depth(gt, pred, min_depth, max_depth, crop=crop,
                             uncropped_shape=uncropped_shape, offset=offset)
    return None if metrics is None else metrics['rmse']


def gradient_magnitude(image: np.ndarray) -> np.ndarray:
    """Image gradient magnitude (Fig. 3, second column) of an RGB or grey image.

    3x3 Sobel derivatives of the grey image (mean of the channels, in [0, 1]),
    replicate border, ``sqrt(gx**2 + gy**2)``.

    Args:
        image (np.ndarray): (H, W, 3) or (H, W) image, uint8 or float.

    Returns:
        np.ndarray: (H, W) float64 magnitude.
    """
    img = np.asarray(image, dtype=np.float64)
    if np.issubdtype(np.asarray(image).dtype, np.integer):
        img = img / 255.0
    gray = img.mean(axis=2) if img.ndim == 3 else img
    p = np.pad(gray, 1, mode='edge')
    dx = p[:, 2:] - p[:, :-2]
    gx = dx[:-2] + 2 * dx[1:-1] + dx[2:]
    dy = p[2:, :] - p[:-2, :]
    gy = dy[:, :-2] + 2 * dy[:, 1:-1] + dy[:, 2:]
    return np.sqrt(gx**2 + gy**2)


def edge_affinity(kept: np.ndarray, weight: np.ndarray,
                  region: Optional[np.ndarray] = None) -> float:
    """How much a probe's kept pixels prefer high-``weight`` pixels (Fig. 3's claim as a number).

    ``mean(weight[kept]) / mean(weight)`` over ``region``: 1 for a mask indifferent to the
    weight (e.g. a random one), above 1 when the kept pixels lie where the weight is high.
    With ``weight`` the image-gradient magnitude (:func:`gradient_magnitude`) it measures the
    kept pixels' interest in image edges; with a 0/1 GT depth-boundary map, in boundaries
    (then it is the fraction of kept pixels on boundaries over the boundary fraction).

    Args:
        kept (np.ndarray): (H, W) bool or 0/1 binarised mask.
        weight (np.ndarray): (H, W) non-negative weight per pixel.
        region (np.ndarray, optional): (H, W) bool of the pixels that count (e.g. no
            padding). Defaults to all.

    Returns:
        float: The ratio; NaN when nothing is kept or the weight is 0 on the whole region.

    Raises:
        ValueError: Shapes differ or a weight is negative.
    """
    kept = np.asarray(kept).astype(bool)
    weight = np.asarray(weight, dtype=np.float64)
    region = np.ones(kept.shape, bool) if region is None else np.asarray(region, dtype=bool)
    if not kept.shape == weight.shape == region.shape:
        raise ValueError(f'kept {kept.shape}, weight {weight.shape} and region {region.shape} '
                         'must have the same (H, W) shape')
    if (weight[region] < 0).any():
        raise ValueError('edge_affinity needs a non-negative weight')
    kept &= region
    overall = weight[region].mean() if region.any() else 0.0
    if not kept.any() or overall <= 0:
        return float('nan')
    return float(weight[kept].mean() / overall)
