"""save_depth_outputs: the demo's files for one depth map agree with the depth map."""
import cv2
import numpy as np
import pytest

from mmdepth_dgr.utils import load_depth_png, read_ply
from mmdepth_dgr.utils.depth_outputs import save_depth_outputs


@pytest.fixture
def depth_and_image():
    rng = np.random.RandomState(0)
    depth = rng.uniform(0.5, 9.0, (30, 40)).astype(np.float32)
    depth[3:6, 4:9] = 0  # no prediction
    depth[10, 10] = np.nan
    image = rng.randint(0, 256, (30, 40, 3)).astype(np.uint8)
    return depth, image


def test_files_round_trip_the_depth(tmp_path, depth_and_image):
    depth, image = depth_and_image
    intrinsics = (50.0, 52.0, 19.5, 14.5)
    paths = save_depth_outputs(tmp_path, 'frame', depth, image, max_depth=10.0,
                               intrinsics=intrinsics)
    assert sorted(paths) == ['color', 'npy', 'ply', 'png']
    valid = np.isfinite(depth) & (depth > 0)

    png = cv2.imread(paths['png'], cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16 and not png[~valid].any()
    assert np.abs(load_depth_png(paths['png'])[valid] - depth[valid]).max() <= 0.0005 + 1e-6
    np.testing.assert_array_equal(np.load(paths['npy']), depth)

    points, colors = read_ply(paths['ply'])
    assert len(points) == valid.sum()  # one vertex per valid pixel
    np.testing.assert_allclose(points[:, 2], depth[valid], rtol=1e-6)  # z is the depth
    fx, fy, cx, cy = intrinsics
    rows, cols = np.nonzero(valid)
    np.testing.assert_allclose(points[:, 0], (cols - cx) * depth[valid] / fx, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(points[:, 1], (rows - cy) * depth[valid] / fy, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(colors, image[valid][:, ::-1])  # RGB from the BGR image

    color = cv2.imread(paths['color'])
    assert color.shape[0] == 30 and color.shape[1] > 40  # picture + colour bar


def test_no_point_cloud_or_colour_bar_unless_asked(tmp_path, depth_and_image):
    depth, _ = depth_and_image
    paths = save_depth_outputs(tmp_path, 'x', depth, colorbar=False)
    assert 'ply' not in paths and not (tmp_path / 'x.ply').exists()
    assert cv2.imread(paths['color']).shape == (30, 40, 3)
