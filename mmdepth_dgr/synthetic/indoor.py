"""Indoor (NYU-like) scenes: furnished rooms seen by a hand-held camera.

A room is an axis-aligned box (floor at y = 0) with textured floor, walls and
ceiling, wall decorations, box furniture and a few spheres, lit by one point
light. Cameras stand in a furniture-free zone near the room's entrance and
look roughly along +Z, so every visible surface lies within 10 m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .edges import occlusion_edges
from .formats import NYU_MAX_DEPTH, NYU_MIN_DEPTH, NYU_SCENE_TYPES
from .materials import (
    box_material,
    checker_material,
    edge_distance,
    fbm,
    mix,
    point_light_shader,
    random_color,
    room_ao,
    solid_material,
    stripes_material,
    surface_uv,
    wood_material,
)
from .raycast import Camera, Material, Primitive, Scene, look_rotation, render_scene
from .sensors import finish_image, kinect_hole_mask

__all__ = [
    'IndoorScene', 'build_indoor_scene', 'render_nyu_frame', 'render_nyu_frame_with_edges',
    'render_nyu_view', 'sample_indoor_camera', 'sample_nyu_room'
]


@dataclass(frozen=True, eq=False)
class IndoorScene:
    """A furnished room.

    Attributes:
        scene: Renderable scene.
        room_min: Room minimum corner (x, y, z); the floor is at y = 0.
        room_max: Room maximum corner.
        camera_zone: ``(x_min, x_max, z_min, z_max)`` free of furniture where
            cameras are placed.
    """

    scene: Scene
    room_min: np.ndarray
    room_max: np.ndarray
    camera_zone: tuple[float, float, float, float]


def _floor_material(rng: np.random.Generator, seed: int) -> Material:
    """Random floor: wood planks, tiles or carpet."""
    kind = rng.integers(3)
    if kind == 0:
        light = random_color(rng, hue=rng.uniform(0.05, 0.11), sat=(0.35, 0.6), val=(0.55, 0.85))
        dark = light * rng.uniform(0.45, 0.7)
        return wood_material(light, dark, rng.uniform(0.1, 0.22), rng.uniform(0.9, 2.0), seed)
    if kind == 1:
        c1 = random_color(rng, sat=(0.0, 0.3), val=(0.6, 0.95))
        c2 = c1 * rng.uniform(0.55, 0.85) if rng.random() < 0.6 else random_color(rng)
        grout = random_color(rng, sat=(0.0, 0.1), val=(0.3, 0.6))
        return checker_material(c1, c2, rng.uniform(0.25, 0.6), grout, seed)
    color = random_color(rng, sat=(0.15, 0.6), val=(0.3, 0.7))
    return solid_material(color, noise=0.25, scale=6.0, seed=seed)


def _wall_material(rng: np.random.Generator, seed: int) -> Material:
    """Random wall: mottled paint, stripes, or paint with a wainscot."""
    paint = random_color(rng, sat=(0.03, 0.35), val=(0.6, 0.95))
    kind = rng.integers(3)
    if kind == 0:
        base = solid_material(paint, noise=0.1, scale=1.5, seed=seed)
    elif kind == 1:
        other = paint * rng.uniform(0.7, 0.9)
        base = stripes_material(paint, other, rng.uniform(0.08, 0.4), rng.random() < 0.8, seed)
    else:
        lower = random_color(rng, sat=(0.05, 0.5), val=(0.3, 0.8))
        upper = solid_material(paint, noise=0.08, scale=1.5, seed=seed)
        low = stripes_material(lower, lower * 0.8, rng.uniform(0.1, 0.2), True, seed + 1)
        split = rng.uniform(0.8, 1.1)

        def base(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
            return np.where((points[:, 1] < split)[:, None], low(points, normals),
                            upper(points, normals))

    skirting = random_color(rng, sat=(0.0, 0.2), val=(0.5, 0.95))
    skirt_h = rng.uniform(0.06, 0.14)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        out = base(points, normals)
        out[points[:, 1] < skirt_h] = skirting
        return out

    return material


def _painting_material(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray,
                       seed: int) -> Material:
    """Colourful noisy picture with a dark frame."""
    c1, c2 = random_color(rng, sat=(0.4, 0.9)), random_color(rng, sat=(0.4, 0.9))
    frame = random_color(rng, sat=(0.0, 0.4), val=(0.05, 0.4))
    lo = np.asarray(lo, np.float32)
    hi = np.asarray(hi, np.float32)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        u, v = surface_uv(points, normals)
        out = mix(np.broadcast_to(c1, points.shape), np.broadcast_to(c2, points.shape),
                  fbm(u * 4, v * 4, seed, octaves=3))
        out[edge_distance(points, lo, hi) < 0.04] = frame
        return out

    return material


def _wall_decorations(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray,
                      seed: int) -> list[Primitive]:
    """Thin boxes on the walls: paintings, doors and windows."""
    prims = []
    for k in range(int(rng.integers(1, 5))):
        wall = int(rng.integers(3))  # 0: left (-x), 1: right (+x), 2: far (+z)
        kind = rng.choice(['painting', 'door', 'window'], p=[0.6, 0.2, 0.2])
        if kind == 'door':
            w, h, y0 = rng.uniform(0.8, 1.0), rng.uniform(1.95, 2.15), 0.0
        elif kind == 'window':
            w, h = rng.uniform(0.8, 1.6), rng.uniform(0.8, 1.3)
            y0 = rng.uniform(0.8, 1.0)
        else:
            w, h = rng.uniform(0.35, 1.2), rng.uniform(0.3, 0.9)
            y0 = rng.uniform(1.1, 1.7) - h / 2
        thick = 0.04
        span = (lo[2] + 1.5, hi[2] - 0.3) if wall < 2 else (lo[0] + 0.2, hi[0] - 0.2)
        if span[1] - span[0] < w:
            continue
        c = rng.uniform(span[0] + w / 2, span[1] - w / 2)
        if wall == 0:
            b_lo, b_hi = [lo[0], y0, c - w / 2], [lo[0] + thick, y0 + h, c + w / 2]
        elif wall == 1:
            b_lo, b_hi = [hi[0] - thick, y0, c - w / 2], [hi[0], y0 + h, c + w / 2]
        else:
            b_lo, b_hi = [c - w / 2, y0, hi[2] - thick], [c + w / 2, y0 + h, hi[2]]
        b_lo, b_hi = np.array(b_lo), np.array(b_hi)
        if kind == 'painting':
            mat = _painting_material(rng, b_lo, b_hi, seed + 100 + k)
        elif kind == 'door':
            mat = box_material(random_color(rng, val=(0.3, 0.9)), b_lo, b_hi, seed + 100 + k,
                               bevel=0.03)
        else:
            glass = random_color(rng, hue=rng.uniform(0.52, 0.62), sat=(0.1, 0.4),
                                 val=(0.85, 1.0)) * 1.4
            mat = box_material(glass, b_lo, b_hi, seed + 100 + k, noise=0.15, bevel=0.05)
        prims.append(Primitive('box', (b_lo, b_hi), mat))
    return prims


_FURNITURE = {
    # name: (width range, depth range, height range)
    'table': ((0.8, 1.8), (0.6, 1.0), (0.7, 0.8)),
    'cabinet': ((0.5, 1.2), (0.4, 0.6), (0.9, 2.0)),
    'bed': ((1.4, 2.0), (1.9, 2.1), (0.45, 0.65)),
    'sofa': ((1.5, 2.2), (0.8, 1.0), (0.75, 0.9)),
    'chair': ((0.4, 0.55), (0.4, 0.55), (0.45, 1.0)),
    'shelf': ((0.6, 1.5), (0.25, 0.4), (1.2, 2.2)),
    'box': ((0.3, 0.7), (0.3, 0.7), (0.3, 0.7)),
}


def _furniture(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, z_free: float,
               seed: int) -> tuple[list[Primitive], list[tuple[np.ndarray, np.ndarray]]]:
    """3-8 boxes standing on the floor beyond ``z_free``; returns prims and boxes."""
    prims, boxes = [], []
    names = list(_FURNITURE)
    for k in range(int(rng.integers(3, 9))):
        name = names[int(rng.integers(len(names)))]
        (w0, w1), (d0, d1), (h0, h1) = _FURNITURE[name]
        w, d, h = rng.uniform(w0, w1), rng.uniform(d0, d1), rng.uniform(h0, h1)
        if rng.random() < 0.5:
            w, d = d, w
        x_span = (lo[0] + 0.02, hi[0] - 0.02 - w)
        z_span = (z_free, hi[2] - 0.02 - d)
        if x_span[1] <= x_span[0] or z_span[1] <= z_span[0]:
            continue
        x0 = rng.uniform(*x_span)
        if rng.random() < 0.5:  # push against a side wall
            x0 = x_span[0] if rng.random() < 0.5 else x_span[1]
        z0 = rng.uniform(*z_span)
        b_lo = np.array([x0, 0.0, z0])
        b_hi = np.array([x0 + w, h, z0 + d])
        if name in ('table', 'cabinet', 'shelf', 'chair') and rng.random() < 0.7:
            color = random_color(rng, hue=rng.uniform(0.04, 0.12), sat=(0.3, 0.7),
                                 val=(0.25, 0.75))
        else:
            color = random_color(rng, sat=(0.0, 0.7), val=(0.15, 0.95))
        prims.append(Primitive('box', (b_lo, b_hi), box_material(color, b_lo, b_hi, seed + k)))
        boxes.append((b_lo, b_hi))
    return prims, boxes


def _spheres(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, z_free: float,
             boxes: list[tuple[np.ndarray, np.ndarray]], seed: int) -> list[Primitive]:
    """0-3 spheres resting on the floor or on top of a box."""
    prims = []
    for k in range(int(rng.integers(0, 4))):
        r = rng.uniform(0.08, 0.35)
        if boxes and rng.random() < 0.5:
            b_lo, b_hi = boxes[int(rng.integers(len(boxes)))]
            if min(b_hi[0] - b_lo[0], b_hi[2] - b_lo[2]) < 2 * r:
                continue
            cx = rng.uniform(b_lo[0] + r, b_hi[0] - r)
            cz = rng.uniform(b_lo[2] + r, b_hi[2] - r)
            cy = b_hi[1] + r
        else:
            if hi[2] - r - 0.02 <= z_free + r:
                continue
            cx = rng.uniform(lo[0] + r, hi[0] - r)
            cz = rng.uniform(z_free + r, hi[2] - r - 0.02)
            cy = r
        color = random_color(rng, sat=(0.3, 0.9), val=(0.4, 0.95))
        prims.append(Primitive('sphere', (np.array([cx, cy, cz]), r),
                               solid_material(color, noise=0.1, scale=8.0, seed=seed + k)))
    return prims


def build_indoor_scene(rng: np.random.Generator) -> IndoorScene:
    """Sample a furnished room whose far corner stays within 10 m of any camera.

    Args:
        rng: Random generator (consumed).

    Returns:
        The room with its furniture, lighting and camera zone.
    """
    width, depth, height = rng.uniform(3.0, 5.5), rng.uniform(3.5, 7.0), rng.uniform(2.4, 3.2)
    lo = np.array([-width / 2, 0.0, 0.0])
    hi = np.array([width / 2, height, depth])
    seed = int(rng.integers(1 << 30))
    floor = room_ao(_floor_material(rng, seed), lo, hi)
    ceiling = room_ao(solid_material(random_color(rng, sat=(0.0, 0.1), val=(0.8, 0.95)),
                                     noise=0.04, seed=seed + 1), lo, hi)
    wall_mats = [_wall_material(rng, seed + 2)]
    if rng.random() < 0.3:  # accent wall
        wall_mats.append(_wall_material(rng, seed + 3))
    walls = [room_ao(wall_mats[int(rng.integers(len(wall_mats)))], lo, hi) for _ in range(4)]
    prims = [
        Primitive('plane', (lo, (0.0, 1.0, 0.0)), floor),
        Primitive('plane', (hi, (0.0, -1.0, 0.0)), ceiling),
        Primitive('plane', (lo, (1.0, 0.0, 0.0)), walls[0]),
        Primitive('plane', (hi, (-1.0, 0.0, 0.0)), walls[1]),
        Primitive('plane', (lo, (0.0, 0.0, 1.0)), walls[2]),
        Primitive('plane', (hi, (0.0, 0.0, -1.0)), walls[3]),
    ]
    cam_z_max = min(1.0, 0.2 * depth)
    z_free = cam_z_max + 0.7
    prims += _wall_decorations(rng, lo, hi, seed)
    furniture, boxes = _furniture(rng, lo, hi, z_free, seed + 10)
    prims += furniture
    prims += _spheres(rng, lo, hi, z_free, boxes, seed + 20)
    light = [rng.uniform(lo[0] + 0.5, hi[0] - 0.5), height - 0.15,
             rng.uniform(0.3 * depth, 0.8 * depth)]
    shade = point_light_shader(light, power=rng.uniform(1.2, 1.8), ambient=rng.uniform(0.15, 0.3),
                               falloff=rng.uniform(2.0, 3.5))
    black = np.zeros(3, np.float32)
    scene = Scene(tuple(prims), shade, lambda d: np.broadcast_to(black, d.shape).copy())
    margin = 0.8
    zone = (lo[0] + margin, hi[0] - margin, 0.3, cam_z_max)
    return IndoorScene(scene, lo, hi, zone)


def sample_indoor_camera(rng: np.random.Generator, room: IndoorScene, height: int, width: int,
                         focal: float) -> Camera:
    """Sample a hand-held camera pose in the room's camera zone.

    Args:
        rng: Random generator (consumed).
        room: The room.
        height: Image height.
        width: Image width.
        focal: Focal length in pixels.

    Returns:
        Camera 1.2-1.6 m above the floor looking roughly along +Z.
    """
    x0, x1, z0, z1 = room.camera_zone
    pos = np.array([rng.uniform(x0, x1), rng.uniform(1.2, 1.6), rng.uniform(z0, z1)])
    rot = look_rotation(math.radians(rng.uniform(-25, 25)), math.radians(rng.uniform(-2, 15)),
                        math.radians(rng.uniform(-3, 3)))
    return Camera(height, width, focal, pos, rot)



def render_nyu_frame(room: IndoorScene, cam: Camera,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Render one NYU-like frame.

    Args:
        room: The room.
        cam: The camera (inside the room's camera zone).
        rng: Random generator for sensor noise and holes (consumed).

    Returns:
        Tuple ``(rgb, depth)``: uint8 RGB image (H, W, 3) and float32 metric
        z-depth (H, W) with 0 where invalid (holes, < 0.5 m or > 10 m).
    """
    rgb, depth, _ = render_nyu_frame_with_edges(room, cam, rng)
    return rgb, depth


def render_nyu_frame_with_edges(room: IndoorScene, cam: Camera, rng: np.random.Generator
                                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render one NYU-like frame and its exact occlusion boundaries.

    Consumes ``rng`` exactly like :func:`render_nyu_frame` (the edges draw no
    random numbers), so both give the same image and depth.

    Args:
        room: The room.
        cam: The camera (inside the room's camera zone).
        rng: Random generator for sensor noise and holes (consumed).

    Returns:
        Tuple ``(rgb, depth, edges)``: ``rgb`` and ``depth`` as from
        :func:`render_nyu_frame`, and the bool (H, W) map of
        :func:`.edges.occlusion_edges` of the exact render (holes and the
        depth range of the written map play no part).
    """
    rgb, depth, hit_id = render_scene(room.scene, cam)
    edges = occlusion_edges(depth, hit_id)
    image = finish_image(rgb, rng, noise_sigma=0.012, target_mean=0.4)
    valid = np.isfinite(depth) & (depth >= NYU_MIN_DEPTH) & (depth <= NYU_MAX_DEPTH)
    valid &= ~kinect_hole_mask(depth, rng)
    return image, np.where(valid, depth, 0.0).astype(np.float32), edges



def sample_nyu_room(rng: np.random.Generator, number: int,
                    num_frames: int) -> tuple[str, IndoorScene]:
    """Sample one named scene of an NYU-like split.

    Args:
        rng: The scene's random generator (consumed: scene type, then room).
        number: Scene number, part of the name (e.g. ``bedroom_0003``).
        num_frames: Number of frames of the scene (rooms do not depend on it).

    Returns:
        Tuple ``(name, room)``.
    """
    scene_type = NYU_SCENE_TYPES[int(rng.integers(len(NYU_SCENE_TYPES)))]
    return f'{scene_type}_{number:04d}', build_indoor_scene(rng)


def render_nyu_view(room: IndoorScene, index: int, rng: np.random.Generator, height: int,
                    width: int, focal: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render one frame of a room from a randomly placed camera.

    Args:
        room: The room.
        index: Frame index within the scene (views are independent of it).
        rng: The frame's random generator (consumed: camera pose, then sensor
            effects).
        height: Image height.
        width: Image width.
        focal: Focal length in pixels.

    Returns:
        Tuple ``(rgb, depth, edges)`` as returned by
        :func:`render_nyu_frame_with_edges`.
    """
    cam = sample_indoor_camera(rng, room, height, width, focal)
    return render_nyu_frame_with_edges(room, cam, rng)
