"""Vectorised ray casting of analytic primitives.

One ray per pixel from a pinhole camera (x right, y down, z forward) is
intersected with planes, axis-aligned boxes, spheres and vertical cylinders;
the nearest hit is shaded by the primitive's material and the scene's light.
World coordinates are metric with the Y axis pointing up.

Directions need not be normalised: the hit distance ``t`` is in units of the
direction length, so for camera rays whose camera-frame z component is 1 it is
exactly the z-depth.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    'EPS', 'Camera', 'Material', 'Primitive', 'Scene', 'Shader', 'camera_rays', 'look_rotation',
    'primitive_bounds', 'ray_box', 'ray_plane', 'ray_sphere', 'ray_vertical_cylinder',
    'render_scene'
]

EPS = 1e-4

Material = Callable[[np.ndarray, np.ndarray], np.ndarray]
Shader = Callable[[np.ndarray, np.ndarray], np.ndarray]

# ----------------------------------------------------------------------------
# Ray / primitive intersections
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


def primitive_bounds(prim: Primitive) -> tuple[np.ndarray, np.ndarray] | None:
    """Axis-aligned bounds of a finite primitive.

    Args:
        prim: The primitive.

    Returns:
        ``(min_corner, max_corner)`` float arrays of shape (3,), or ``None``
        for unbounded primitives (planes).
    """
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
    bounds = primitive_bounds(prim)
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
