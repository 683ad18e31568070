"""Exact occlusion-boundary maps from a render's depth and primitive ids.

The renderer knows which primitive each ray hit (:func:`.raycast.render_scene`
returns it as ``hit_id``), so the boundaries between objects are exact; a
boundary is an *occlusion* boundary only where the depth also jumps. The rule
of :func:`occlusion_edges`, for every pair of 4-neighbours ``p``, ``q``:

1. they belong to different primitives (or one is background, ``hit_id`` -1);
2. the depth jump, relative to the nearer depth and in excess of what the two
   surfaces change per pixel on their own, is above ``threshold``
   (:data:`EDGE_REL_DEPTH_JUMP`, 5 %)::

       w = 1 / depth                        (0 for background: infinitely far)
       jump = |w_p - w_q| - max(|s_p|, |s_q|)
       edge where jump / min(w_p, w_q) > threshold

   ``s_p`` is the change of ``w`` from ``p`` to its other neighbour on the same
   axis (0 when that pixel is outside the image or on another primitive), and
   likewise ``s_q``. Inverse depth is affine in the pixel coordinates on a
   plane, so where two planes meet (a box standing on the floor, a wall corner,
   two coplanar touching boxes) ``|w_p - w_q|`` is at most the larger slope and
   no edge is marked at any image size, while ``|w_p - w_q| / min(w_p, w_q)``
   alone is the plain relative depth difference ``z_far / z_near - 1``: an edge
   always has a jump above ``threshold``. An infinite plane fading into the sky
   at the horizon (``w`` -> 0 continuously) is no edge either;
3. only the nearer pixel of the pair (the occluding side) is marked, so the
   boundary is one pixel thin, as in the ground-truth edge maps of iBims-1.

The maps are computed from the exact, dense render (before sensor holes, range
limits or the LiDAR-like sparsification of the written depth). This module
depends only on numpy.
"""

from __future__ import annotations

import numpy as np

__all__ = ['EDGE_REL_DEPTH_JUMP', 'edge_pair_jumps', 'occlusion_edges']

#: Smallest relative depth jump (in excess of the surfaces' own per-pixel change) of an
#: occlusion edge: 5 % of the nearer depth (25 cm at 5 m).
EDGE_REL_DEPTH_JUMP = 0.05


def _inverse_depth(depth: np.ndarray) -> np.ndarray:
    """``1 / depth`` in float64, 0 where the depth is infinite, NaN or not positive."""
    depth = np.asarray(depth, np.float64)
    ok = np.isfinite(depth) & (depth > 0)
    return np.where(ok, 1.0 / np.where(ok, depth, 1.0), 0.0)


def _axis_pairs(w: np.ndarray, ids: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Excess relative jump of every neighbour pair along ``axis``, and which side is nearer.

    Args:
        w: Inverse depth (H, W).
        ids: Primitive ids (H, W).
        axis: 0 (vertical pairs) or 1 (horizontal pairs).

    Returns:
        ``(rel, first_nearer)``, each of the shape of ``w`` shortened by one along
        ``axis``: ``rel[k]`` belongs to the pair (k, k + 1); ``inf`` where one
        side is background (and the other's inverse depth exceeds the slopes), ``-inf``
        where both sides are the same primitive.
    """
    w = np.moveaxis(w, axis, 0)
    ids = np.moveaxis(ids, axis, 0)
    n = w.shape[0]
    slope = np.zeros_like(w)  # slope[k] = w[k] - w[k - 1] on one primitive, else 0
    if n > 1:
        same = ids[1:] == ids[:-1]
        slope[1:] = np.where(same, w[1:] - w[:-1], 0.0)
    # for the pair (k, k + 1): the first pixel's own slope comes from (k - 1, k) and the
    # second's from (k + 1, k + 2)
    s_first = slope[:-1]
    s_second = np.zeros_like(s_first)
    s_second[:-1] = slope[2:]
    w_a, w_b = w[:-1], w[1:]
    excess = np.abs(w_a - w_b) - np.maximum(np.abs(s_first), np.abs(s_second))
    far = np.minimum(w_a, w_b)
    with np.errstate(divide='ignore', invalid='ignore'):
        # against the background (far = 0) any positive excess is an infinite jump
        rel = np.where(far > 0, excess / np.where(far > 0, far, 1.0),
                       np.where(excess > 0, np.inf, -np.inf))
    rel = np.where(ids[:-1] != ids[1:], rel, -np.inf)
    return np.moveaxis(rel, 0, axis), np.moveaxis(w_a > w_b, 0, axis)


def edge_pair_jumps(depth: np.ndarray, hit_id: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The plain relative depth jump ``z_far / z_near - 1`` of every 4-neighbour pair.

    A reference for checks (every edge of :func:`occlusion_edges` lies on a pair
    whose value here exceeds the threshold): ``inf`` between a primitive and the
    background, ``-inf`` inside one primitive or the background.

    Args:
        depth: z-depth (H, W), ``inf`` for background.
        hit_id: Primitive index (H, W), -1 for background.

    Returns:
        ``(vertical, horizontal)`` of shapes (H - 1, W) and (H, W - 1).
    """
    w = _inverse_depth(depth)
    ids = np.asarray(hit_id)
    out = []
    for axis in (0, 1):
        a = np.moveaxis(w, axis, 0)
        i = np.moveaxis(ids, axis, 0)
        near, far = np.maximum(a[:-1], a[1:]), np.minimum(a[:-1], a[1:])
        with np.errstate(divide='ignore', invalid='ignore'):
            rel = np.where(far > 0, near / np.where(far > 0, far, 1.0) - 1.0,
                           np.where(near > 0, np.inf, -np.inf))
        out.append(np.moveaxis(np.where(i[:-1] != i[1:], rel, -np.inf), 0, axis))
    return out[0], out[1]


def occlusion_edges(depth: np.ndarray, hit_id: np.ndarray,
                    threshold: float = EDGE_REL_DEPTH_JUMP) -> np.ndarray:
    """Occlusion boundaries of a render, one pixel thin on the occluding side.

    See the module docstring for the rule.

    Args:
        depth: Exact z-depth (H, W) of :func:`.raycast.render_scene`, ``inf``
            where nothing was hit.
        hit_id: Index of the visible primitive (H, W), -1 for background.
        threshold: Smallest relative depth jump in excess of the surfaces' own
            per-pixel change (default :data:`EDGE_REL_DEPTH_JUMP`).

    Returns:
        bool array (H, W), True on the near pixel of every occluding pair.

    Raises:
        ValueError: ``depth`` and ``hit_id`` are not 2-D arrays of one shape, or
            ``threshold`` is negative.
    """
    depth = np.asarray(depth)
    hit_id = np.asarray(hit_id)
    if depth.ndim != 2 or depth.shape != hit_id.shape:
        raise ValueError(f'depth {depth.shape} and hit_id {hit_id.shape} must be 2-D arrays of '
                         'one shape')
    if not threshold >= 0:
        raise ValueError(f'threshold must be >= 0, got {threshold!r}')
    w = _inverse_depth(depth)
    edges = np.zeros(depth.shape, bool)
    for axis in (0, 1):
        rel, first_nearer = _axis_pairs(w, hit_id, axis)
        is_edge = rel > threshold
        first = [slice(None)] * 2
        second = [slice(None)] * 2
        first[axis] = slice(None, -1)
        second[axis] = slice(1, None)
        edges[tuple(first)] |= is_edge & first_nearer
        edges[tuple(second)] |= is_edge & ~first_nearer
    return edges
