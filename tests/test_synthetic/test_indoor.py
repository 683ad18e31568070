"""Indoor (NYU-like) scenes: depth edges coincide with image edges."""
import cv2
import numpy as np

from mmdepth_dgr import synthetic as syn


def test_depth_edges_match_image_edges():
    rng = np.random.default_rng(3)
    room = syn.build_indoor_scene(rng)
    cam = syn.sample_indoor_camera(rng, room, 120, 160, syn.nyu_focal(160))
    rgb, depth = syn.render_nyu_frame(room, cam, rng)
    _, exact, _ = syn.render_scene(room.scene, cam)
    assert np.isfinite(exact).all()
    valid = depth > 0
    np.testing.assert_allclose(depth[valid], exact[valid])
    # occlusion boundaries: relative depth jump > 10 % between horizontal neighbours
    jump = np.abs(np.diff(exact, axis=1)) > 0.1 * exact[:, 1:]
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    grad = np.abs(np.diff(gray, axis=1))
    assert jump.sum() > 10
    assert grad[jump].mean() > 2.0 * grad[~jump].mean()
