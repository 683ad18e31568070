"""DepthRandomRotate: image and depth rotated by one matrix (bilinear / nearest), fill, errors."""
import cv2
import numpy as np
import pytest

from mmdepth_dgr.datasets.transforms import DepthRandomRotate
from mmdepth_dgr.testing.transforms import (
    assert_exact_alignment,
    assert_piecewise_exact,
    make_results,
    piecewise_scene,
    unique_scene,
)


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_rotate_alignment(seed):
    np.random.seed(seed)
    img, depth = piecewise_scene(480, 640, seed)
    res = DepthRandomRotate(max_degree=2.5)(make_results(img, depth.copy()))
    assert 0 < abs(res['rotate_angle']) <= 2.5
    assert not np.array_equal(res['gt_depth_map'], depth)
    assert_piecewise_exact(res['img'], res['gt_depth_map'])


def test_rotate_shared_matrix_exact():
    """With nearest interpolation for both, image and depth sample identical pixels."""
    np.random.seed(4)
    img, depth = unique_scene(240, 320)
    res = DepthRandomRotate(max_degree=2.5, img_interpolation='nearest')(
        make_results(img, depth))
    assert res['rotate_angle'] != 0
    assert_exact_alignment(res['img'], res['gt_depth_map'])


def test_rotate_geometry_matches_stored_angle():
    """Independent check: output pixel = input at the centre-rotated position (+ = CCW)."""
    np.random.seed(1)
    h, w = 240, 320
    img, depth = unique_scene(h, w, invalid_frac=0.0)
    res = DepthRandomRotate(max_degree=5.0)(make_results(img, depth))
    theta = np.deg2rad(res['rotate_angle'])
    assert abs(res['rotate_angle']) > 0.5
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    sx = np.cos(theta) * (xx - cx) - np.sin(theta) * (yy - cy) + cx
    sy = np.sin(theta) * (xx - cx) + np.cos(theta) * (yy - cy) + cy
    # skip pixels outside the source and those too close to a rounding tie
    ok = (sx > 0.5) & (sx < w - 1.5) & (sy > 0.5) & (sy < h - 1.5)
    ok &= (np.abs(sx % 1 - 0.5) > 0.05) & (np.abs(sy % 1 - 0.5) > 0.05)
    expected = depth[np.rint(sy[ok]).astype(int), np.rint(sx[ok]).astype(int)]
    assert ok.sum() > 0.5 * h * w
    assert (res['gt_depth_map'][ok] == expected).mean() > 0.99


def test_rotate_alignment_check_detects_misalignment():
    """Negative control: image and depth rotated by different angles must fail."""
    img, depth = piecewise_scene(480, 640)
    matrix_img = cv2.getRotationMatrix2D((319.5, 239.5), 2.0, 1.0)
    matrix_depth = cv2.getRotationMatrix2D((319.5, 239.5), -2.0, 1.0)
    rot_img = cv2.warpAffine(img, matrix_img, (640, 480), flags=cv2.INTER_LINEAR)
    rot_depth = cv2.warpAffine(depth, matrix_depth, (640, 480), flags=cv2.INTER_NEAREST)
    with pytest.raises(AssertionError):
        assert_piecewise_exact(rot_img, rot_depth)


def test_rotate_fills_zero_and_keeps_depth_values():
    np.random.seed(5)
    img, depth = unique_scene(240, 320, invalid_frac=0.0)
    img = np.maximum(img, 1)  # no zero pixel before rotation
    assert depth.min() > 0
    res = DepthRandomRotate(max_degree=10.0)(make_results(img, depth.copy()))
    assert abs(res['rotate_angle']) > 1.0
    out_depth, out_img = res['gt_depth_map'], res['img']
    assert out_depth.dtype == np.float32 and out_img.dtype == np.uint8
    for y, x in [(0, 0), (0, -1), (-1, 0), (-1, -1)]:
        assert out_depth[y, x] == 0
        assert np.all(out_img[y, x] == 0)
    assert np.isin(out_depth, np.append(depth.ravel(), 0)).all()  # nearest: no new values
    assert (out_depth > 0).mean() > 0.8


def test_rotate_prob_zero_and_determinism():
    img, depth = piecewise_scene(120, 160)
    res = DepthRandomRotate(prob=0.0)(make_results(img.copy(), depth.copy()))
    assert res['rotate_angle'] == 0.0
    np.testing.assert_array_equal(res['img'], img)
    np.testing.assert_array_equal(res['gt_depth_map'], depth)

    angles = []
    for _ in range(2):
        np.random.seed(11)
        angles.append(DepthRandomRotate(max_degree=1.0)(make_results(img, depth))['rotate_angle'])
    assert angles[0] == angles[1] and 0 < abs(angles[0]) <= 1.0


def test_rotate_bad_args():
    with pytest.raises(ValueError, match='depth_interpolation'):
        DepthRandomRotate(depth_interpolation='linear')
    with pytest.raises(ValueError, match='prob'):
        DepthRandomRotate(prob=2.0)
