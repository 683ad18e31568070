"""iBims-1 geometric errors (Koch et al., ECCV-W 2018): planarity and directed depth errors.

Reimplemented from the definitions of the paper and of the official evaluation script
(``evaluate_ibims_error_metrics.py`` of the iBims-1 release), with its conventions:

- invalid pixels are 0 (or non-finite) in ``gt`` and ``pred``;
- a plane is evaluated only when its valid pixels cover at least 5% of a 640x480 frame;
- the prediction is median-scaled towards the GT on each plane before the fit;
- pixels are back-projected with 1-based pixel coordinates into the frame
  ``X = (u - cx) d / fx`` (right), ``Y = d`` (forward), ``Z = -(v - cy) d / fy`` (up), the
  frame the GT plane normals of the release are given in;
- flatness is in centimetres, orientation in degrees.
"""
import math
from typing import Sequence, Tuple, Union

import numpy as np

#: Plane types of iBims-1, in the order the official evaluation appends them.
PLANE_TYPES = ('wall', 'table', 'floor')

#: Frame size (H, W) of the official 5% rule: the official code divides by 640 * 480 whatever
#: the map size is; kept so numbers match the published ones.
IBIMS_FRAME = (480, 640)

CalibLike = Union[np.ndarray, Sequence[float]]


def calib_intrinsics(calib: CalibLike) -> Tuple[float, float, float, float]:
    """``(fx, fy, cx, cy)`` from an iBims-1 calibration.

    Accepts the 3x3 matrix of the ``.mat`` release, which is MATLAB's transposed
    intrinsic matrix ``[[fx, 0, 0], [0, fy, 0], [cx, cy, 1]]`` (the official code reads
    ``fx = calib[0, 0]``, ``fy = calib[1, 1]``, ``cx = calib[2, 0]``, ``cy = calib[2, 1]``),
    the usual ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` (recognised by its nonzero last
    column and zero last row), or the four numbers ``(fx, fy, cx, cy)``.

    Args:
        calib (np.ndarray | Sequence[float]): The calibration.

    Returns:
        tuple[float, float, float, float]: ``(fx, fy, cx, cy)`` in pixels.

    Raises:
        ValueError: ``calib`` is neither 4 numbers nor a 3x3 matrix.
    """
    arr = np.asarray(calib, dtype=np.float64)
    if arr.size == 4:
        fx, fy, cx, cy = arr.reshape(4).tolist()
        return fx, fy, cx, cy
    if arr.size != 9:
        raise ValueError(f'calibration must be (fx, fy, cx, cy) or a 3x3 matrix, got shape '
                         f'{arr.shape}')
    k = arr.reshape(3, 3)
    if k[0, 2] != 0 and k[2, 0] == 0 and k[2, 1] == 0:  # [[fx,0,cx],[0,fy,cy],[0,0,1]]
        return float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2])
    return float(k[0, 0]), float(k[1, 1]), float(k[2, 0]), float(k[2, 1])


def _valid(depth: np.ndarray) -> np.ndarray:
    return np.isfinite(depth) & (depth > 0)


def directed_depth_errors(gt: np.ndarray, pred: np.ndarray,
                          threshold: float = 3.0) -> Tuple[float, float, float]:
    """Directed depth errors DDE^0, DDE^- and DDE^+ at a distance ``threshold``.

    Definition (Koch et al. 2018, Sec. 4): the pixels valid in both maps are split by the
    plane at ``threshold`` metres into near (``depth <= threshold``) and far. DDE^0 is the
    fraction of pixels put on the correct side by the prediction, DDE^- the fraction
    predicted near while the GT is far (depth underestimated, "too close"), DDE^+ the
    fraction predicted far while the GT is near (overestimated, "too far"). The three sum
    to 1. The official script reports them as fractions at 3 m; multiply by 100 for the
    paper's percentages.

    Args:
        gt (np.ndarray): Ground-truth depth in metres; 0 or non-finite = invalid.
        pred (np.ndarray): Predicted depth, same shape; 0 or non-finite = invalid.
        threshold (float): Distance of the plane in metres. Defaults to 3.0.

    Returns:
        tuple[float, float, float]: ``(dde_0, dde_minus, dde_plus)``, NaN when no pixel is
        valid in both maps.

    Raises:
        ValueError: The shapes differ.
    """
    gt = np.asarray(gt, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    if gt.shape != pred.shape:
        raise ValueError(f'gt {gt.shape} and pred {pred.shape} differ in shape')
    valid = _valid(gt) & _valid(pred)
    n = int(valid.sum())
    if n == 0:
        return float('nan'), float('nan'), float('nan')
    gt_near = gt[valid] <= threshold
    pred_near = pred[valid] <= threshold
    dde_0 = float(np.count_nonzero(gt_near == pred_near)) / n
    dde_minus = float(np.count_nonzero(pred_near & ~gt_near)) / n
    dde_plus = float(np.count_nonzero(~pred_near & gt_near)) / n
    return dde_0, dde_minus, dde_plus


def backproject(depth: np.ndarray, calib: CalibLike) -> np.ndarray:
    """3D points of a depth map in the iBims-1 evaluation frame.

    ``X = (u - cx) d / fx``, ``Y = d``, ``Z = -(v - cy) d / fy`` with ``u``, ``v`` the
    1-based column and row (the official code builds its pixel grid from 1, MATLAB style,
    matching the calibration's principal point; kept as published).

    Args:
        depth (np.ndarray): (H, W) depth in metres.
        calib (np.ndarray | Sequence[float]): See :func:`calib_intrinsics`.

    Returns:
        np.ndarray: (H, W, 3) points.
    """
    fx, fy, cx, cy = calib_intrinsics(calib)
    depth = np.asarray(depth, dtype=np.float64)
    h, w = depth.shape
    v, u = np.mgrid[1:h + 1, 1:w + 1].astype(np.float64)
    return np.stack([(u - cx) * depth / fx, depth, -(v - cy) * depth / fy], axis=-1)


def fit_plane(points: np.ndarray) -> Tuple[np.ndarray, float]:
    """Least-squares (PCA) plane of 3D points: the normal is the direction of least variance.

    Args:
        points (np.ndarray): (N, 3) points, N >= 3.

    Returns:
        tuple[np.ndarray, float]: Unit normal ``n`` and offset ``d`` with ``n . p + d = 0``
        on the plane (through the centroid). The sign of ``n`` is arbitrary.
    """
    centroid = points.mean(axis=0)
    cov = np.cov((points - centroid).T, bias=True)
    _, vecs = np.linalg.eigh(cov)  # ascending eigenvalues
    normal = vecs[:, 0]
    return normal, -float(normal @ centroid)


def planarity_errors(gt: np.ndarray, pred: np.ndarray, plane_mask: np.ndarray,
                     plane_params: np.ndarray, calib: CalibLike,
                     min_fraction: float = 0.05,
                     frame: Tuple[int, int] = IBIMS_FRAME) -> Tuple[np.ndarray, np.ndarray]:
    """Planarity errors PE_fla (flatness) and PE_ori (orientation) of each annotated plane.

    Definition (Koch et al. 2018, Sec. 4, and the official script): for plane ``j``
    (pixels where ``plane_mask == j + 1`` that are valid in ``gt`` and ``pred``), skipped
    (NaN) when those pixels are fewer than ``min_fraction`` of a ``frame`` image (5% of
    640x480, fixed, as published). The prediction is scaled by
    ``median(gt) / median(pred)`` over the plane's pixels, back-projected
    (:func:`backproject`), and a plane is fitted to the points by PCA
    (:func:`fit_plane`). PE_fla is the standard deviation (population, ``ddof=0``) of the
    points' signed distances to the fitted plane, in centimetres. PE_ori is the 3D angle
    ``atan2(|n x n_gt|, n . n_gt)`` in degrees between the fitted normal, oriented towards
    the GT normal ``n_gt = plane_params[j, 4:7]`` (the official code flips it when
    ``n . n_gt < 0``, so the result does not depend on the PCA sign), and ``n_gt``.

    Args:
        gt (np.ndarray): (H, W) ground-truth depth in metres, already masked (0 or
            non-finite = invalid).
        pred (np.ndarray): (H, W) predicted depth in metres; 0 or non-finite = invalid.
        plane_mask (np.ndarray): (H, W) integer labels: 0 = no plane of this type, ``k`` =
            the plane of row ``k - 1`` of ``plane_params`` (the ``mask_<type>`` of the
            release).
        plane_params (np.ndarray): (N, >=7) plane parameters of one type
            (``mask_<type>_paras``); columns 4..6 hold the GT unit normal in the frame of
            :func:`backproject`, the only columns the evaluation reads.
        calib (np.ndarray | Sequence[float]): See :func:`calib_intrinsics`.
        min_fraction (float): Smallest valid plane size, as a fraction of ``frame``.
            Defaults to 0.05.
        frame (tuple[int, int]): Reference frame size of the size rule. Defaults to
            (480, 640).

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(flatness_cm, orientation_deg)``, each of length
        N (NaN for planes below the size rule).

    Raises:
        ValueError: Shapes differ, or ``plane_params`` is not (N, >=7).
    """
    gt = np.asarray(gt, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    plane_mask = np.asarray(plane_mask)
    if not gt.shape == pred.shape == plane_mask.shape:
        raise ValueError(f'gt {gt.shape}, pred {pred.shape} and plane_mask {plane_mask.shape} '
                         'must have the same shape')
    params = np.asarray(plane_params, dtype=np.float64)
    if params.size == 0:
        return np.empty(0), np.empty(0)
    if params.ndim == 1:
        params = params[None]
    if params.ndim != 2 or params.shape[1] < 7:
        raise ValueError(f'plane_params must be (N, 7) (normal in columns 4..6), got shape '
                         f'{params.shape}')
    valid = _valid(gt) & _valid(pred)
    min_pixels = min_fraction * frame[0] * frame[1]
    points_all = None
    flatness = np.full(len(params), np.nan)
    orientation = np.full(len(params), np.nan)
    for j, row in enumerate(params):
        plane = valid & (plane_mask == j + 1)
        if plane.sum() < min_pixels:
            continue
        scale = np.median(gt[plane]) / np.median(pred[plane])
        if points_all is None:
            points_all = backproject(pred, calib)
        points = points_all[plane] * scale  # back-projection is linear in depth
        normal, offset = fit_plane(points)
        flatness[j] = float(np.std(points @ normal + offset)) * 100.0
        n_gt = row[4:7]
        if normal @ n_gt < 0:
            normal = -normal
        orientation[j] = math.degrees(math.atan2(float(np.linalg.norm(np.cross(n_gt, normal))),
                                                 float(normal @ n_gt)))
    return flatness, orientation
