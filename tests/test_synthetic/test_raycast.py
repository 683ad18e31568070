"""Ray casting of the synthetic data: known intersections of each primitive, z-depth of a render."""
import numpy as np

from mmdepth_dgr import synthetic as syn


def test_ray_plane_known_answers():
    dirs = np.array([[0, 0, 1], [0, 0, -1], [1, 0, 0], [0, 0, 2], [0.5, 0, 1]], np.float32)
    t = syn.ray_plane((0, 0, 0), dirs, (0, 0, 5), (0, 0, 1))
    np.testing.assert_allclose(t, [5, np.inf, np.inf, 2.5, 5])
    # the normal orientation does not matter
    np.testing.assert_allclose(syn.ray_plane((0, 0, 0), dirs, (0, 0, 5), (0, 0, -3)), t)


def test_ray_box_known_answers():
    dirs = np.array([[0, 0, 1], [0, 0, -1], [1, 0, 0], [0.1, 0, 1], [0.5, 0, 1]], np.float64)
    t = syn.ray_box((0, 0, 0), dirs, (-1, -1, 4), (1, 1, 6))
    np.testing.assert_allclose(t, [4, np.inf, np.inf, 4, np.inf])
    with np.errstate(divide='ignore'):
        inv = 1.0 / dirs
    np.testing.assert_allclose(syn.ray_box((0, 0, 0), dirs, (-1, -1, 4), (1, 1, 6), inv), t)
    # origin inside: distance to the exit face
    np.testing.assert_allclose(syn.ray_box((0, 0, 5), dirs[:2], (-1, -1, 4), (1, 1, 6)), [1, 1])
    # oblique hit on a side face: ray (1, 0, 1) from (-3, 0, 3) enters x = -1 at t = 2
    np.testing.assert_allclose(syn.ray_box((-3, 0, 3), [[1, 0, 1]], (-1, -1, 4), (1, 1, 6)),
                               [2.0])


def test_ray_sphere_known_answers():
    dirs = np.array([[0, 0, 1], [0, 1, 0], [0, 0, 2], [0, 0, -1]], np.float32)
    t = syn.ray_sphere((0, 0, 0), dirs, (0, 0, 5), 1.0)
    np.testing.assert_allclose(t, [4, np.inf, 2, np.inf], rtol=1e-6)
    np.testing.assert_allclose(syn.ray_sphere((0, 0, 5), dirs[:1], (0, 0, 5), 1.0), [1.0])
    # grazing ray at distance 0.6 from the centre: t = 5 - sqrt(1 - 0.36)
    np.testing.assert_allclose(syn.ray_sphere((0.6, 0, 0), dirs[:1], (0, 0, 5), 1.0), [4.2],
                               rtol=1e-6)


def test_ray_vertical_cylinder_known_answers():
    args = ((0.0, 5.0), 1.0, 0.0, 2.0)
    side = syn.ray_vertical_cylinder((0, 1, 0), [[0, 0, 1], [1, 0, 0]], *args)
    np.testing.assert_allclose(side, [4, np.inf])
    above = syn.ray_vertical_cylinder((0, 3, 0), [[0, 0, 1]], *args)
    assert np.isinf(above).all()
    cap = syn.ray_vertical_cylinder((0, 5, 5), [[0, -1, 0]], *args)
    np.testing.assert_allclose(cap, [3.0])


def test_rotation_and_rays_give_z_depth():
    rot = syn.look_rotation(0.3, 0.2, 0.05)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    # a fronto-parallel wall 3 m in front has constant z-depth 3 (not the ray length)
    cam = syn.Camera(24, 32, 20.0, np.zeros(3), syn.look_rotation(0.0, 0.0))
    wall = syn.Primitive('plane', ((0, 0, 3), (0, 0, -1)),
                         syn.solid_material(np.full(3, 0.5, np.float32)))
    black = np.zeros(3, np.float32)
    scene = syn.Scene((wall,), syn.point_light_shader((0, 0, 0), 1.0, 0.2, 3.0),
                      lambda d: np.broadcast_to(black, d.shape).copy())
    rgb, depth, hit = syn.render_scene(scene, cam)
    np.testing.assert_allclose(depth, 3.0, rtol=1e-5)
    assert (hit == 0).all() and rgb.shape == (24, 32, 3)
