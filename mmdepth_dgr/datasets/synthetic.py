"""Procedural synthetic depth data written in the NYU-Depth-v2 and KITTI layouts.

Scenes are rendered with a tiny vectorised ray caster: one ray per pixel from a
pinhole camera (x right, y down, z forward), intersected with analytic
primitives (planes, axis-aligned boxes, spheres and vertical cylinders). The
nearest hit is shaded (procedural textures, Lambertian lighting, ambient term)
and its exact z-depth is stored as ground truth, so the data can exercise a
depth-estimation pipeline end to end without downloading the real datasets.

Two generators are provided:

* :func:`generate_nyu` - indoor rooms with furniture, written like the BTS
  ``sync`` training set plus the official test split (JPEG images, uint16 PNG
  depth in millimetres, dense ground truth with small Kinect-like holes).
* :func:`generate_kitti` - street scenes, written like the KITTI raw data plus
  the annotated depth maps of the Eigen split (PNG images, uint16 PNG depth
  times 256, sparse LiDAR-like ground truth, some test lines without GT).

World coordinates are metric with the Y axis pointing up. Everything is
deterministic given the seed: each scene and frame draws from its own
``numpy.random.Generator`` seeded with a tuple that contains the seed.

This module depends only on numpy, OpenCV and the standard library so that it
can be used without the rest of the package.
"""

from __future__ import annotations

import colorsys
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

__all__ = [
    'KITTI_FOCAL', 'KITTI_MAX_DEPTH', 'NYU_FOCAL', 'NYU_MAX_DEPTH', 'Camera', 'GenerationResult',
    'IndoorScene', 'Primitive', 'Scene', 'StreetScene', 'box_material', 'build_indoor_scene',
    'build_street_scene', 'camera_rays', 'checker_material', 'encode_kitti_depth',
    'encode_nyu_depth', 'generate_kitti', 'generate_nyu', 'kinect_hole_mask', 'kitti_focal',
    'lidar_beam_mask', 'look_rotation', 'make_progress_printer', 'nyu_focal', 'point_light_shader',
    'ray_box', 'ray_plane', 'ray_sphere', 'ray_vertical_cylinder', 'render_kitti_frame',
    'render_nyu_frame', 'render_scene', 'room_ao', 'sample_indoor_camera', 'sample_street_frame',
    'solid_material', 'stripes_material', 'sun_shader', 'value_noise', 'wood_material'
]

NYU_FOCAL = 518.8579
NYU_REF_WIDTH = 640
NYU_MIN_DEPTH = 0.5
NYU_MAX_DEPTH = 10.0
NYU_DEPTH_SCALE = 1000.0
KITTI_FOCAL = 721.5377
KITTI_REF_WIDTH = 1242
KITTI_MAX_DEPTH = 80.0
KITTI_DEPTH_SCALE = 256.0
KITTI_CAMERA_HEIGHT = 1.65
KITTI_DATE = '2011_09_26'
# The real Eigen test file has 45 of its 697 lines without ground truth.
KITTI_NONE_FRACTION = 45 / 697
MIN_IMAGE_SIZE = 16
JPEG_QUALITY = 95
PNG_COMPRESSION = 3
EPS = 1e-4

NYU_SCENE_TYPES = ('bedroom', 'kitchen', 'living_room', 'bathroom', 'dining_room',
                   'office', 'classroom', 'study', 'bookstore', 'playroom')

ProgressFn = Callable[[int, int], None]
Material = Callable[[np.ndarray, np.ndarray], np.ndarray]
Shader = Callable[[np.ndarray, np.ndarray], np.ndarray]

# ----------------------------------------------------------------------------
# Ray / primitive intersections. Directions need not be normalised: the hit
# distance ``t`` is in units of the direction length, so for camera rays whose
# camera-frame z component is 1 it is exactly the z-depth.
# ----------------------------------------------------------------------------


def _float_dirs(dirs: np.ndarray) -> np.ndarray:
    """Return ``dirs`` as a floating point array (float32 stays float32)."""
    dirs = np.asarray(dirs)
    if not np.issubdtype(dirs.dtype, np.floating):
        dirs = dirs.astype(np.float64)
    return dirs


def ray_plane(origin: Sequence[float], dirs: np.ndarray, point: Sequence[float],
              normal: Sequence[float]) -> np.ndarray:
    """Intersect rays sharing one origin with an infinite plane.

    Args:
        origin: Ray origin, shape (3,).
        dirs: Ray directions, shape (..., 3); need not be unit length.
        point: Any point on the plane, shape (3,).
        normal: Plane normal, shape (3,); need not be unit length.

    Returns:
        Hit parameter ``t`` (hit = origin + t * dir), shape (...), ``inf`` where
        the ray is parallel to the plane or the hit lies behind the origin.
    """
    dirs = _float_dirs(dirs)
    dt = dirs.dtype
    n = np.asarray(normal, dt)
    denom = dirs @ n
    num = np.dot(np.asarray(point, dt) - np.asarray(origin, dt), n)
    with np.errstate(divide='ignore', invalid='ignore'):
        t = num / denom
    return np.where((np.abs(denom) > 1e-12) & (t > EPS), t, np.inf).astype(dt)


def ray_box(origin: Sequence[float], dirs: np.ndarray, box_min: Sequence[float],
            box_max: Sequence[float], inv_dirs: np.ndarray | None = None) -> np.ndarray:
    """Intersect rays with an axis-aligned box (slab method).

    Args:
        origin: Ray origin, shape (3,).
        dirs: Ray directions, shape (..., 3).
        box_min: Minimum corner, shape (3,).
        box_max: Maximum corner, shape (3,).
        inv_dirs: Optional precomputed ``1 / dirs``.

    Returns:
        Distance ``t`` to the nearest hit in front of the origin, shape (...):
        the entry point for an origin outside the box, the exit point for an
        origin inside it, ``inf`` where the ray misses.
    """
    dirs = _float_dirs(dirs)
    if inv_dirs is None:
        with np.errstate(divide='ignore'):
            inv_dirs = 1.0 / dirs
    inv = tuple(inv_dirs[..., a] for a in range(3))
    return _slab(np.asarray(origin, dirs.dtype), inv, box_min, box_max).astype(dirs.dtype)


def _slab(origin: np.ndarray, inv: tuple[np.ndarray, np.ndarray, np.ndarray],
          box_min: Sequence[float], box_max: Sequence[float]) -> np.ndarray:
    """Slab test on per-axis inverse direction components (see :func:`ray_box`)."""
    t_near = t_far = None
    with np.errstate(invalid='ignore'):
        for a in range(3):
            o = float(origin[a])
            t1 = (float(box_min[a]) - o) * inv[a]
            t2 = (float(box_max[a]) - o) * inv[a]
            lo, hi = np.fmin(t1, t2), np.fmax(t1, t2)
            t_near = lo if t_near is None else np.fmax(t_near, lo)
            t_far = hi if t_far is None else np.fmin(t_far, hi)
        hit = (t_far >= t_near) & (t_far > EPS)
        t = np.where(t_near > EPS, t_near, t_far)
    return np.where(hit, t, np.inf)


def ray_sphere(origin: Sequence[float], dirs: np.ndarray, center: Sequence[float],
               radius: float) -> np.ndarray:
    """Intersect rays with a sphere.

    Args:
        origin: Ray origin, shape (3,).
        dirs: Ray directions, shape (..., 3).
        center: Sphere centre, shape (3,).
        radius: Sphere radius (> 0).

    Returns:
        Distance ``t`` to the nearest hit in front of the origin, shape (...),
        ``inf`` where the ray misses.
    """
    dirs = _float_dirs(dirs)
    dt = dirs.dtype
    oc = np.asarray(origin, dt) - np.asarray(center, dt)
    a = np.einsum('...i,...i->...', dirs, dirs)
    half_b = dirs @ oc
    c = float(oc @ oc) - radius * radius
    disc = half_b * half_b - a * c
    with np.errstate(invalid='ignore', divide='ignore'):
        sq = np.sqrt(disc)
        t0 = (-half_b - sq) / a
        t1 = (-half_b + sq) / a
    t = np.where(t0 > EPS, t0, np.where(t1 > EPS, t1, np.inf))
    return np.where((disc >= 0) & (a > 0), t, np.inf).astype(dt)


def ray_vertical_cylinder(origin: Sequence[float], dirs: np.ndarray, center_xz: Sequence[float],
                          radius: float, y_min: float, y_max: float) -> np.ndarray:
    """Intersect rays with a closed cylinder whose axis is parallel to world Y.

    Args:
        origin: Ray origin, shape (3,).
        dirs: Ray directions, shape (..., 3).
        center_xz: (x, z) position of the axis.
        radius: Cylinder radius (> 0).
        y_min: Bottom cap height.
        y_max: Top cap height.

    Returns:
        Distance ``t`` to the nearest hit (side or caps) in front of the
        origin, shape (...), ``inf`` where the ray misses.
    """
    dirs = _float_dirs(dirs)
    dt = dirs.dtype
    ox = float(origin[0]) - float(center_xz[0])
    oy = float(origin[1])
    oz = float(origin[2]) - float(center_xz[1])
    dx, dy, dz = dirs[..., 0], dirs[..., 1], dirs[..., 2]
    a = dx * dx + dz * dz
    half_b = dx * ox + dz * oz
    c = ox * ox + oz * oz - radius * radius
    disc = half_b * half_b - a * c
    best = np.full(dirs.shape[:-1], np.inf, dtype=dt)
    with np.errstate(invalid='ignore', divide='ignore'):
        sq = np.sqrt(disc)
        for sign in (-1.0, 1.0):
            t = (-half_b + sign * sq) / a
            y = oy + t * dy
            ok = (disc >= 0) & (a > 0) & (t > EPS) & (y >= y_min) & (y <= y_max)
            best = np.where(ok & (t < best), t, best)
        for y_cap in (y_min, y_max):
            t = (y_cap - oy) / dy
            px = ox + t * dx
            pz = oz + t * dz
            ok = (t > EPS) & (px * px + pz * pz <= radius * radius)
            best = np.where(ok & (t < best), t, best)
    return best.astype(dt)


# ----------------------------------------------------------------------------
# Scene description and rendering
# ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Primitive:
    """One analytic surface with its material.

    Attributes:
        kind: One of ``'plane'``, ``'box'``, ``'sphere'``, ``'cylinder'``.
        params: Geometry: plane ``(point, normal)``, box ``(min, max)``, sphere
            ``(center, radius)``, cylinder ``((x, z), radius, y_min, y_max)``.
        material: ``(points (M, 3), normals (M, 3)) -> albedo (M, 3)``.
    """

    kind: str
    params: tuple
    material: Material


@dataclass(frozen=True, eq=False)
class Scene:
    """Primitives plus lighting.

    Attributes:
        primitives: Surfaces to render.
        shade: ``(points, normals) -> irradiance (M,)`` with normals facing the
            camera.
        background: ``dirs (M, 3) -> rgb (M, 3)`` for rays that hit nothing.
        haze: Optional ``(rgb (M, 3), t (M,), dirs (M, 3)) -> rgb`` applied after shading.
    """

    primitives: tuple[Primitive, ...]
    shade: Shader
    background: Callable[[np.ndarray], np.ndarray]
    haze: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None = None


@dataclass(frozen=True, eq=False)
class Camera:
    """Pinhole camera, principal point at the image centre.

    Attributes:
        height: Image height in pixels.
        width: Image width in pixels.
        focal: Focal length in pixels (fx = fy).
        position: Camera centre in world coordinates, shape (3,).
        rotation: Camera-to-world rotation, shape (3, 3); camera axes are x
            right, y down, z forward.
    """

    height: int
    width: int
    focal: float
    position: np.ndarray
    rotation: np.ndarray

    @property
    def cx(self) -> float:
        """Principal point x (pixel centres at integer coordinates)."""
        return (self.width - 1) / 2.0

    @property
    def cy(self) -> float:
        """Principal point y (pixel centres at integer coordinates)."""
        return (self.height - 1) / 2.0


def look_rotation(yaw: float, pitch: float, roll: float = 0.0) -> np.ndarray:
    """Camera-to-world rotation for a Y-up world.

    With all angles zero the camera looks along world +Z with its x axis along
    world +X and its y axis along world -Y.

    Args:
        yaw: Rotation about world Y in radians (positive turns towards +X).
        pitch: Downward tilt in radians (positive looks down).
        roll: Rotation about the optical axis in radians.

    Returns:
        Rotation matrix of shape (3, 3).
    """
    cy_, sy_ = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cr, sr = math.cos(roll), math.sin(roll)
    r_yaw = np.array([[cy_, 0, sy_], [0, 1, 0], [-sy_, 0, cy_]])
    r_pitch = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    r_roll = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    flip = np.diag([1.0, -1.0, 1.0])
    return r_yaw @ r_pitch @ flip @ r_roll


def camera_rays(cam: Camera) -> np.ndarray:
    """World-space ray directions of all pixels.

    Args:
        cam: The camera.

    Returns:
        float32 array of shape (H, W, 3); each direction has camera-frame z
        component 1, so ray parameters equal z-depth.
    """
    u = (np.arange(cam.width, dtype=np.float32) - cam.cx) / cam.focal
    v = (np.arange(cam.height, dtype=np.float32) - cam.cy) / cam.focal
    d_cam = np.empty((cam.height, cam.width, 3), dtype=np.float32)
    d_cam[..., 0] = u[None, :]
    d_cam[..., 1] = v[:, None]
    d_cam[..., 2] = 1.0
    return d_cam @ np.asarray(cam.rotation, np.float32).T


def _intersect(prim: Primitive, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Dispatch to the intersection function of ``prim``."""
    if prim.kind == 'plane':
        return ray_plane(origin, dirs, *prim.params)
    if prim.kind == 'box':
        return ray_box(origin, dirs, *prim.params)
    if prim.kind == 'sphere':
        return ray_sphere(origin, dirs, *prim.params)
    if prim.kind == 'cylinder':
        return ray_vertical_cylinder(origin, dirs, *prim.params)
    raise ValueError(f'unknown primitive kind {prim.kind!r}')


def _box_normals(points: np.ndarray, box_min: np.ndarray, box_max: np.ndarray) -> np.ndarray:
    """Outward normals of the box faces nearest to ``points``."""
    dist = np.concatenate([np.abs(points - box_min), np.abs(points - box_max)], axis=1)
    face = np.argmin(dist, axis=1)
    normals = np.zeros_like(points)
    normals[np.arange(len(points)), face % 3] = np.where(face < 3, -1.0, 1.0)
    return normals


def _normals(prim: Primitive, points: np.ndarray) -> np.ndarray:
    """Unit surface normals of ``prim`` at ``points`` (orientation arbitrary)."""
    if prim.kind == 'plane':
        n = np.asarray(prim.params[1], points.dtype)
        return np.broadcast_to(n / np.linalg.norm(n), points.shape).copy()
    if prim.kind == 'box':
        return _box_normals(points, *(np.asarray(p, points.dtype) for p in prim.params))
    if prim.kind == 'sphere':
        center, radius = prim.params
        return (points - np.asarray(center, points.dtype)) / radius
    (cx, cz), radius, y_min, y_max = prim.params
    normals = np.zeros_like(points)
    radial = np.stack([points[:, 0] - cx, points[:, 2] - cz], axis=1)
    r = np.linalg.norm(radial, axis=1)
    cap_dist = np.minimum(np.abs(points[:, 1] - y_min), np.abs(points[:, 1] - y_max))
    side = np.abs(r - radius) <= cap_dist
    safe_r = np.maximum(r, 1e-9)
    normals[:, 0] = np.where(side, radial[:, 0] / safe_r, 0.0)
    normals[:, 2] = np.where(side, radial[:, 1] / safe_r, 0.0)
    normals[:, 1] = np.where(side, 0.0, np.where(points[:, 1] > (y_min + y_max) / 2, 1.0, -1.0))
    return normals


def _bounds(prim: Primitive) -> tuple[np.ndarray, np.ndarray] | None:
    """Axis-aligned bounds of a finite primitive (``None`` for planes)."""
    if prim.kind == 'box':
        return np.asarray(prim.params[0], float), np.asarray(prim.params[1], float)
    if prim.kind == 'sphere':
        c = np.asarray(prim.params[0], float)
        return c - prim.params[1], c + prim.params[1]
    if prim.kind == 'cylinder':
        (cx, cz), r, y0, y1 = prim.params
        return np.array([cx - r, y0, cz - r]), np.array([cx + r, y1, cz + r])
    return None


def _screen_rect(cam: Camera,
                 prim: Primitive) -> tuple[tuple[int, int, int, int], float] | None:
    """Pixel rectangle ``(r0, r1, c0, c1)`` that can contain ``prim``, and a
    lower bound of its z-depth.

    Returns ``None`` when the primitive is certainly invisible (behind the
    camera or outside the image) and the whole image when unsure.
    """
    full = (0, cam.height, 0, cam.width)
    bounds = _bounds(prim)
    if bounds is None:
        return full, 0.0
    lo, hi = bounds
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                        for z in (lo[2], hi[2])])
    p_cam = (corners - cam.position) @ cam.rotation
    z = p_cam[:, 2]
    if np.all(z <= 0):
        return None
    if np.any(z <= 1e-3):
        return full, 0.0
    u = cam.focal * p_cam[:, 0] / z + cam.cx
    v = cam.focal * p_cam[:, 1] / z + cam.cy
    c0 = max(0, math.floor(u.min()) - 1)
    c1 = min(cam.width, math.ceil(u.max()) + 2)
    r0 = max(0, math.floor(v.min()) - 1)
    r1 = min(cam.height, math.ceil(v.max()) + 2)
    if c0 >= c1 or r0 >= r1:
        return None
    return (r0, r1, c0, c1), float(z.min())


def _intersect_fast(prim: Primitive, origin: np.ndarray, dirs: np.ndarray,
                    inv: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """:func:`_intersect` reusing precomputed inverse directions for boxes."""
    if prim.kind == 'box':
        return _slab(origin, inv, *prim.params)
    return _intersect(prim, origin, dirs)


def render_scene(scene: Scene, cam: Camera) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ray cast a scene.

    Primitives are visited front to back (by a lower bound of their depth) and
    skipped when their screen rectangle is already covered by nearer hits.

    Args:
        scene: The scene.
        cam: The camera.

    Returns:
        Tuple ``(rgb, depth, hit_id)``: linear float32 colours (H, W, 3),
        float32 z-depth (H, W) with ``inf`` where nothing was hit, and int16
        index of the visible primitive (H, W), -1 for background.
    """
    dirs = camera_rays(cam)
    with np.errstate(divide='ignore'):
        inv = tuple(1.0 / np.ascontiguousarray(dirs[..., a]) for a in range(3))
    origin = np.asarray(cam.position, np.float32)
    best_t = np.full((cam.height, cam.width), np.inf, dtype=np.float32)
    best_id = np.full((cam.height, cam.width), -1, dtype=np.int16)
    visible = []
    for i, prim in enumerate(scene.primitives):
        rect = _screen_rect(cam, prim)
        if rect is not None:
            visible.append((rect[1], i, rect[0]))
    for z_min, i, (r0, r1, c0, c1) in sorted(visible):
        cur_t = best_t[r0:r1, c0:c1]
        if z_min > 0 and z_min >= cur_t.max():
            continue
        t = _intersect_fast(scene.primitives[i], origin, dirs[r0:r1, c0:c1],
                            tuple(c[r0:r1, c0:c1] for c in inv))
        closer = t < cur_t
        cur_t[closer] = t[closer]
        best_id[r0:r1, c0:c1][closer] = i

    flat_dirs = dirs.reshape(-1, 3)
    flat_t = best_t.ravel()
    flat_id = best_id.ravel()
    order = np.argsort(flat_id, kind='stable')
    starts = np.concatenate([[0], np.cumsum(np.bincount(flat_id.astype(np.int64) + 1))])
    rgb = np.empty((flat_t.size, 3), dtype=np.float32)
    for k in range(len(starts) - 1):
        if starts[k] == starts[k + 1]:
            continue
        i = k - 1
        idx = order[starts[k]:starts[k + 1]]
        d = flat_dirs[idx]
        if i < 0:
            rgb[idx] = scene.background(d)
            continue
        prim = scene.primitives[i]
        t = flat_t[idx]
        points = origin + t[:, None] * d
        normals = _normals(prim, points).astype(np.float32)
        facing = np.einsum('ij,ij->i', normals, d) > 0
        normals[facing] *= -1.0
        color = prim.material(points, normals) * scene.shade(points, normals)[:, None]
        if scene.haze is not None:
            color = scene.haze(color, t, d)
        rgb[idx] = color
    return rgb.reshape(cam.height, cam.width, 3), best_t, best_id


def point_light_shader(light_pos: Sequence[float], power: float, ambient: float,
                       falloff: float) -> Shader:
    """Lambertian point light with ``1 / (1 + (d / falloff)^2)`` attenuation.

    Args:
        light_pos: Light position, shape (3,).
        power: Diffuse intensity at zero distance.
        ambient: Constant ambient term.
        falloff: Distance scale of the attenuation in metres.

    Returns:
        Shader ``(points, normals) -> irradiance``.
    """
    light = np.asarray(light_pos, np.float32)

    def shade(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        to_light = light - points
        dist2 = np.einsum('ij,ij->i', to_light, to_light)
        lam = np.einsum('ij,ij->i', normals, to_light) / np.sqrt(np.maximum(dist2, 1e-12))
        return ambient + power * np.clip(lam, 0.0, None) / (1.0 + dist2 / falloff ** 2)

    return shade


def sun_shader(sun_dir: Sequence[float], power: float, ambient: float) -> Shader:
    """Directional light plus a hemispherical sky term.

    Args:
        sun_dir: Direction towards the sun, shape (3,).
        power: Diffuse sun intensity.
        ambient: Ambient intensity (upward-facing surfaces get the full value,
            downward-facing ones half of it).

    Returns:
        Shader ``(points, normals) -> irradiance``.
    """
    sun = np.asarray(sun_dir, np.float32)
    sun = sun / np.linalg.norm(sun)

    def shade(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        n_x, n_y, n_z = normals[:, 0], normals[:, 1], normals[:, 2]
        lam = np.maximum(n_x * sun[0] + n_y * sun[1] + n_z * sun[2], 0.0)
        return ambient * (0.75 + 0.25 * n_y) + power * lam

    return shade


# ----------------------------------------------------------------------------
# Procedural textures
# ----------------------------------------------------------------------------

_H1 = np.uint32(0x8DA6B343)
_H2 = np.uint32(0xD8163841)
_H3 = np.uint32(0x7FEB352D)
_H4 = np.uint32(0x846CA68B)
_S15 = np.uint32(15)
_S16 = np.uint32(16)
_S8 = np.uint32(8)


def _as_u32(values: np.ndarray) -> np.ndarray:
    """Integer-valued array reinterpreted as wrapping uint32 (no copy when int32)."""
    values = np.asarray(values)
    if values.dtype != np.int32:
        values = values.astype(np.int64).astype(np.int32)
    return values.view(np.uint32)


def _hash01(ix: np.ndarray, iy: np.ndarray, seed: int) -> np.ndarray:
    """Deterministic hash of integer lattice coordinates to [0, 1)."""
    h = (_as_u32(ix) * _H1) ^ (_as_u32(iy) * _H2) ^ np.uint32(seed & 0xFFFFFFFF)
    h ^= h >> _S16
    h *= _H3
    h ^= h >> _S15
    h *= _H4
    h ^= h >> _S16
    return (h >> _S8).astype(np.float32) * np.float32(1.0 / (1 << 24))


def value_noise(u: np.ndarray, v: np.ndarray, seed: int) -> np.ndarray:
    """Smooth 2-D value noise in [0, 1) with unit lattice spacing.

    Args:
        u: First coordinate, any shape.
        v: Second coordinate, same shape as ``u``.
        seed: Integer selecting the noise pattern.

    Returns:
        float32 array shaped like ``u``.
    """
    u = np.asarray(u, np.float32)
    v = np.asarray(v, np.float32)
    fu0 = np.floor(u)
    fv0 = np.floor(v)
    iu = fu0.astype(np.int32)
    iv = fv0.astype(np.int32)
    fu = u - fu0
    fv = v - fv0
    su = fu * fu * (3 - 2 * fu)
    sv = fv * fv * (3 - 2 * fv)
    iu1 = iu + np.int32(1)
    iv1 = iv + np.int32(1)
    a = _hash01(iu, iv, seed)
    b = _hash01(iu1, iv, seed)
    c = _hash01(iu, iv1, seed)
    d = _hash01(iu1, iv1, seed)
    top = a + (b - a) * su
    bottom = c + (d - c) * su
    return top + (bottom - top) * sv


def _fbm(u: np.ndarray, v: np.ndarray, seed: int, octaves: int = 2) -> np.ndarray:
    """Fractal sum of value noise octaves, roughly in [0, 1)."""
    total = np.zeros(np.shape(u), np.float32)
    amp, norm = 1.0, 0.0
    for k in range(octaves):
        scale = 2.0 ** k
        total += amp * value_noise(u * scale, v * scale, seed + 7919 * k)
        norm += amp
        amp *= 0.5
    return total / norm


def _surface_uv(points: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Planar texture coordinates: the two world axes orthogonal to the normal.

    Horizontal surfaces use (x, z); walls facing X use (z, y); walls facing Z
    use (x, y).
    """
    a = np.abs(normals)
    horizontal = (a[:, 1] >= a[:, 0]) & (a[:, 1] >= a[:, 2])
    facing_x = ~horizontal & (a[:, 0] >= a[:, 2])
    u = np.where(facing_x, points[:, 2], points[:, 0])
    v = np.where(horizontal, points[:, 2], points[:, 1])
    return u, v


def _edge_distance(points: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Distance from points on a box surface to the nearest box edge."""
    d = np.minimum(np.abs(points - lo), np.abs(points - hi))
    d0, d1, d2 = d[:, 0], d[:, 1], d[:, 2]
    return np.maximum(np.minimum(d0, d1), np.minimum(np.maximum(d0, d1), d2))


def _random_color(rng: np.random.Generator, hue: float | None = None,
                  sat: tuple[float, float] = (0.1, 0.6),
                  val: tuple[float, float] = (0.3, 0.9)) -> np.ndarray:
    """Random RGB colour (float32, [0, 1]) from HSV ranges."""
    h = rng.random() if hue is None else hue % 1.0
    rgb = colorsys.hsv_to_rgb(h, rng.uniform(*sat), rng.uniform(*val))
    return np.array(rgb, np.float32)


def _mix(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-row linear blend ``a + (b - a) * w`` of colours."""
    w = np.asarray(w, np.float32)
    return a + (b - a) * w[:, None]


def solid_material(color: np.ndarray, noise: float = 0.06, scale: float = 2.0,
                   seed: int = 0) -> Material:
    """Plain colour with low-frequency mottling.

    Args:
        color: RGB colour in [0, 1].
        noise: Relative brightness variation.
        scale: Noise frequency in cycles per metre.
        seed: Noise pattern.

    Returns:
        Material function.
    """
    color = np.asarray(color, np.float32)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        u, v = _surface_uv(points, normals)
        n = _fbm(u * scale, v * scale, seed)
        return color[None, :] * (1.0 + noise * (2.0 * n - 1.0))[:, None]

    return material


def box_material(color: np.ndarray, lo: np.ndarray, hi: np.ndarray, seed: int = 0,
                 noise: float = 0.06, bevel: float = 0.02) -> Material:
    """Mottled colour with darkened edges, for furniture-like boxes.

    Args:
        color: RGB colour in [0, 1].
        lo: Box minimum corner.
        hi: Box maximum corner.
        seed: Noise pattern.
        noise: Relative brightness variation.
        bevel: Width in metres of the darkened edge band.

    Returns:
        Material function.
    """
    base = solid_material(color, noise, 3.0, seed)
    lo = np.asarray(lo, np.float32)
    hi = np.asarray(hi, np.float32)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        edge = _edge_distance(points, lo, hi)
        return base(points, normals) * (1.0 - 0.35 * np.exp(-edge / bevel))[:, None]

    return material


def checker_material(c1: np.ndarray, c2: np.ndarray, size: float, grout: np.ndarray | None = None,
                     seed: int = 0) -> Material:
    """Checkerboard tiles, optionally separated by grout lines.

    Args:
        c1: First tile colour.
        c2: Second tile colour.
        size: Tile size in metres.
        grout: Grout colour, or ``None`` for no grout.
        seed: Noise pattern.

    Returns:
        Material function.
    """
    c1 = np.asarray(c1, np.float32)
    c2 = np.asarray(c2, np.float32)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        u, v = _surface_uv(points, normals)
        iu, iv = np.floor(u / size), np.floor(v / size)
        parity = ((iu + iv) % 2).astype(np.float32)
        out = _mix(np.broadcast_to(c1, points.shape), np.broadcast_to(c2, points.shape), parity)
        out = out * (0.94 + 0.12 * _hash01(iu, iv, seed))[:, None]
        if grout is not None:
            fu, fv = u / size - iu, v / size - iv
            line = np.minimum(np.minimum(fu, 1 - fu), np.minimum(fv, 1 - fv)) < 0.03
            out[line] = grout
        return out

    return material


def stripes_material(c1: np.ndarray, c2: np.ndarray, period: float, vertical: bool = True,
                     seed: int = 0) -> Material:
    """Soft stripes (wallpaper-like).

    Args:
        c1: First colour.
        c2: Second colour.
        period: Stripe period in metres.
        vertical: Vertical stripes if true, horizontal otherwise.
        seed: Noise pattern.

    Returns:
        Material function.
    """
    c1 = np.asarray(c1, np.float32)
    c2 = np.asarray(c2, np.float32)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        u, v = _surface_uv(points, normals)
        coord = u if vertical else v
        w = 0.5 + 0.5 * np.tanh(4.0 * np.sin(2 * np.pi * coord / period))
        out = _mix(np.broadcast_to(c1, points.shape), np.broadcast_to(c2, points.shape), w)
        return out * (0.95 + 0.1 * _fbm(u * 2, v * 2, seed))[:, None]

    return material


def wood_material(light: np.ndarray, dark: np.ndarray, plank_width: float, plank_length: float,
                  seed: int = 0) -> Material:
    """Wooden planks running along world Z with grain and dark gaps.

    Args:
        light: Light wood colour.
        dark: Dark wood colour.
        plank_width: Plank width in metres.
        plank_length: Plank length in metres.
        seed: Noise pattern.

    Returns:
        Material function.
    """
    light = np.asarray(light, np.float32)
    dark = np.asarray(dark, np.float32)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        x, z = points[:, 0], points[:, 2]
        plank = np.floor(x / plank_width)
        offset = _hash01(plank, np.zeros_like(plank), seed) * plank_length
        seg = np.floor((z + offset) / plank_length)
        tint = _hash01(plank, seg, seed + 1)
        grain = value_noise(x / plank_width * 6.0, z * 1.5, seed + 2)
        out = _mix(np.broadcast_to(light, points.shape), np.broadcast_to(dark, points.shape),
                   0.2 + 0.5 * tint + 0.3 * grain)
        fx = x / plank_width - plank
        fz = (z + offset) / plank_length - seg
        gap = (np.minimum(fx, 1 - fx) < 0.04) | (np.minimum(fz, 1 - fz) * plank_length < 0.006)
        out[gap] *= 0.45
        return out

    return material


def room_ao(material: Material, lo: np.ndarray, hi: np.ndarray, strength: float = 0.35,
            width: float = 0.25) -> Material:
    """Darken a room-surface material near the room's edges and corners.

    Args:
        material: Material to wrap.
        lo: Room minimum corner.
        hi: Room maximum corner.
        strength: Maximum darkening.
        width: Distance scale in metres.

    Returns:
        Material function.
    """
    lo = np.asarray(lo, np.float32)
    hi = np.asarray(hi, np.float32)

    def wrapped(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        edge = _edge_distance(points, lo, hi)
        return material(points, normals) * (1.0 - strength * np.exp(-edge / width))[:, None]

    return wrapped


# ----------------------------------------------------------------------------
# Indoor (NYU-like) scenes
# ----------------------------------------------------------------------------


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
        light = _random_color(rng, hue=rng.uniform(0.05, 0.11), sat=(0.35, 0.6), val=(0.55, 0.85))
        dark = light * rng.uniform(0.45, 0.7)
        return wood_material(light, dark, rng.uniform(0.1, 0.22), rng.uniform(0.9, 2.0), seed)
    if kind == 1:
        c1 = _random_color(rng, sat=(0.0, 0.3), val=(0.6, 0.95))
        c2 = c1 * rng.uniform(0.55, 0.85) if rng.random() < 0.6 else _random_color(rng)
        grout = _random_color(rng, sat=(0.0, 0.1), val=(0.3, 0.6))
        return checker_material(c1, c2, rng.uniform(0.25, 0.6), grout, seed)
    color = _random_color(rng, sat=(0.15, 0.6), val=(0.3, 0.7))
    return solid_material(color, noise=0.25, scale=6.0, seed=seed)


def _wall_material(rng: np.random.Generator, seed: int) -> Material:
    """Random wall: mottled paint, stripes, or paint with a wainscot."""
    paint = _random_color(rng, sat=(0.03, 0.35), val=(0.6, 0.95))
    kind = rng.integers(3)
    if kind == 0:
        base = solid_material(paint, noise=0.1, scale=1.5, seed=seed)
    elif kind == 1:
        other = paint * rng.uniform(0.7, 0.9)
        base = stripes_material(paint, other, rng.uniform(0.08, 0.4), rng.random() < 0.8, seed)
    else:
        lower = _random_color(rng, sat=(0.05, 0.5), val=(0.3, 0.8))
        upper = solid_material(paint, noise=0.08, scale=1.5, seed=seed)
        low = stripes_material(lower, lower * 0.8, rng.uniform(0.1, 0.2), True, seed + 1)
        split = rng.uniform(0.8, 1.1)

        def base(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
            return np.where((points[:, 1] < split)[:, None], low(points, normals),
                            upper(points, normals))

    skirting = _random_color(rng, sat=(0.0, 0.2), val=(0.5, 0.95))
    skirt_h = rng.uniform(0.06, 0.14)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        out = base(points, normals)
        out[points[:, 1] < skirt_h] = skirting
        return out

    return material


def _painting_material(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray,
                       seed: int) -> Material:
    """Colourful noisy picture with a dark frame."""
    c1, c2 = _random_color(rng, sat=(0.4, 0.9)), _random_color(rng, sat=(0.4, 0.9))
    frame = _random_color(rng, sat=(0.0, 0.4), val=(0.05, 0.4))
    lo = np.asarray(lo, np.float32)
    hi = np.asarray(hi, np.float32)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        u, v = _surface_uv(points, normals)
        out = _mix(np.broadcast_to(c1, points.shape), np.broadcast_to(c2, points.shape),
                   _fbm(u * 4, v * 4, seed, octaves=3))
        out[_edge_distance(points, lo, hi) < 0.04] = frame
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
            mat = box_material(_random_color(rng, val=(0.3, 0.9)), b_lo, b_hi, seed + 100 + k,
                               bevel=0.03)
        else:
            glass = _random_color(rng, hue=rng.uniform(0.52, 0.62), sat=(0.1, 0.4),
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
            color = _random_color(rng, hue=rng.uniform(0.04, 0.12), sat=(0.3, 0.7),
                                  val=(0.25, 0.75))
        else:
            color = _random_color(rng, sat=(0.0, 0.7), val=(0.15, 0.95))
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
        color = _random_color(rng, sat=(0.3, 0.9), val=(0.4, 0.95))
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
    ceiling = room_ao(solid_material(_random_color(rng, sat=(0.0, 0.1), val=(0.8, 0.95)),
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


def _finish_image(rgb: np.ndarray, rng: np.random.Generator, noise_sigma: float,
                  target_mean: float) -> np.ndarray:
    """Auto-exposure, gamma, slight optical blur and sensor noise; returns uint8 RGB."""
    gain = float(np.clip(target_mean / max(float(rgb.mean()), 1e-6), 0.6, 2.0))
    img = np.clip(rgb * gain, 0.0, 1.0) ** (1 / 2.2)
    img = cv2.GaussianBlur(img, (3, 3), 0.6)
    luma = rng.standard_normal(img.shape[:2], dtype=np.float32)
    img = img + np.float32(noise_sigma) * luma[..., None]
    return np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)


def kinect_hole_mask(depth: np.ndarray, rng: np.random.Generator,
                     fraction: float = 0.01) -> np.ndarray:
    """Kinect-like missing measurements: small blobs plus some depth edges.

    Args:
        depth: z-depth in metres, shape (H, W).
        rng: Random generator (consumed).
        fraction: Approximate fraction of pixels removed by blobs.

    Returns:
        Boolean mask (H, W), true where the measurement is missing.
    """
    h, w = depth.shape
    n_blobs = max(1, int(round(fraction * h * w / 9.0)))
    mask = np.zeros((h, w), np.uint8)
    mask[rng.integers(h, size=n_blobs), rng.integers(w, size=n_blobs)] = 1
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(bool)
    finite = np.where(np.isfinite(depth), depth, 0.0).astype(np.float32)
    grad = np.maximum(np.abs(np.diff(finite, axis=1, append=finite[:, -1:])),
                      np.abs(np.diff(finite, axis=0, append=finite[-1:, :])))
    edges = grad > 0.08 * np.maximum(finite, 1e-3)
    return mask | (edges & (rng.random((h, w)) < 0.3))


def encode_nyu_depth(depth: np.ndarray) -> np.ndarray:
    """Encode metric depth as NYU uint16 millimetres (0 = invalid).

    Args:
        depth: Depth in metres; non-finite, non-positive or > 10 m is invalid.

    Returns:
        uint16 array of the same shape.
    """
    valid = np.isfinite(depth) & (depth > 0) & (depth <= NYU_MAX_DEPTH)
    return np.where(valid, np.rint(np.where(valid, depth, 0) * NYU_DEPTH_SCALE),
                    0).astype(np.uint16)


def encode_kitti_depth(depth: np.ndarray) -> np.ndarray:
    """Encode metric depth as KITTI uint16 (depth * 256, 0 = invalid).

    Args:
        depth: Depth in metres; non-finite, non-positive or > 80 m is invalid.

    Returns:
        uint16 array of the same shape.
    """
    valid = np.isfinite(depth) & (depth > 0) & (depth <= KITTI_MAX_DEPTH)
    return np.where(valid, np.rint(np.where(valid, depth, 0) * KITTI_DEPTH_SCALE),
                    0).astype(np.uint16)


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
    rgb, depth, _ = render_scene(room.scene, cam)
    image = _finish_image(rgb, rng, noise_sigma=0.012, target_mean=0.4)
    valid = np.isfinite(depth) & (depth >= NYU_MIN_DEPTH) & (depth <= NYU_MAX_DEPTH)
    valid &= ~kinect_hole_mask(depth, rng)
    return image, np.where(valid, depth, 0.0).astype(np.float32)


# ----------------------------------------------------------------------------
# Outdoor (KITTI-like) scenes
# ----------------------------------------------------------------------------


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
    asphalt = _random_color(rng, sat=(0.0, 0.08), val=(0.25, 0.42))
    paint = np.array([0.92, 0.92, 0.88], np.float32)
    verge = _random_color(rng, hue=rng.uniform(0.12, 0.3), sat=(0.3, 0.6), val=(0.25, 0.5))
    left, right = road_x
    dash, period = rng.uniform(3.0, 4.5), rng.uniform(9.0, 13.0)
    width = 0.13

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        x, z = points[:, 0], points[:, 2]
        n = _fbm(x * 2.0, z * 0.8, seed, octaves=3)
        out = asphalt[None, :] * (0.85 + 0.3 * n)[:, None]
        on_dash = (z % period) < dash
        line = (np.abs(x - (left + 0.3)) < width / 2) | (np.abs(x - (right - 0.3)) < width / 2)
        line |= np.abs(x - center) < width / 2 + 0.02
        for d in dividers:
            line |= (np.abs(x - d) < width / 2) & on_dash
        out[line] = paint
        outside = (x < left) | (x > right)
        out[outside] = verge * (0.7 + 0.6 * _fbm(x[outside] * 3, z[outside] * 3, seed + 1,
                                                 octaves=2))[:, None]
        return out

    return material


def _facade_material(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray,
                     seed: int) -> Material:
    """Building facade with a regular grid of windows on the vertical faces."""
    wall = _random_color(rng, sat=(0.05, 0.45), val=(0.4, 0.9))
    glass = _random_color(rng, hue=rng.uniform(0.5, 0.65), sat=(0.1, 0.35), val=(0.12, 0.35))
    frame = _random_color(rng, sat=(0.0, 0.2), val=(0.6, 0.95))
    sx, sy = rng.uniform(2.0, 4.0), rng.uniform(2.8, 3.4)
    wx, wy = rng.uniform(0.35, 0.65), rng.uniform(0.4, 0.6)
    ground_floor = rng.uniform(0.0, 1.0) < 0.4
    lo = np.asarray(lo, np.float32)
    hi = np.asarray(hi, np.float32)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        u, v = _surface_uv(points, normals)
        out = wall[None, :] * (0.9 + 0.2 * _fbm(u * 0.7, v * 0.7, seed))[:, None]
        fu, fv = u / sx, (v - 0.8) / sy
        cu, cv = fu - np.floor(fu), fv - np.floor(fv)
        vertical = np.abs(normals[:, 1]) < 0.5
        du, dv = np.abs(cu - 0.5), np.abs(cv - 0.5)
        rows_ok = vertical & (points[:, 1] > 0.8) & (points[:, 1] < hi[1] - 0.6)
        in_frame = rows_ok & (du < wx / 2 + 0.05) & (dv < wy / 2 + 0.05)
        window = rows_ok & (du < wx / 2) & (dv < wy / 2)
        out[in_frame] = frame
        refl = 0.7 + 0.6 * _hash01(np.floor(fu[window]), np.floor(fv[window]), seed + 3)
        out[window] = glass * refl[:, None]
        if ground_floor:
            shop = vertical & (points[:, 1] < 2.6) & (points[:, 1] > 0.3)
            out[shop] = glass * 1.3
        out *= (1.0 - 0.3 * np.exp(-_edge_distance(points, lo, hi) / 0.15))[:, None]
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
    concrete = _random_color(rng, sat=(0.0, 0.1), val=(0.5, 0.75))
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
            green = _random_color(rng, hue=rng.uniform(0.22, 0.36), sat=(0.4, 0.8),
                                  val=(0.15, 0.4))
            prims.append(Primitive('box', (b_lo, b_hi),
                                   solid_material(green, noise=0.5, scale=6.0, seed=seed + 10 + k)))
        z += length + (rng.uniform(1.0, 8.0) if rng.random() < 0.4 else 0.0)
        k += 1
    metal = _random_color(rng, sat=(0.0, 0.15), val=(0.25, 0.6))
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
        bark = _random_color(rng, hue=rng.uniform(0.05, 0.1), sat=(0.3, 0.6), val=(0.15, 0.35))
        leaves = _random_color(rng, hue=rng.uniform(0.2, 0.35), sat=(0.4, 0.8), val=(0.15, 0.45))
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
    horizon = _random_color(rng, hue=rng.uniform(0.55, 0.62), sat=(0.03, 0.15), val=(0.85, 1.0))
    zenith = _random_color(rng, hue=rng.uniform(0.55, 0.62), sat=(0.3, 0.6), val=(0.6, 0.9))
    return StreetScene(tuple(prims), lanes, (left, right), lanes[cam_lane], step,
                       sun_shader(sun, rng.uniform(0.6, 0.9), rng.uniform(0.35, 0.5)),
                       (horizon, zenith))


def _sky(horizon: np.ndarray, zenith: np.ndarray, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """Sky colour: vertical gradient with faint clouds."""

    def background(dirs: np.ndarray) -> np.ndarray:
        norm = np.linalg.norm(dirs, axis=1)
        elev = np.clip(dirs[:, 1] / norm, 0.0, 1.0)
        w = np.clip(elev * 2.5, 0.0, 1.0)
        out = _mix(np.broadcast_to(horizon, dirs.shape), np.broadcast_to(zenith, dirs.shape), w)
        az = np.arctan2(dirs[:, 0], dirs[:, 2])
        cloud = np.clip(_fbm(az * 6.0, elev * 20.0, seed, octaves=3) * 2.0 - 1.0, 0.0, 1.0)
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
        paint = _random_color(rng, sat=(0.0, 0.9), val=(0.1, 0.95))
        glass = _random_color(rng, hue=0.6, sat=(0.0, 0.2), val=(0.05, 0.2))
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
    bounds = _bounds(prim)
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
        return _mix(color, np.broadcast_to(horizon, color.shape), 1.0 - np.exp(-dist / haze_len))

    scene = Scene(tuple(prims), street.shade, _sky(horizon, zenith, seed), haze)
    return scene, cam


def lidar_beam_mask(height: int, width: int, focal: float, rng: np.random.Generator,
                    num_beams: int = 64, keep_prob: float = 0.6) -> np.ndarray:
    """Pixels sampled by a LiDAR-like scanner.

    Beam elevations are evenly spaced in angle over the lower two thirds of
    the image; beams never fall on adjacent rows (fewer beams are used on
    small images) and each beam keeps a random subset of the columns.

    Args:
        height: Image height.
        width: Image width.
        focal: Focal length in pixels.
        rng: Random generator (consumed).
        num_beams: Maximum number of beams.
        keep_prob: Probability that a pixel on a beam row has a return.

    Returns:
        Boolean mask (H, W).
    """
    cy = (height - 1) / 2.0
    top_row = height / 3.0
    top = math.atan((cy - top_row) / focal)
    bottom = math.atan((cy - (height - 1)) / focal)
    span_rows = height - 1 - top_row
    n = max(1, min(num_beams, int(span_rows // 2)))
    angles = np.linspace(top, bottom, n)
    rows = np.unique(np.clip(np.rint(cy - focal * np.tan(angles)), 0, height - 1).astype(int))
    mask = np.zeros((height, width), bool)
    mask[rows] = rng.random((len(rows), width)) < keep_prob
    return mask


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
    rgb, depth, _ = render_scene(scene, cam)
    image = _finish_image(rgb, rng, noise_sigma=0.01, target_mean=0.35)
    mask = lidar_beam_mask(cam.height, cam.width, cam.focal, rng)
    valid = mask & np.isfinite(depth) & (depth > 0) & (depth <= KITTI_MAX_DEPTH)
    return image, np.where(valid, depth, 0.0).astype(np.float32)


# ----------------------------------------------------------------------------
# Dataset writers
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationResult:
    """What a generator wrote.

    Attributes:
        out_dir: Dataset root.
        train_split: Path of the training split file.
        test_split: Path of the test split file.
        num_frames: Number of frames rendered (train + test).
    """

    out_dir: Path
    train_split: Path
    test_split: Path
    num_frames: int


def nyu_focal(width: int) -> float:
    """NYU focal length scaled to ``width`` (518.8579 px at 640 px wide).

    Args:
        width: Image width.

    Returns:
        Focal length in pixels.
    """
    return NYU_FOCAL * width / NYU_REF_WIDTH


def kitti_focal(width: int) -> float:
    """KITTI focal length scaled to ``width`` (721.5377 px at 1242 px wide).

    Args:
        width: Image width.

    Returns:
        Focal length in pixels.
    """
    return KITTI_FOCAL * width / KITTI_REF_WIDTH


def _check_int(name: str, value: object, minimum: int) -> int:
    """Validate an integer argument, naming it in the error."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f'{name} must be an integer, got {type(value).__name__}')
    if value < minimum:
        raise ValueError(f'{name} must be >= {minimum}, got {value}')
    return int(value)


def _check_common(num_train: object, num_test: object, height: object, width: object,
                  seed: object, groups: object, groups_name: str) -> None:
    """Validate the arguments shared by both generators."""
    _check_int('num_train', num_train, 0)
    _check_int('num_test', num_test, 0)
    _check_int('height', height, MIN_IMAGE_SIZE)
    _check_int('width', width, MIN_IMAGE_SIZE)
    _check_int('seed', seed, 0)
    if groups is not None:
        _check_int(groups_name, groups, 1)


def _group_sizes(num_frames: int, num_groups: int | None, frames_per_group: int) -> list[int]:
    """Split ``num_frames`` into contiguous groups (scenes or drives)."""
    if num_frames == 0:
        return []
    if num_groups is None:
        num_groups = math.ceil(num_frames / frames_per_group)
    num_groups = min(num_groups, num_frames)
    base, extra = divmod(num_frames, num_groups)
    return [base + (1 if g < extra else 0) for g in range(num_groups)]


def _write_rgb(path: Path, rgb: np.ndarray) -> None:
    """Write an RGB uint8 image as JPEG (quality 95) or PNG depending on suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    if path.suffix.lower() in ('.jpg', '.jpeg'):
        params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    else:
        params = [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION]
    ok, buf = cv2.imencode(path.suffix, bgr, params)
    if not ok:
        raise OSError(f'could not encode {path}')
    path.write_bytes(buf.tobytes())


def _write_png16(path: Path, depth: np.ndarray) -> None:
    """Write a uint16 single-channel PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode('.png', depth.astype(np.uint16),
                           [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    if not ok:
        raise OSError(f'could not encode {path}')
    path.write_bytes(buf.tobytes())


def _write_split(path: Path, lines: list[str]) -> Path:
    """Write split-file lines (newline terminated)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(line + '\n' for line in lines))
    return path


def _nyu_split(out: Path, split_id: int, sizes: list[int], first_scene: int, height: int,
               width: int, seed: int, done: int, total: int, progress: ProgressFn | None,
               leading_slash: bool) -> tuple[list[str], int]:
    """Render and write the frames of one NYU split; returns lines and progress count."""
    root = out / 'sync' if split_id == 0 else out / 'official_splits' / 'test'
    focal = nyu_focal(width)
    lines = []
    frame_idx = 0
    for g, size in enumerate(sizes):
        scene_rng = np.random.default_rng([seed, 0, split_id, 0, g])
        scene_type = NYU_SCENE_TYPES[int(scene_rng.integers(len(NYU_SCENE_TYPES)))]
        name = f'{scene_type}_{first_scene + g:04d}'
        room = build_indoor_scene(scene_rng)
        for k in range(size):
            rng = np.random.default_rng([seed, 0, split_id, 1, frame_idx])
            cam = sample_indoor_camera(rng, room, height, width, focal)
            rgb, depth = render_nyu_frame(room, cam, rng)
            rgb_rel, depth_rel = f'{name}/rgb_{k:05d}.jpg', f'{name}/sync_depth_{k:05d}.png'
            _write_rgb(root / rgb_rel, rgb)
            _write_png16(root / depth_rel, encode_nyu_depth(depth))
            prefix = '/' if leading_slash else ''
            lines.append(f'{prefix}{rgb_rel} {prefix}{depth_rel} {focal:.4f}')
            frame_idx += 1
            done += 1
            if progress is not None:
                progress(done, total)
    return lines, done


def generate_nyu(out_dir: str | Path, num_train: int, num_test: int, height: int = 480,
                 width: int = 640, seed: int = 0, num_scenes: int | None = None,
                 progress: ProgressFn | None = None) -> GenerationResult:
    """Write an NYU-Depth-v2-like dataset (BTS ``sync`` layout + official test split).

    Layout::

        <out>/sync/<scene>/rgb_00000.jpg, sync_depth_00000.png
        <out>/official_splits/test/<scene>/rgb_00000.jpg, sync_depth_00000.png
        <out>/splits/nyu_train.txt, nyu_test.txt

    Args:
        out_dir: Output root (created if needed; existing files are overwritten).
        num_train: Number of training frames (>= 0).
        num_test: Number of test frames (>= 0).
        height: Image height (>= 16).
        width: Image width (>= 16); the focal length scales with it.
        seed: Non-negative random seed.
        num_scenes: Scenes per split (clipped to the split's frame count);
            ``None`` uses one scene per 25 frames. Train and test scenes are
            disjoint.
        progress: Optional ``callback(done, total)`` called after each frame.

    Returns:
        The split-file paths and the number of frames.
    """
    _check_common(num_train, num_test, height, width, seed, num_scenes, 'num_scenes')
    out = Path(out_dir)
    train_sizes = _group_sizes(num_train, num_scenes, 25)
    test_sizes = _group_sizes(num_test, num_scenes, 25)
    total = num_train + num_test
    train_lines, done = _nyu_split(out, 0, train_sizes, 1, height, width, seed, 0, total,
                                   progress, leading_slash=True)
    test_lines, done = _nyu_split(out, 1, test_sizes, len(train_sizes) + 1, height, width, seed,
                                  done, total, progress, leading_slash=False)
    train_split = _write_split(out / 'splits' / 'nyu_train.txt', train_lines)
    test_split = _write_split(out / 'splits' / 'nyu_test.txt', test_lines)
    return GenerationResult(out, train_split, test_split, total)


def _kitti_split(out: Path, split_id: int, sizes: list[int], first_drive: int, height: int,
                 width: int, seed: int, no_gt: set[int], done: int, total: int,
                 progress: ProgressFn | None) -> tuple[list[str], int]:
    """Render and write the frames of one KITTI split; returns lines and progress count."""
    focal = kitti_focal(width)
    lines = []
    frame_idx = 0
    for g, size in enumerate(sizes):
        drive = f'{KITTI_DATE}_drive_{first_drive + g:04d}_sync'
        street = build_street_scene(np.random.default_rng([seed, 1, split_id, 0, g]), size)
        for k in range(size):
            rng = np.random.default_rng([seed, 1, split_id, 1, frame_idx])
            scene, cam = sample_street_frame(rng, street, k, height, width, focal)
            rgb, depth = render_kitti_frame(scene, cam, rng)
            img_rel = f'{KITTI_DATE}/{drive}/image_02/data/{k:010d}.png'
            _write_rgb(out / 'raw' / img_rel, rgb)
            if frame_idx in no_gt:
                gt_rel = 'None'
            else:
                gt_rel = f'{drive}/proj_depth/groundtruth/image_02/{k:010d}.png'
                _write_png16(out / 'gt' / gt_rel, encode_kitti_depth(depth))
            lines.append(f'{img_rel} {gt_rel} {focal:.4f}')
            frame_idx += 1
            done += 1
            if progress is not None:
                progress(done, total)
    return lines, done


def generate_kitti(out_dir: str | Path, num_train: int, num_test: int, height: int = 375,
                   width: int = 1242, seed: int = 0, num_drives: int | None = None,
                   progress: ProgressFn | None = None) -> GenerationResult:
    """Write a KITTI-like dataset (raw images + annotated depth, Eigen split files).

    Layout::

        <out>/raw/2011_09_26/<drive>/image_02/data/0000000000.png
        <out>/gt/<drive>/proj_depth/groundtruth/image_02/0000000000.png
        <out>/splits/kitti_eigen_train.txt, kitti_eigen_test.txt

    About 6.5% of the test lines (as in the real file, 45 of 697) have ``None``
    as depth path and no depth file.

    Args:
        out_dir: Output root (created if needed; existing files are overwritten).
        num_train: Number of training frames (>= 0).
        num_test: Number of test frames (>= 0).
        height: Image height (>= 16).
        width: Image width (>= 16); the focal length scales with it.
        seed: Non-negative random seed.
        num_drives: Drives per split (clipped to the split's frame count);
            ``None`` uses one drive per 50 frames. Train and test drives are
            disjoint.
        progress: Optional ``callback(done, total)`` called after each frame.

    Returns:
        The split-file paths and the number of frames.
    """
    _check_common(num_train, num_test, height, width, seed, num_drives, 'num_drives')
    out = Path(out_dir)
    train_sizes = _group_sizes(num_train, num_drives, 50)
    test_sizes = _group_sizes(num_test, num_drives, 50)
    n_none = int(round(num_test * KITTI_NONE_FRACTION))
    none_rng = np.random.default_rng([seed, 1, 1, 2])
    no_gt = {int(i) for i in none_rng.choice(num_test, size=n_none, replace=False)} \
        if n_none else set()
    total = num_train + num_test
    train_lines, done = _kitti_split(out, 0, train_sizes, 1, height, width, seed, set(), 0,
                                     total, progress)
    test_lines, done = _kitti_split(out, 1, test_sizes, len(train_sizes) + 1, height, width,
                                    seed, no_gt, done, total, progress)
    train_split = _write_split(out / 'splits' / 'kitti_eigen_train.txt', train_lines)
    test_split = _write_split(out / 'splits' / 'kitti_eigen_test.txt', test_lines)
    return GenerationResult(out, train_split, test_split, total)


def make_progress_printer(name: str, every_percent: int = 10,
                          stream: TextIO | None = None) -> ProgressFn:
    """Progress callback printing a line each time ``every_percent`` is crossed.

    Args:
        name: Label printed in front of the progress.
        every_percent: Reporting granularity in percent.
        stream: Output stream (``sys.stdout`` by default).

    Returns:
        Callback ``(done, total) -> None``.
    """
    last = [-1]

    def report(done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if pct // every_percent > last[0]:
            last[0] = pct // every_percent
            print(f'[{name}] {done}/{total} frames ({pct}%)', file=stream or sys.stdout,
                  flush=True)

    return report
