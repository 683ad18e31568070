"""iBims-1 planarity and directed depth errors on cases with known answers."""
import math

import numpy as np
import pytest

from mmdepth_dgr.evaluation.functional.ibims import (
    calib_intrinsics,
    directed_depth_errors,
    planarity_errors,
)
from mmdepth_dgr.testing.ibims import CALIB, SHAPE, plane_depth

#: the wall plane Y = 4 (normal (0, 1, 0)) covering the whole frame
FULL = np.ones(SHAPE, dtype=np.int32)
WALL = np.array([[0, 0, 0, 4.0, 0, 1, 0]])


def _tilted(angle_deg):
    """Normal of the wall rotated by ``angle_deg`` about the vertical (Z) axis."""
    a = math.radians(angle_deg)
    return np.array([math.sin(a), math.cos(a), 0.0])


def test_perfect_plane_has_zero_errors():
    gt = plane_depth((0, 1, 0), -4.0)
    fla, ori = planarity_errors(gt, gt.copy(), FULL, WALL, CALIB)
    assert fla.shape == ori.shape == (1,)
    assert fla[0] == pytest.approx(0, abs=1e-9)
    assert ori[0] == pytest.approx(0, abs=1e-6)


def test_median_scaling_makes_a_scaled_plane_perfect():
    normal = _tilted(20)
    gt = plane_depth(normal, -4.0)
    fla, ori = planarity_errors(gt, 0.37 * gt, FULL, np.array([[0, 0, 0, 4, *normal]]), CALIB)
    assert fla[0] == pytest.approx(0, abs=1e-9)
    assert ori[0] == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize('angle', [5.0, 17.0, 40.0])
def test_tilted_prediction_gives_its_angle(angle):
    gt = plane_depth((0, 1, 0), -4.0)
    pred = plane_depth(_tilted(angle), -4.0)
    fla, ori = planarity_errors(gt, pred, FULL, WALL, CALIB)
    assert ori[0] == pytest.approx(angle, abs=1e-6)
    assert fla[0] == pytest.approx(0, abs=1e-9)  # still a plane


def test_sign_of_gt_normal_does_not_matter():
    gt = plane_depth((0, 1, 0), -4.0)
    pred = plane_depth(_tilted(10), -4.0)
    flipped = WALL.copy()
    flipped[0, 4:7] *= -1
    _, ori = planarity_errors(gt, pred, FULL, flipped, CALIB)
    assert ori[0] == pytest.approx(10, abs=1e-6)


def test_noise_gives_its_std_in_cm():
    rng = np.random.default_rng(0)
    gt = np.full(SHAPE, 4.0)  # fronto-parallel: depth noise is distance to the plane
    std = 0.02
    pred = gt + rng.normal(0, std, SHAPE)
    fla, ori = planarity_errors(gt, pred, FULL, WALL, CALIB)
    assert fla[0] == pytest.approx(std * 100, rel=0.02)  # 2 cm
    assert ori[0] < 0.5


def test_five_percent_rule_uses_the_640x480_frame():
    gt = plane_depth((0, 1, 0), -4.0)
    mask = np.zeros(SHAPE, dtype=np.int32)
    need = int(np.ceil(0.05 * 480 * 640))
    mask.flat[:need] = 1
    mask.flat[need:2 * need - 1] = 2  # one pixel short
    params = np.vstack([WALL, WALL])
    fla, ori = planarity_errors(gt, gt, mask, params, CALIB)
    assert np.isfinite(fla[0]) and np.isfinite(ori[0])
    assert np.isnan(fla[1]) and np.isnan(ori[1])
    # invalid pixels do not count: the first plane drops under the rule with one GT hole
    gt_hole = gt.copy()
    gt_hole.flat[0] = 0
    fla, _ = planarity_errors(gt_hole, gt, mask, params, CALIB)
    assert np.isnan(fla[0])
    # the rule is relative to 640x480 even for a smaller map
    small = np.ones((100, 100), dtype=np.int32)
    fla, _ = planarity_errors(np.full((100, 100), 4.0), np.full((100, 100), 4.0), small,
                              WALL, CALIB)
    assert np.isnan(fla[0])


def test_labels_select_planes_and_empty_params():
    gt = plane_depth((0, 1, 0), -4.0)
    pred = gt.copy()
    pred[:, 320:] = plane_depth(_tilted(30), -4.0)[:, 320:]
    mask = np.ones(SHAPE, dtype=np.int32)
    mask[:, 320:] = 2
    _, ori = planarity_errors(gt, pred, mask, np.vstack([WALL, WALL]), CALIB)
    assert ori[0] == pytest.approx(0, abs=1e-6)
    assert ori[1] == pytest.approx(30, abs=1e-6)
    fla, ori = planarity_errors(gt, pred, mask, np.zeros((0, 7)), CALIB)
    assert fla.shape == ori.shape == (0,)


def test_calibration_layouts():
    fx, fy, cx, cy = 500.0, 510.0, 320.5, 240.5
    assert calib_intrinsics([[fx, 0, 0], [0, fy, 0], [cx, cy, 1]]) == (fx, fy, cx, cy)
    assert calib_intrinsics([[fx, 0, cx], [0, fy, cy], [0, 0, 1]]) == (fx, fy, cx, cy)
    assert calib_intrinsics([fx, fy, cx, cy]) == (fx, fy, cx, cy)
    with pytest.raises(ValueError):
        calib_intrinsics([1, 2, 3])


def test_dde_known_fractions():
    gt = np.array([1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 0.0, 2.0])
    pred = np.array([1.0, 4.0, 2.0, 3.5, 2.0, 2.5, 6.0, 8.0, 1.0, np.nan])
    # valid: 8 pixels (gt 0 and pred NaN out); gt near = 1, 2, 2.5, 3 (3 counts as near)
    # pred near on: 1.0 (ok), 4.0 (gt near -> too far), 2.0 (ok), 3.5 (gt 3 near -> too far),
    # 2.0 on gt 4 (too close), 2.5 on gt 5 (too close), 6 / 8 far on far (ok)
    dde_0, dde_m, dde_p = directed_depth_errors(gt, pred, 3.0)
    assert dde_0 == pytest.approx(4 / 8)
    assert dde_m == pytest.approx(2 / 8)
    assert dde_p == pytest.approx(2 / 8)


def test_dde_threshold_and_empty():
    gt = np.array([[1.0, 5.0], [9.0, 2.0]])
    assert directed_depth_errors(gt, gt, 3.0) == (1.0, 0.0, 0.0)
    assert directed_depth_errors(gt, np.full_like(gt, 6.0), 3.0) == (0.5, 0.0, 0.5)
    assert directed_depth_errors(gt, np.full_like(gt, 6.0), 10.0) == (1.0, 0.0, 0.0)
    assert all(math.isnan(v) for v in directed_depth_errors(gt, np.zeros_like(gt)))
    with pytest.raises(ValueError):
        directed_depth_errors(gt, gt[:1])


# ---------------------------------------------------------------------------------------
# Against a transcription of the official iBims-1 evaluation (compute_planarity_error,
# compute_directed_depth_error: NaN for missing depth, 1-based pixel grid, MATLAB-layout
# calibration, PCA normal, 5% of 640x480), independent of the implementation
# ---------------------------------------------------------------------------------------


def _official_planarity(gt, pred, paras, mask, calib):
    pred, gt = pred.astype(float), gt.astype(float)
    pred[pred == 0] = np.nan
    gt[gt == 0] = np.nan
    flat, orient = [], []
    for j in range(paras.shape[0]):
        plane = np.where(mask == j + 1, 1.0, np.nan)
        if np.nansum(plane) / (640. * 480.) < 0.05:
            flat.append(np.nan)
            orient.append(np.nan)
            continue
        est = pred / (np.nanmedian(pred * plane) / np.nanmedian(gt * plane)) * plane
        fx, fy, cx, cy = calib[0, 0], calib[1, 1], calib[2, 0], calib[2, 1]
        c, r = np.meshgrid(range(1, gt.shape[1] + 1), range(1, gt.shape[0] + 1))
        xs = ((c - cx) * est / fx).ravel()
        ys = est.ravel()
        zs = (-(r - cy) * est / fy).ravel()
        points = np.stack((xs[~np.isnan(xs)], ys[~np.isnan(ys)], zs[~np.isnan(zs)]))
        centre = points.mean(axis=1)
        normal = -np.linalg.svd(points.T - centre, full_matrices=False)[2][2]
        flat.append(np.std(points.T @ normal - normal @ centre) * 100)
        n_gt = paras[j, 4:7]
        if normal @ n_gt < 0:
            normal = -normal
        orient.append(math.degrees(math.atan2(np.linalg.norm(np.cross(n_gt, normal)),
                                              n_gt @ normal)))
    return np.array(flat), np.array(orient)


def _official_dde(gt, pred, threshold):
    gt, pred = gt[gt != 0], pred[pred != 0]
    near_gt, near_pred = (gt <= threshold).astype(int), (pred <= threshold).astype(int)
    diff = near_pred - near_gt
    return (np.mean(diff == 0), np.mean(diff == 1), np.mean(diff == -1))


def test_planarity_and_dde_equal_the_official_transcription():
    rng = np.random.default_rng(1)
    h, w = 480, 640
    calib = np.array([[518.0, 0, 0], [0, 522.0, 0], [300.3, 250.7, 1]])  # MATLAB layout
    normal = np.array([0.3, 0.9, -0.2]) / np.linalg.norm([0.3, 0.9, -0.2])
    gt = plane_depth(normal, -4.0, (h, w), (518.0, 522.0, 300.3, 250.7))
    pred = gt * (1 + 0.03 * rng.standard_normal((h, w))) * 1.7
    pred[rng.random((h, w)) < 0.1] = 0
    gt[rng.random((h, w)) < 0.1] = 0
    mask = np.zeros((h, w), np.int32)
    mask[:240], mask[240:], mask[:, :50] = 1, 2, 0
    valid = (gt > 0) & (pred > 0)
    paras = np.array([[0, 0, 0, 4, *normal], [0, 0, 0, 4, *(-normal)]])
    ours = planarity_errors(gt, pred, mask, paras, calib)
    official = _official_planarity(gt * valid, pred * valid, paras, mask * valid, calib)
    assert np.all(official[0] > 1.0)  # 3% noise: flatness of centimetres, not ~0
    for mine, theirs in zip(ours, official, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-6)
    g = rng.uniform(0.5, 8, (h, w))
    p = g * rng.uniform(0.6, 1.4, (h, w))
    g[rng.random((h, w)) < 0.1] = 0
    both = (g > 0) & (p > 0)
    expected = _official_dde((g * both).ravel(), (p * both).ravel(), 3.0)
    assert directed_depth_errors(g, p, 3.0) == pytest.approx(expected, abs=1e-12)
    assert min(expected[1:]) > 0.01  # both error kinds occur
