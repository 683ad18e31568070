"""depth_io: 16-bit PNG / .npy depth files (atomic writes) and fixed-range depth pictures."""
import os

import cv2
import numpy as np
import pytest
from matplotlib import colormaps

from mmdepth_dgr.utils import (
    add_colorbar,
    colorize_depth_image,
    depth_io,
    load_depth_png,
    save_depth_npy,
    save_depth_png,
)


def _depth(seed: int = 0, shape=(24, 32), max_depth: float = 10.0) -> np.ndarray:
    """Random float32 depth in (0.01, max_depth) with a few invalid pixels of each kind."""
    rng = np.random.RandomState(seed)
    depth = rng.uniform(0.01, max_depth, shape).astype(np.float32)
    depth[0, :4] = [0.0, -1.0, np.nan, np.inf]
    return depth


def test_png_round_trip_to_half_a_millimetre(tmp_path):
    depth = _depth()
    path = tmp_path / 'sub' / 'pred.png'
    save_depth_png(path, depth)
    back = load_depth_png(path)
    assert back.dtype == np.float32 and back.shape == depth.shape
    valid = np.isfinite(depth) & (depth > 0)
    err = np.abs(back[valid].astype(np.float64) - depth[valid].astype(np.float64))
    assert err.max() <= 0.5e-3 + 1e-6  # half a step of 1 mm, plus float32 rounding
    np.testing.assert_array_equal(back[~valid], 0.0)  # 0, negative, NaN, inf -> no prediction
    assert np.count_nonzero(back) == valid.sum()


def test_png_is_single_channel_uint16_millimetres(tmp_path):
    depth = np.array([[0.0, 1.0, 2.3456], [65.535, 0.0001, 3.0]], np.float32)
    path = tmp_path / 'd.png'
    save_depth_png(path, depth)
    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert raw.dtype == np.uint16 and raw.shape == (2, 3)
    # tiny positive depths stay valid (1 mm); the 16-bit maximum is representable
    np.testing.assert_array_equal(raw, [[0, 1000, 2346], [65535, 1, 3000]])
    save_depth_png(path, depth, scale=256.0)  # KITTI encoding
    assert cv2.imread(str(path), cv2.IMREAD_UNCHANGED)[0, 1] == 256
    np.testing.assert_allclose(load_depth_png(path, scale=256.0)[0, 1], 1.0)


def test_png_clips_too_deep_pixels_with_a_warning(tmp_path):
    path = tmp_path / 'far.png'
    depth = np.array([[1.0, 70.0, 100.0]], np.float32)
    with pytest.warns(UserWarning, match=r'far\.png: 2 pixel\(s\) deeper than 65\.535 m'):
        save_depth_png(path, depth)
    np.testing.assert_array_equal(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), [[1000, 65535,
                                                                                   65535]])


def test_png_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / 'd.png'
    save_depth_png(path, np.ones((4, 5)))
    before = path.read_bytes()

    def killed(src, dst):
        raise KeyboardInterrupt('killed mid-write')

    monkeypatch.setattr(depth_io.os, 'replace', killed)
    with pytest.raises(KeyboardInterrupt):
        save_depth_png(path, np.full((4, 5), 2.0))
    assert path.read_bytes() == before  # the old file is intact
    assert sorted(os.listdir(tmp_path)) == ['d.png']  # and no temporary file is left


def test_png_load_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.png'):
        load_depth_png(tmp_path / 'nope.png')
    bad = tmp_path / 'corrupt.png'
    bad.write_bytes(b'\x89PNG not really')
    with pytest.raises(ValueError, match='corrupt.png: not a readable image'):
        load_depth_png(bad)
    empty = tmp_path / 'empty.png'
    empty.write_bytes(b'')
    with pytest.raises(ValueError, match='empty.png: not a readable image'):
        load_depth_png(empty)
    eight = tmp_path / 'rgb.png'
    cv2.imwrite(str(eight), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r'rgb.png: .*single-channel 16-bit, got 3 channel'):
        load_depth_png(eight)
    gray8 = tmp_path / 'gray8.png'
    cv2.imwrite(str(gray8), np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match='gray8.png: .*got 1 channel.*uint8'):
        load_depth_png(gray8)


def test_save_rejects_bad_shapes_and_scales(tmp_path):
    with pytest.raises(ValueError, match=r'got shape \(2, 3, 4\)'):
        save_depth_png(tmp_path / 'x.png', np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match='scale must be a positive number'):
        save_depth_png(tmp_path / 'x.png', np.ones((2, 3)), scale=0)
    assert not (tmp_path / 'x.png').exists()


def test_npy_keeps_float32_values(tmp_path):
    depth = _depth(1)[None]  # (1, H, W) as a model output
    path = tmp_path / 'pred.npy'
    save_depth_npy(path, depth)
    back = np.load(path)
    assert back.dtype == np.float32 and back.shape == depth.shape[1:]
    np.testing.assert_array_equal(back, depth[0])  # exact, NaN / inf / negatives included
    assert sorted(os.listdir(tmp_path)) == ['pred.npy']


def test_colorize_uses_a_fixed_range():
    a = np.full((3, 4), 2.0)
    b = np.linspace(0.5, 9.5, 12).reshape(3, 4)
    b[1, 1] = 2.0
    ca, cb = colorize_depth_image(a, 10.0), colorize_depth_image(b, 10.0)
    assert ca.dtype == np.uint8 and ca.shape == (3, 4, 3)
    np.testing.assert_array_equal(cb[1, 1], ca[0, 0])  # same depth, same colour
    assert len({tuple(c) for c in cb.reshape(-1, 3)}) == 12  # content is not normalised away
    # the colour is the matplotlib colour map's, near at its top end
    expected = np.asarray(colormaps['viridis'](0.8, bytes=True)[:3])
    np.testing.assert_array_equal(colorize_depth_image(a, 10.0, 'viridis')[0, 0], expected)
    # min_depth shifts the range; out-of-range depths take the end colours
    shifted = colorize_depth_image(np.array([[2.0, 6.0, 30.0]]), 10.0, min_depth=2.0)
    np.testing.assert_array_equal(shifted[0, 0], colormaps['magma'](1.0, bytes=True)[:3])
    np.testing.assert_array_equal(shifted[0, 2], colormaps['magma'](0.0, bytes=True)[:3])
    assert not np.array_equal(shifted[0, 1], colorize_depth_image(np.array([[6.0]]), 10.0)[0, 0])


def test_colorize_blacks_out_invalid_pixels():
    rgb = colorize_depth_image(np.array([[0.0, -2.0, np.nan, np.inf, 1.0]]), 5.0)
    np.testing.assert_array_equal(rgb[0, :4], 0)
    assert rgb[0, 4].sum() > 0


def test_colorize_rejects_unknown_colormaps_and_empty_ranges():
    with pytest.raises(ValueError, match="unknown colormap 'no_such_map'.*'magma'"):
        colorize_depth_image(np.ones((2, 2)), 5.0, cmap='no_such_map')
    with pytest.raises(ValueError, match='min_depth < max_depth'):
        colorize_depth_image(np.ones((2, 2)), 1.0, min_depth=1.0)


def test_add_colorbar_keeps_the_picture_and_shows_the_range():
    depth = np.linspace(0.5, 9.5, 300 * 80).reshape(300, 80)
    rgb = colorize_depth_image(depth, 10.0, 'viridis')
    out = add_colorbar(rgb, 0.0, 10.0, 'viridis')
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[0] == 300
    assert out.shape[1] > 80
    np.testing.assert_array_equal(out[:, :80], rgb)  # not resampled
    bar = out[:, 80:].reshape(-1, 3).astype(int)
    for end in (0.0, 10.0):  # both end colours of the range appear in the bar
        colour = colorize_depth_image(np.array([[max(end, 1e-3)]]), 10.0, 'viridis')[0, 0]
        assert np.abs(bar - colour.astype(int)).sum(axis=1).min() <= 12
    assert (bar == 255).all(axis=1).mean() > 0.3  # a white background around the bar
    assert add_colorbar(rgb[:37], 0.0, 10.0).shape[0] == 37  # any height
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        add_colorbar(rgb[..., 0], 0.0, 10.0)
    with pytest.raises(ValueError, match="unknown colormap 'bogus'"):
        add_colorbar(rgb, 0.0, 10.0, cmap='bogus')
