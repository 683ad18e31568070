"""Windowed log-domain Gaussian convolution for narrow kernels (small ``eps``).

The 1-D pass of the separable Sinkhorn kernel,
``out[c] = log sum_l exp(h[l] - (c - l)^2 / e)``, has ``n`` terms per output
when evaluated in full (:func:`~.ot_functional.gaussian_logconv_1d`, whose
blocked matrix products degenerate to one term per block when ``e`` is a few
squared pixels, a blur of about one pixel). Almost all of them are then
negligible, but *which* ones matter depends on ``h``: a transport potential
tilts ``h`` so that the largest terms may lie far from ``c``.
:func:`windowed_logconv_1d` sums, for each block of ``s`` consecutive
outputs, over a window of ``W`` consecutive inputs placed around the largest
terms (``O(n W)`` instead of ``O(n^2)``):

* the inputs are cut into blocks of ``s``; block ``b`` has maximum ``m_b`` at
  ``p_b``; seen from an output ``c`` the block's best term is at least
  ``m_b - (c - p_b)^2 / e``. The window is centred between the blocks that
  are best for the first and for the last output of the block;
* ``W`` covers ``2 sqrt(T e)`` (``T`` = 30 nats in float32, 45 in float64) plus
  four blocks: for terms concave in ``l`` (the quadratic kernel plus the
  log-weights plus a Sinkhorn potential are: ``|y|^2 - g(y)`` is a
  log-sum-exp of affine functions, hence convex, up to the log-mass) every
  term within ``T`` nats of the largest lies inside, and the sum equals the
  full one to the dtype's precision;
* a row is flagged for the full evaluation when the best blocks of a block's
  two ends are further apart than the window allows, or when a window edge
  term is not ``T`` below the window's sum.

For other inputs the flags are a heuristic, not a proof: terms with two
separated maxima of similar height can lose one of them unflagged (tested).
:func:`~.ot_functional.sinkhorn_potentials` therefore uses the windowed sums
for its iterations only and confirms its stopping rule with the full sums.
The windowed sums are computed in float64 (the tilt of a displaced window
makes intermediate values as large as the squared displacement) and
returned in the input dtype.
"""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

#: Nats below the sum at which terms outside a window are negligible, per dtype.
_THRESHOLD = {torch.float32: 30.0, torch.float64: 45.0}

#: Block length (outputs share a window, inputs are located per block).
DEFAULT_BLOCK = 8


def window_blocks(e: float, dtype: torch.dtype, block: int = DEFAULT_BLOCK) -> int:
    """Number of input blocks in the window of an output block.

    ``2 sqrt(T e)`` (the support of the terms within ``T`` nats of a concave
    maximum) plus four blocks: the located maximum is within one block of the
    true one on either side, and the maxima of the ``s`` outputs of a block
    spread over at most one block.

    Args:
        e (float): Kernel width in squared index units.
        dtype (torch.dtype): Dtype of the values (sets ``T``).
        block (int): Block length.

    Returns:
        int: Window length in blocks.
    """
    span = 2.0 * math.sqrt(_THRESHOLD.get(dtype, 45.0) * e)
    return int(math.ceil(span / block)) + 4


def windowed_logconv_1d(h: Tensor, e: float, block: int = DEFAULT_BLOCK,
                        chunk_elems: int = 2**24) -> Optional[Tuple[Tensor, Tensor]]:
    """``log sum_l exp(h[:, l] - (c - l)^2 / e)`` summed over a window per output block.

    Args:
        h (Tensor): ``(L, n)`` log-values (``-inf`` allowed), float32/float64.
        e (float): Kernel width in squared index units (``> 0``).
        block (int): Block length. Defaults to 8.
        chunk_elems (int): Element budget of the window sums of one chunk.

    Returns:
        tuple[Tensor, Tensor] or None: ``(L, n)`` windowed sums and the indices
        of the rows whose window edges are not ``T`` below the sum somewhere
        (the caller recomputes those in full); None when the window would cover
        the whole axis.
    """
    if h.dim() != 2:
        raise ValueError(f'windowed_logconv_1d: expected (L, n) values, got {tuple(h.shape)}')
    n = h.size(-1)
    s = int(block)
    nb = -(-n // s)
    k = window_blocks(e, h.dtype, s)
    if k >= nb:
        return None
    thr = _THRESHOLD.get(h.dtype, 45.0)
    flat = h
    if nb * s != n:
        flat = F.pad(flat, (0, nb * s - n), value=float('-inf'))
    rows = flat.size(0)
    # float64 inside: the tilt and the per-output terms below are as large as the
    # transport displacement makes them, and cancel in the result
    dev, dt = h.device, torch.float64
    idx = torch.arange(nb, device=dev)
    first_out = (idx * s).to(dt)  # first output of each block
    last_out = first_out + (s - 1)
    win_off = torch.arange(k * s, device=dev)
    # offsets from the centres of an output block and of a window
    c_loc = torch.arange(s, device=dev, dtype=dt) - (s - 1) / 2
    w_loc = win_off.to(dt) - (k * s - 1) / 2
    kern = -(c_loc[:, None] - w_loc[None, :])**2 / e  # (s, k s)
    out = torch.empty(rows, nb * s, dtype=h.dtype, device=dev)
    chunk = max(1, chunk_elems // (nb * s * k * s))
    fallback = []
    for start in range(0, rows, chunk):
        hrows = flat[start:start + chunk].to(dt)
        m, arg = hrows.view(-1, nb, s).max(dim=-1)  # (L, nb)
        pos = (idx * s + arg).to(dt)
        # window: k blocks around the blocks whose maxima give the largest terms at the
        # first and at the last output of the block (the same block or neighbours when
        # the terms are concave: they move monotonically with the output)
        seen = m[:, None, :] - (first_out[None, :, None] - pos[:, None, :])**2 / e
        best_first = seen.argmax(dim=-1)
        seen = m[:, None, :] - (last_out[None, :, None] - pos[:, None, :])**2 / e
        best_last = seen.argmax(dim=-1)
        lo = (torch.div(best_first + best_last, 2, rounding_mode='floor') -
              (k - 1) // 2).clamp(0, nb - k)  # (L, nb_out) first block of the window
        spread = (best_first < lo + 1) & (lo > 0) | (best_last > lo + k - 2) & (lo < nb - k)
        vals = torch.gather(hrows, 1, ((lo * s)[..., None] + win_off).flatten(1))
        # c - l = delta + (c_loc - w_loc), delta = distance between the centres of the
        # output block and of its window, so that -(c - l)^2 / e =
        # -(delta^2 + 2 delta c_loc) / e + 2 delta w_loc / e - (c_loc - w_loc)^2 / e: the
        # only full-size tensor is the window values tilted by 2 delta w_loc / e plus a
        # fixed (s, k s) kernel, the rest is per output (centred offsets keep the
        # intermediate values, and their rounding, no larger than the terms)
        delta = ((idx[None] - lo) * s).to(dt) + ((s - 1) - (k * s - 1)) / 2  # (L, nb_out)
        tilt = vals.view(-1, nb, k * s) + (2 / e) * delta[..., None] * w_loc
        outer = -(delta[..., None]**2 + 2 * delta[..., None] * c_loc) / e  # (L, nb_out, s)
        res = torch.logsumexp(tilt[:, :, None, :] + kern, dim=-1) + outer  # (L, nb_out, s)
        out[start:start + chunk] = res.flatten(1)
        # a window edge that is not thr below the sum: the maximum may lie outside
        neg = torch.full_like(res, -math.inf)
        edge_lo = torch.where(lo[..., None] > 0, tilt[..., :1] + kern[:, 0] + outer, neg)
        edge_hi = torch.where(lo[..., None] < nb - k, tilt[..., -1:] + kern[:, -1] + outer, neg)
        edge = torch.maximum(edge_lo, edge_hi)
        bad = (((edge > res - thr) & torch.isfinite(res)).flatten(1).any(dim=-1) |
               spread.any(dim=-1))
        if bool(bad.any()):
            fallback.append(start + bad.nonzero().flatten())
    bad = torch.cat(fallback) if fallback else torch.zeros(0, dtype=torch.long, device=dev)
    return out[:, :n], bad
