"""Street (KITTI-like) scenes: drives along a straight urban road.

The static part of a drive (road with lane markings, sidewalks, buildings,
hedges, poles and trees, lit by the sun) is built once; each frame moves the
camera forward, adds random box cars and renders with a sky and distance haze.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .edges import occlusion_edges
from .formats import KITTI_CAMERA_HEIGHT, KITTI_DATE, KITTI_MAX_DEPTH
from .materials import (
    box_material,
    checker_material,
    edge_distance,
    fbm,
    hash01,
    mix,
    random_color,
    room_ao,
    solid_material,
    sun_shader,
    surface_uv,
)
from .raycast import (
    Camera,
    Material,
    Primitive,
    Scene,
    Shader,
    look_rotation,
    primitive_bounds,
    render_scene,
)
from .sensors import finish_image, lidar_beam_mask

__all__ = [
    'StreetScene', 'build_street_scene', 'render_kitti_frame', 'render_kitti_frame_with_edges',
    'render_kitti_view', 'sample_kitti_drive', 'sample_street_frame'
]


@dataclass(frozen=True, eq=False)
class StreetScene:
    """Static part of a drive: road, sidewalks, buildings, poles and trees.

    Attributes:
        primitives: Static primitives.
        lanes_x: Lateral centres of the lanes (x in metres).
        road_x: ``(left, right)`` road edges.
        camera_x: Lateral camera position (in one of the right-hand lanes).
        step: Distance driven between consecutive frames in metres.
        shade: Sun shader.
        sky: ``(horizon, zenith)`` colours.
    """

    primitives: tuple[Primitive, ...]
    lanes_x: tuple[float, ...]
    road_x: tuple[float, float]
    camera_x: float
    step: float
    shade: Shader
    sky: tuple[np.ndarray, np.ndarray]


def _ground_material(rng: np.random.Generator, road_x: tuple[float, float],
                     dividers: Sequence[float], center: float, seed: int) -> Material:
    """Asphalt with lane markings inside the road, grass/dirt outside."""
    asphalt = random_color(rng, sat=(0.0, 0.08), val=(0.25, 0.42))
    paint = np.array([0.92, 0.92, 0.88], np.float32)
    verge = random_color(rng, hue=rng.uniform(0.12, 0.3), sat=(0.3, 0.6), val=(0.25, 0.5))
    left, right = road_x
    dash, period = rng.uniform(3.0, 4.5), rng.uniform(9.0, 13.0)
    width = 0.13

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        x, z = points[:, 0], points[:, 2]
        n = fbm(x * 2.0, z * 0.8, seed, octaves=3)
        out = asphalt[None, :] * (0.85 + 0.3 * n)[:, None]
        on_dash = (z % period) < dash
        line = (np.abs(x - (left + 0.3)) < width / 2) | (np.abs(x - (right - 0.3)) < width / 2)
        line |= np.abs(x - center) < width / 2 + 0.02
        for d in dividers:
            line |= (np.abs(x - d) < width / 2) & on_dash
        out[line] = paint
        outside = (x < left) | (x > right)
        out[outside] = verge * (0.7 + 0.6 * fbm(x[outside] * 3, z[outside] * 3, seed + 1,
                                                octaves=2))[:, None]
        return out

    return material


def _facade_material(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray,
                     seed: int) -> Material:
    """Building facade with a regular grid of windows on the vertical faces."""
    wall = random_color(rng, sat=(0.05, 0.45), val=(0.4, 0.9))
    glass = random_color(rng, hue=rng.uniform(0.5, 0.65), sat=(0.1, 0.35), val=(0.12, 0.35))
    frame = random_color(rng, sat=(0.0, 0.2), val=(0.6, 0.95))
    sx, sy = rng.uniform(2.0, 4.0), rng.uniform(2.8, 3.4)
    wx, wy = rng.uniform(0.35, 0.65), rng.uniform(0.4, 0.6)
    ground_floor = rng.uniform(0.0, 1.0) < 0.4
    lo = np.asarray(lo, np.float32)
    hi = np.asarray(hi, np.float32)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        u, v = surface_uv(points, normals)
        out = wall[None, :] * (0.9 + 0.2 * fbm(u * 0.7, v * 0.7, seed))[:, None]
        fu, fv = u / sx, (v - 0.8) / sy
        cu, cv = fu - np.floor(fu), fv - np.floor(fv)
        vertical = np.abs(normals[:, 1]) < 0.5
        du, dv = np.abs(cu - 0.5), np.abs(cv - 0.5)
        rows_ok = vertical & (points[:, 1] > 0.8) & (points[:, 1] < hi[1] - 0.6)
        in_frame = rows_ok & (du < wx / 2 + 0.05) & (dv < wy / 2 + 0.05)
        window = rows_ok & (du < wx / 2) & (dv < wy / 2)
        out[in_frame] = frame
        refl = 0.7 + 0.6 * hash01(np.floor(fu[window]), np.floor(fv[window]), seed + 3)
        out[window] = glass * refl[:, None]
        if ground_floor:
            shop = vertical & (points[:, 1] < 2.6) & (points[:, 1] > 0.3)
            out[shop] = glass * 1.3
        out *= (1.0 - 0.3 * np.exp(-edge_distance(points, lo, hi) / 0.15))[:, None]
        return out

    return material


def _street_side(rng: np.random.Generator, side: float, curb_x: float, z_start: float,
                 z_end: float, seed: int) -> list[Primitive]:
    """Sidewalk, buildings, hedges, trees and poles on one side of the road.

    Args:
        rng: Random generator (consumed).
        side: -1 for the left side, +1 for the right side.
        curb_x: Lateral position of the curb.
        z_start: First z covered.
        z_end: Last z covered.
        seed: Texture seed.

    Returns:
        Primitives of this side.
    """
    prims = []
    walk_w, curb_h = rng.uniform(1.5, 3.5), rng.uniform(0.1, 0.16)
    inner, outer = curb_x, curb_x + side * walk_w
    lo = np.array([min(inner, outer), 0.0, z_start])
    hi = np.array([max(inner, outer), curb_h, z_end])
    concrete = random_color(rng, sat=(0.0, 0.1), val=(0.5, 0.75))
    prims.append(Primitive('box', (lo, hi), room_ao(
        checker_material(concrete, concrete * 0.93, rng.uniform(0.8, 1.2), concrete * 0.7, seed),
        lo, hi, strength=0.3, width=0.05)))
    setback = rng.uniform(0.0, 5.0)
    z = z_start
    k = 0
    while z < z_end:
        length = rng.uniform(8.0, 30.0)
        kind = rng.choice(['building', 'hedge', 'none'], p=[0.8, 0.12, 0.08])
        front = outer + side * (setback + rng.uniform(0.0, 1.0))
        back = front + side * rng.uniform(8.0, 15.0)
        x0, x1 = min(front, back), max(front, back)
        if kind == 'building':
            b_lo, b_hi = np.array([x0, 0.0, z]), np.array([x1, rng.uniform(4.0, 20.0), z + length])
            prims.append(Primitive('box', (b_lo, b_hi),
                                   _facade_material(rng, b_lo, b_hi, seed + 10 + k)))
        elif kind == 'hedge':
            b_lo = np.array([x0, 0.0, z])
            b_hi = np.array([x0 + 1.0, rng.uniform(0.8, 2.0), z + length])
            if side < 0:
                b_lo[0], b_hi[0] = x1 - 1.0, x1
            green = random_color(rng, hue=rng.uniform(0.22, 0.36), sat=(0.4, 0.8),
                                 val=(0.15, 0.4))
            prims.append(Primitive('box', (b_lo, b_hi),
                                   solid_material(green, noise=0.5, scale=6.0, seed=seed + 10 + k)))
        z += length + (rng.uniform(1.0, 8.0) if rng.random() < 0.4 else 0.0)
        k += 1
    metal = random_color(rng, sat=(0.0, 0.15), val=(0.25, 0.6))
    z = z_start + rng.uniform(0.0, 20.0)
    while z < z_end:
        x = inner + side * rng.uniform(0.3, 0.6)
        prims.append(Primitive('cylinder', ((x, z), rng.uniform(0.06, 0.12), 0.0,
                                            rng.uniform(4.0, 8.0)),
                               solid_material(metal, noise=0.05, seed=seed + 500 + k)))
        z += rng.uniform(15.0, 40.0)
        k += 1
    z = z_start + rng.uniform(0.0, 15.0)
    while z < z_end and rng.random() < 0.85:
        x = outer - side * rng.uniform(0.5, 1.0)
        trunk_h, crown = rng.uniform(1.8, 3.0), rng.uniform(1.0, 2.2)
        bark = random_color(rng, hue=rng.uniform(0.05, 0.1), sat=(0.3, 0.6), val=(0.15, 0.35))
        leaves = random_color(rng, hue=rng.uniform(0.2, 0.35), sat=(0.4, 0.8), val=(0.15, 0.45))
        prims.append(Primitive('cylinder', ((x, z), rng.uniform(0.12, 0.2), 0.0, trunk_h + crown),
                               solid_material(bark, noise=0.3, scale=8.0, seed=seed + 900 + k)))
        prims.append(Primitive('sphere', (np.array([x, trunk_h + 0.7 * crown, z]), crown),
                               solid_material(leaves, noise=0.6, scale=5.0, seed=seed + 950 + k)))
        z += rng.uniform(8.0, 30.0)
        k += 1
    return prims


def build_street_scene(rng: np.random.Generator, num_frames: int) -> StreetScene:
    """Sample the static street of one drive long enough for ``num_frames``.

    Args:
        rng: Random generator (consumed).
        num_frames: Number of frames of the drive.

    Returns:
        The street.
    """
    lane_w = rng.uniform(3.0, 3.6)
    n_left, n_right = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    left, right = -n_left * lane_w, n_right * lane_w
    lanes = tuple(float(left + (i + 0.5) * lane_w) for i in range(n_left + n_right))
    dividers = [left + i * lane_w for i in range(1, n_left + n_right) if i != n_left]
    step = rng.uniform(0.6, 1.4)
    z_end = num_frames * step + 250.0
    seed = int(rng.integers(1 << 30))
    ground = Primitive('plane', (np.zeros(3), (0.0, 1.0, 0.0)),
                       _ground_material(rng, (left, right), dividers, 0.0, seed))
    prims = [ground]
    prims += _street_side(rng, -1.0, left, -20.0, z_end, seed + 1000)
    prims += _street_side(rng, 1.0, right, -20.0, z_end, seed + 5000)
    cam_lane = int(rng.integers(n_left, n_left + n_right))
    elev, azim = math.radians(rng.uniform(20, 60)), rng.uniform(0, 2 * math.pi)
    sun = (math.cos(elev) * math.sin(azim), math.sin(elev), math.cos(elev) * math.cos(azim))
    horizon = random_color(rng, hue=rng.uniform(0.55, 0.62), sat=(0.03, 0.15), val=(0.85, 1.0))
    zenith = random_color(rng, hue=rng.uniform(0.55, 0.62), sat=(0.3, 0.6), val=(0.6, 0.9))
    return StreetScene(tuple(prims), lanes, (left, right), lanes[cam_lane], step,
                       sun_shader(sun, rng.uniform(0.6, 0.9), rng.uniform(0.35, 0.5)),
                       (horizon, zenith))


def _sky(horizon: np.ndarray, zenith: np.ndarray, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """Sky colour: vertical gradient with faint clouds."""

    def background(dirs: np.ndarray) -> np.ndarray:
        norm = np.linalg.norm(dirs, axis=1)
        elev = np.clip(dirs[:, 1] / norm, 0.0, 1.0)
        w = np.clip(elev * 2.5, 0.0, 1.0)
        out = mix(np.broadcast_to(horizon, dirs.shape), np.broadcast_to(zenith, dirs.shape), w)
        az = np.arctan2(dirs[:, 0], dirs[:, 2])
        cloud = np.clip(fbm(az * 6.0, elev * 20.0, seed, octaves=3) * 2.0 - 1.0, 0.0, 1.0)
        return out + (1.0 - out) * (0.6 * cloud)[:, None]

    return background


def _cars(rng: np.random.Generator, street: StreetScene, cam_z: float,
          seed: int) -> list[Primitive]:
    """1-6 box cars on the road in front of the camera."""
    prims: list[Primitive] = []
    slots = list(street.lanes_x) + [street.road_x[0] + 1.1, street.road_x[1] - 1.1]
    placed: list[tuple[float, float]] = []
    for k in range(int(rng.integers(1, 7))):
        for _ in range(10):
            x = slots[int(rng.integers(len(slots)))] + rng.uniform(-0.3, 0.3)
            z = cam_z + rng.uniform(5.0, 60.0)
            if abs(x - street.camera_x) < 1.5 and z - cam_z < 7.0:
                continue
            if all(abs(x - px) > 2.2 or abs(z - pz) > 6.0 for px, pz in placed):
                break
        else:
            continue
        placed.append((x, z))
        length, width = rng.uniform(3.8, 4.8), rng.uniform(1.65, 1.9)
        body_h, cabin_h = rng.uniform(0.6, 0.8), rng.uniform(0.45, 0.6)
        paint = random_color(rng, sat=(0.0, 0.9), val=(0.1, 0.95))
        glass = random_color(rng, hue=0.6, sat=(0.0, 0.2), val=(0.05, 0.2))
        under_lo = np.array([x - width / 2 + 0.1, 0.0, z - length / 2 + 0.3])
        under_hi = np.array([x + width / 2 - 0.1, 0.32, z + length / 2 - 0.3])
        body_lo = np.array([x - width / 2, 0.3, z - length / 2])
        body_hi = np.array([x + width / 2, 0.3 + body_h, z + length / 2])
        c_len = length * rng.uniform(0.45, 0.6)
        c_off = rng.uniform(-0.3, 0.1) * length
        cab_lo = np.array([x - width / 2 + 0.08, body_hi[1], z + c_off - c_len / 2])
        cab_hi = np.array([x + width / 2 - 0.08, body_hi[1] + cabin_h, z + c_off + c_len / 2])
        prims.append(Primitive('box', (under_lo, under_hi),
                               solid_material(np.full(3, 0.05, np.float32), seed=seed + k)))
        prims.append(Primitive('box', (body_lo, body_hi),
                               box_material(paint, body_lo, body_hi, seed + k, bevel=0.05)))
        prims.append(Primitive('box', (cab_lo, cab_hi),
                               box_material(glass, cab_lo, cab_hi, seed + k, bevel=0.04)))
    return prims


def _near_z(prim: Primitive, z_min: float, z_max: float) -> bool:
    """Whether ``prim`` is unbounded or overlaps the z interval ``(z_min, z_max)``."""
    bounds = primitive_bounds(prim)
    return bounds is None or (bounds[1][2] > z_min and bounds[0][2] < z_max)


def sample_street_frame(rng: np.random.Generator, street: StreetScene, frame_idx: int,
                        height: int, width: int, focal: float) -> tuple[Scene, Camera]:
    """Camera and full scene (static street plus random cars) of one frame.

    Args:
        rng: Per-frame random generator (consumed).
        street: The drive's street.
        frame_idx: Index of the frame within the drive (sets the z position).
        height: Image height.
        width: Image width.
        focal: Focal length in pixels.

    Returns:
        Tuple ``(scene, camera)``.
    """
    cam_z = frame_idx * street.step
    pos = np.array([street.camera_x + rng.uniform(-0.2, 0.2), KITTI_CAMERA_HEIGHT, cam_z])
    rot = look_rotation(math.radians(rng.uniform(-3, 3)), math.radians(rng.uniform(-1, 1.5)),
                        math.radians(rng.uniform(-0.7, 0.7)))
    cam = Camera(height, width, focal, pos, rot)
    prims = [p for p in street.primitives if _near_z(p, cam_z, cam_z + 300.0)]
    seed = int(rng.integers(1 << 30))
    prims += _cars(rng, street, cam_z, seed)
    horizon, zenith = street.sky
    haze_len = rng.uniform(150.0, 400.0)

    def haze(color: np.ndarray, t: np.ndarray, dirs: np.ndarray) -> np.ndarray:
        dist = t * np.sqrt(np.einsum('ij,ij->i', dirs, dirs))
        return mix(color, np.broadcast_to(horizon, color.shape), 1.0 - np.exp(-dist / haze_len))

    scene = Scene(tuple(prims), street.shade, _sky(horizon, zenith, seed), haze)
    return scene, cam



def render_kitti_frame(scene: Scene, cam: Camera,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Render one KITTI-like frame with sparse LiDAR-like ground truth.

    Args:
        scene: Scene from :func:`sample_street_frame`.
        cam: Its camera.
        rng: Random generator for sensor noise and beam dropout (consumed).

    Returns:
        Tuple ``(rgb, depth)``: uint8 RGB image (H, W, 3) and float32 z-depth
        (H, W), 0 except on LiDAR returns within 80 m.
    """
    rgb, depth, _ = render_kitti_frame_with_edges(scene, cam, rng)
    return rgb, depth


def render_kitti_frame_with_edges(scene: Scene, cam: Camera, rng: np.random.Generator
                                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render one KITTI-like frame and its exact occlusion boundaries.

    Consumes ``rng`` exactly like :func:`render_kitti_frame` (the edges draw no
    random numbers), so both give the same image and depth.

    Args:
        scene: Scene from :func:`sample_street_frame`.
        cam: Its camera.
        rng: Random generator for sensor noise and beam dropout (consumed).

    Returns:
        Tuple ``(rgb, depth, edges)``: ``rgb`` and the sparse ``depth`` as from
        :func:`render_kitti_frame`, and the bool (H, W) map of
        :func:`.edges.occlusion_edges` of the full-resolution dense render (every
        pixel, also beyond 80 m and off the LiDAR beams; the sky is infinitely far).
    """
    rgb, depth, hit_id = render_scene(scene, cam)
    edges = occlusion_edges(depth, hit_id)
    image = finish_image(rgb, rng, noise_sigma=0.01, target_mean=0.35)
    mask = lidar_beam_mask(cam.height, cam.width, cam.focal, rng)
    valid = mask & np.isfinite(depth) & (depth > 0) & (depth <= KITTI_MAX_DEPTH)
    return image, np.where(valid, depth, 0.0).astype(np.float32), edges



def sample_kitti_drive(rng: np.random.Generator, number: int,
                       num_frames: int) -> tuple[str, StreetScene]:
    """Sample one named drive of a KITTI-like split.

    Args:
        rng: The drive's random generator (consumed).
        number: Drive number, part of the name (``2011_09_26_drive_0003_sync``).
        num_frames: Number of frames of the drive (sets the street length).

    Returns:
        Tuple ``(name, street)``.
    """
    return f'{KITTI_DATE}_drive_{number:04d}_sync', build_street_scene(rng, num_frames)


def render_kitti_view(street: StreetScene, index: int, rng: np.random.Generator, height: int,
                      width: int, focal: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render frame ``index`` of a drive.

    Args:
        street: The drive's street.
        index: Frame index within the drive (sets the camera's z position).
        rng: The frame's random generator (consumed: camera jitter and cars,
            then sensor effects).
        height: Image height.
        width: Image width.
        focal: Focal length in pixels.

    Returns:
        Tuple ``(rgb, depth, edges)`` as returned by
        :func:`render_kitti_frame_with_edges`.
    """
    scene, cam = sample_street_frame(rng, street, index, height, width, focal)
    return render_kitti_frame_with_edges(scene, cam, rng)
