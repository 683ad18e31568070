"""Lighting models, procedural textures and material functions.

A material maps surface points and normals (both (M, 3)) to albedo colours
(M, 3); a shader maps them to irradiance (M,). Textures are built from a
deterministic integer hash, so they need no random state.
"""

from __future__ import annotations

import colorsys
from collections.abc import Callable, Sequence

import numpy as np

from .raycast import Material, Shader

__all__ = [
    'box_material', 'checker_material', 'edge_distance', 'fbm', 'hash01', 'mix',
    'point_light_shader', 'random_color', 'room_ao', 'solid_material', 'stripes_material',
    'sun_shader', 'surface_uv', 'value_noise', 'wood_material'
]

# ----------------------------------------------------------------------------
# Lighting
# ----------------------------------------------------------------------------


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


def hash01(ix: np.ndarray, iy: np.ndarray, seed: int) -> np.ndarray:
    """Deterministic hash of integer lattice coordinates to [0, 1).

    Args:
        ix: First integer-valued coordinate, any shape.
        iy: Second integer-valued coordinate, same shape as ``ix``.
        seed: Integer selecting the hash function.

    Returns:
        float32 array shaped like ``ix``.
    """
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
    a = hash01(iu, iv, seed)
    b = hash01(iu1, iv, seed)
    c = hash01(iu, iv1, seed)
    d = hash01(iu1, iv1, seed)
    top = a + (b - a) * su
    bottom = c + (d - c) * su
    return top + (bottom - top) * sv


def fbm(u: np.ndarray, v: np.ndarray, seed: int, octaves: int = 2) -> np.ndarray:
    """Fractal sum of value noise octaves, roughly in [0, 1).

    Args:
        u: First coordinate, any shape.
        v: Second coordinate, same shape as ``u``.
        seed: Integer selecting the noise pattern.
        octaves: Number of octaves; each doubles the frequency and halves the
            amplitude.

    Returns:
        float32 array shaped like ``u``.
    """
    total = np.zeros(np.shape(u), np.float32)
    amp, norm = 1.0, 0.0
    for k in range(octaves):
        scale = 2.0 ** k
        total += amp * value_noise(u * scale, v * scale, seed + 7919 * k)
        norm += amp
        amp *= 0.5
    return total / norm


def surface_uv(points: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Planar texture coordinates: the two world axes orthogonal to the normal.

    Horizontal surfaces use (x, z); walls facing X use (z, y); walls facing Z
    use (x, y).

    Args:
        points: Surface points, shape (M, 3).
        normals: Surface normals, shape (M, 3).

    Returns:
        Tuple ``(u, v)`` of arrays of shape (M,).
    """
    a = np.abs(normals)
    horizontal = (a[:, 1] >= a[:, 0]) & (a[:, 1] >= a[:, 2])
    facing_x = ~horizontal & (a[:, 0] >= a[:, 2])
    u = np.where(facing_x, points[:, 2], points[:, 0])
    v = np.where(horizontal, points[:, 2], points[:, 1])
    return u, v


def edge_distance(points: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Distance from points on a box surface to the nearest box edge.

    Args:
        points: Points on the box surface, shape (M, 3).
        lo: Box minimum corner, shape (3,).
        hi: Box maximum corner, shape (3,).

    Returns:
        Distances in metres, shape (M,).
    """
    d = np.minimum(np.abs(points - lo), np.abs(points - hi))
    d0, d1, d2 = d[:, 0], d[:, 1], d[:, 2]
    return np.maximum(np.minimum(d0, d1), np.minimum(np.maximum(d0, d1), d2))


def random_color(rng: np.random.Generator, hue: float | None = None,
                 sat: tuple[float, float] = (0.1, 0.6),
                 val: tuple[float, float] = (0.3, 0.9)) -> np.ndarray:
    """Random RGB colour from HSV ranges.

    Args:
        rng: Random generator (consumed).
        hue: Fixed hue (taken modulo 1), or ``None`` for a random one.
        sat: Saturation range.
        val: Value (brightness) range.

    Returns:
        float32 RGB colour in [0, 1], shape (3,).
    """
    h = rng.random() if hue is None else hue % 1.0
    rgb = colorsys.hsv_to_rgb(h, rng.uniform(*sat), rng.uniform(*val))
    return np.array(rgb, np.float32)


def mix(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-row linear blend ``a + (b - a) * w`` of colours.

    Args:
        a: Colours at weight 0, shape (M, 3).
        b: Colours at weight 1, shape (M, 3).
        w: Blend weights, shape (M,).

    Returns:
        Blended colours, shape (M, 3).
    """
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
        u, v = surface_uv(points, normals)
        n = fbm(u * scale, v * scale, seed)
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
        edge = edge_distance(points, lo, hi)
        return base(points, normals) * (1.0 - 0.35 * np.exp(-edge / bevel))[:, None]

    return material


def _two_colour_blend(c1: np.ndarray,
                      c2: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Per-point blend between two fixed colours, the base of two-colour materials.

    Args:
        c1: Colour at weight 0, shape (3,).
        c2: Colour at weight 1, shape (3,).

    Returns:
        Function ``(points, w) -> colours``: points of shape (M, 3), weights
        of shape (M,), blended colours of shape (M, 3) (see :func:`mix`).
    """
    c1 = np.asarray(c1, np.float32)
    c2 = np.asarray(c2, np.float32)

    def blend(points: np.ndarray, w: np.ndarray) -> np.ndarray:
        return mix(np.broadcast_to(c1, points.shape), np.broadcast_to(c2, points.shape), w)

    return blend


def checker_material(c1: np.ndarray, c2: np.ndarray, size: float, grout: np.ndarray | None = None,
                     seed: int = 0) -> Material:
    """Checkerboard tiles, optionally separated by grout lines.

    Args:
        c1: First tile colour.
        c2: Second tile colour.
        size: Tile size in metres.
        grout: Grout colour, or ``None`` for no grout.
        seed: Pattern of the per-tile brightness variation.

    Returns:
        Material function.
    """
    blend = _two_colour_blend(c1, c2)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        u, v = surface_uv(points, normals)
        iu, iv = np.floor(u / size), np.floor(v / size)
        parity = ((iu + iv) % 2).astype(np.float32)
        out = blend(points, parity)
        out = out * (0.94 + 0.12 * hash01(iu, iv, seed))[:, None]
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
    blend = _two_colour_blend(c1, c2)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        u, v = surface_uv(points, normals)
        coord = u if vertical else v
        w = 0.5 + 0.5 * np.tanh(4.0 * np.sin(2 * np.pi * coord / period))
        out = blend(points, w)
        return out * (0.95 + 0.1 * fbm(u * 2, v * 2, seed))[:, None]

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
    blend = _two_colour_blend(light, dark)

    def material(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        x, z = points[:, 0], points[:, 2]
        plank = np.floor(x / plank_width)
        offset = hash01(plank, np.zeros_like(plank), seed) * plank_length
        seg = np.floor((z + offset) / plank_length)
        tint = hash01(plank, seg, seed + 1)
        grain = value_noise(x / plank_width * 6.0, z * 1.5, seed + 2)
        out = blend(points, 0.2 + 0.5 * tint + 0.3 * grain)
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
        edge = edge_distance(points, lo, hi)
        return material(points, normals) * (1.0 - strength * np.exp(-edge / width))[:, None]

    return wrapped

