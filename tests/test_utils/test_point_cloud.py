"""point_cloud: pinhole back-projection (u = column index), coloured clouds and binary PLY."""
import numpy as np
import pytest

from mmdepth_dgr.utils import (
    backproject,
    default_intrinsics,
    depth_to_point_cloud,
    parse_intrinsics,
    project_points,
    read_ply,
    write_ply,
)

INTRINSICS = (50.0, 40.0, 15.5, 11.0)  # fx, fy, cx, cy for a 24x32 map


def _scene(seed: int = 0):
    """A 24x32 depth map with invalid pixels and a matching random RGB image."""
    rng = np.random.RandomState(seed)
    depth = rng.uniform(0.5, 8.0, (24, 32)).astype(np.float32)
    depth[rng.rand(24, 32) < 0.1] = 0
    depth[3, 4], depth[5, 6], depth[7, 8] = np.nan, -1.0, np.inf
    rgb = rng.randint(0, 256, (24, 32, 3)).astype(np.uint8)
    return depth, rgb


def test_one_point_per_valid_pixel_with_its_depth_as_z():
    depth, _ = _scene()
    points, index = backproject(depth, *INTRINSICS)
    valid = np.isfinite(depth) & (depth > 0)
    assert points.dtype == np.float32 and points.shape == (valid.sum(), 3)
    np.testing.assert_array_equal(index, np.flatnonzero(valid))  # row-major order
    np.testing.assert_array_equal(points[:, 2], depth.reshape(-1)[index])


def test_pinhole_formula_and_pixel_centre_convention():
    depth = np.full((3, 4), 2.0)
    fx, fy, cx, cy = default_intrinsics(3, 4, 10.0)
    assert (fx, fy, cx, cy) == (10.0, 10.0, 1.5, 1.0)  # centre of pixel (0, 0) is u = v = 0
    points, index = backproject(depth, fx, fy, cx, cy)
    row, col = np.divmod(index, 4)
    np.testing.assert_allclose(points[:, 0], (col - 1.5) * 2.0 / 10.0, rtol=1e-6)
    np.testing.assert_allclose(points[:, 1], (row - 1.0) * 2.0 / 10.0, rtol=1e-6)
    # x right, y down: the top-left pixel is left of and above the optical axis
    assert points[0, 0] < 0 and points[0, 1] < 0
    # the symmetric image centre lies on the optical axis for odd sizes
    centre, _ = backproject(np.full((3, 3), 5.0), *default_intrinsics(3, 3, 7.0))
    np.testing.assert_array_equal(centre[4], [0.0, 0.0, 5.0])


def test_reprojection_gives_the_pixel_grid_back():
    depth, _ = _scene(1)
    points, index = backproject(depth, *INTRINSICS)
    uv = project_points(points, *INTRINSICS)
    row, col = np.divmod(index, depth.shape[1])
    np.testing.assert_allclose(uv[:, 0], col, atol=1e-4)
    np.testing.assert_allclose(uv[:, 1], row, atol=1e-4)


def test_point_cloud_colours_come_from_the_pixels():
    depth, rgb = _scene(2)
    points, colors = depth_to_point_cloud(depth, rgb, INTRINSICS)
    _, index = backproject(depth, *INTRINSICS)
    assert colors.dtype == np.uint8 and colors.shape == points.shape
    np.testing.assert_array_equal(colors, rgb.reshape(-1, 3)[index])
    assert depth_to_point_cloud(depth, None, INTRINSICS)[1] is None
    with pytest.raises(ValueError, match=r'\(24, 32, 3\)'):
        depth_to_point_cloud(depth, rgb[:12], INTRINSICS)


def test_ply_round_trip_binary_little_endian(tmp_path):
    depth, rgb = _scene(3)
    points, colors = depth_to_point_cloud(depth, rgb, INTRINSICS)
    path = tmp_path / 'out' / 'cloud.ply'
    write_ply(path, points, colors)
    header = path.read_bytes().split(b'end_header\n')[0].decode('ascii')
    assert 'format binary_little_endian 1.0' in header
    assert f'element vertex {len(points)}' in header
    for prop in ('float x', 'float y', 'float z', 'uchar red', 'uchar green', 'uchar blue'):
        assert f'property {prop}' in header
    back_points, back_colors = read_ply(path)
    np.testing.assert_array_equal(back_points, points)
    np.testing.assert_array_equal(back_colors, colors)
    assert back_colors.dtype == np.uint8 and back_points.dtype == np.float32
    write_ply(path, points)  # positions only
    assert 'red' not in path.read_bytes().split(b'end_header')[0].decode('ascii')
    back_points, back_colors = read_ply(path)
    np.testing.assert_array_equal(back_points, points)
    assert back_colors is None


def test_ply_errors(tmp_path):
    with pytest.raises(ValueError, match=r'points must be \(N, 3\)'):
        write_ply(tmp_path / 'a.ply', np.zeros((4, 2)))
    with pytest.raises(ValueError, match='colors must be'):
        write_ply(tmp_path / 'a.ply', np.zeros((4, 3)), np.zeros((3, 3), np.uint8))
    assert not (tmp_path / 'a.ply').exists()
    with pytest.raises(FileNotFoundError, match='missing.ply'):
        read_ply(tmp_path / 'missing.ply')
    bad = tmp_path / 'bad.ply'
    bad.write_text('not a ply file\n')
    with pytest.raises(ValueError, match='bad.ply: not a readable PLY file'):
        read_ply(bad)


@pytest.mark.parametrize('values', [[500.0, 500.0, 320.0], [1, 2, 3, 4, 5], []])
def test_parse_intrinsics_names_a_wrong_count(values):
    with pytest.raises(ValueError, match=f'must be 4 numbers fx fy cx cy .*got {len(values)}'):
        parse_intrinsics(values)


def test_parse_intrinsics_values():
    assert parse_intrinsics(['518.8', '519.5', '325.6', '253.7']) == (518.8, 519.5, 325.6, 253.7)
    with pytest.raises(ValueError, match='focal lengths must be positive'):
        parse_intrinsics([0, 500, 320, 240])
    with pytest.raises(ValueError, match="cy='abc' is not a number"):
        parse_intrinsics([500, 500, 320, 'abc'])
    with pytest.raises(ValueError, match='is not finite'):
        parse_intrinsics([500, float('nan'), 320, 240])
    with pytest.raises(ValueError, match='focal lengths must be positive'):
        default_intrinsics(24, 32, -5.0)
    with pytest.raises(ValueError, match='image size must be positive'):
        default_intrinsics(0, 32, 5.0)
