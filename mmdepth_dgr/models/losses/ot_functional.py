"""Pure optimal-transport functions behind the Optimal Transport Depth Loss (Sec. 3.3).

The paper normalises the predicted and ground-truth depth maps into probability
distributions (Eq. 15-16), uses a squared-distance cost (Eq. 17) and takes the
optimal transport value (Eq. 18-19). Two readings are implemented here:

* **1-D (depth values as atoms)**, :func:`wasserstein_1d`: the paper's "i and j
  being depth values". On the real line the optimal plan of a convex cost
  ``|x - y|^p`` (``p >= 1``) is the monotone (quantile) coupling, so the exact
  value of Eq. 18 is ``W_p^p = int_0^1 |F^-1(t) - G^-1(t)|^p dt``, computed in
  ``O(N log N)`` by sorting the atoms and locating each breakpoint of one cumulative
  distribution function in the other (binary search).
* **2-D (pixel grid as atoms)**, :func:`sinkhorn_grid_cost` and
  :func:`sinkhorn_divergence_grid`: the maps are masses on the pixel centres
  ``(row + 0.5, col + 0.5) / max(H, W)`` with the squared Euclidean cost, solved
  with entropic regularisation ``eps`` by log-domain Sinkhorn iterations. The
  cost separates over rows and columns, so the Gibbs kernel
  ``exp(-C / eps)`` is applied as two 1-D log-domain convolutions
  (:func:`gaussian_logconv_1d`); the ``N x N`` cost matrix is never built.
  For narrow kernels (a blur of a few pixels) the iterations use windowed
  passes (:func:`narrow_logconv_2d`, :mod:`.ot_windowed`).

No ``nn.Module`` lives here; :class:`~mmdepth_dgr.models.losses.OTDLLoss` wraps
these functions.
"""
import functools
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .ot_multiscale import coarse_level_allowed, pool_log_weights, upsample_potential
from .ot_windowed import DEFAULT_BLOCK as WINDOW_BLOCK
from .ot_windowed import window_blocks, windowed_logconv_1d

#: Largest exponent magnitude allowed in the blocked kernels of
#: :func:`gaussian_logconv_1d`, per dtype. ``exp`` overflows at ~88.7 in float32
#: (~709 in float64): a block sum is at most ``s * exp(cap) * n^2`` (block length,
#: kernel bound, cost weight), kept ``< exp(87)`` (the cap is lowered for
#: axes longer than ~4900, see :func:`_block_size`), and its largest
#: term is at least ``exp(-cap)``, a normal number; terms lost to underflow are
#: ``< exp(cap - 87) ~ 1e-12`` relative to it, below float32 resolution.
_MAX_EXPONENT = {torch.float32: 60.0, torch.float64: 300.0}

#: Default element budget of one chunk of :func:`gaussian_logconv_1d`
#: (2**24 elements = 64 MiB in float32).
DEFAULT_CHUNK_ELEMS = 2**24


# --------------------------------------------------------------------------------------------
# 1-D: exact W_p^p through quantile functions
# --------------------------------------------------------------------------------------------
def wasserstein_1d(x: Tensor, wx: Tensor, y: Tensor, wy: Tensor, p: float = 2.0) -> Tensor:
    """Exact optimal transport value between weighted atoms on the real line.

    Solves Eq. 18 with the cost of Eq. 17 generalised to ``M_ij = |x_i - y_j|^p``
    (``p >= 1``). For such convex costs the monotone coupling is optimal, hence

    ``OT = W_p^p = int_0^1 |F^-1(t) - G^-1(t)|^p dt``

    where ``F^-1``/``G^-1`` are the quantile functions of ``sum_i wx_i delta_{x_i}``
    and ``sum_j wy_j delta_{y_j}``. Both are piecewise constant with breakpoints at
    the cumulative weights ``cx_i`` and ``cy_j`` (of the sorted atoms), so the
    integral is a finite sum over the intervals between consecutive breakpoints
    of both CDFs. Each interval ends at one breakpoint, which gives the sum
    without merging (sorting) the ``N + M`` breakpoints: the interval ending at
    ``cx_i`` starts at ``max(cx_{i-1}, cy_{l-1})`` and pairs ``x_i`` with
    ``y_l``, ``l = #{j: cy_j < cx_i}``; the one ending at ``cy_j`` starts at
    ``max(cy_{j-1}, cx_{r-1})`` and pairs ``x_r`` with ``y_j``,
    ``r = #{i: cx_i <= cy_j}`` (``cx_{-1} = cy_{-1} = 0``; ``<`` on one side and
    ``<=`` on the other make tied breakpoints count once). ``l`` and ``r`` are
    two ``searchsorted`` calls. Cost: two sorts of ``N`` and ``M`` atoms and two
    binary searches, ``O((N + M) log(N + M))`` time and ``O(N + M)`` memory,
    vectorised over the batch.

    Atoms with zero weight are allowed and ignored, which is how masked pixels
    are handled (a fixed-size padded batch). Weights must be non-negative and
    each row of ``wx`` must sum to the same total as the row of ``wy`` (1 for
    Eq. 15-16); a row whose weights are all 0 gives 0.

    Gradients: the value is differentiable with respect to the atom positions
    (through the gathered sorted atoms) and the weights (through the cumulative
    sums, which are the breakpoints; the interval lengths are differences and
    maxima of breakpoints, and the searched indices are locally constant). Both
    hold wherever the orderings are strict, i.e. everywhere except on the
    measure-zero set of ties between atom positions or between cumulative
    weights of the two measures; there autograd returns a one-sided derivative
    or their mean.

    The breakpoints are accumulated in float64 (so that sums of ~10^5 tiny
    weights keep their precision); the result has the dtype of ``x``. The value
    is sensitive to a mismatch of the two totals (the excess mass is
    transported at the cost of the extreme atoms): weights normalised in
    float32 over ~10^5 atoms differ in total by ~5e-8, which moves the value
    by ~1e-5 relative, whereas with weights normalised in float64 (float64
    ``wx``/``wy`` are used as they are; ``OTDLLoss`` passes such weights)
    float32 atoms give ``W_p^p`` within 1e-6 relative of a float64 solver.

    Args:
        x (Tensor): ``(B, N)`` atom positions of the first measure.
        wx (Tensor): ``(B, N)`` non-negative weights of the first measure.
        y (Tensor): ``(B, M)`` atom positions of the second measure.
        wy (Tensor): ``(B, M)`` non-negative weights of the second measure.
        p (float): Exponent of the cost, ``>= 1``. Defaults to 2.

    Returns:
        Tensor: ``(B,)`` values of ``W_p^p``.
    """
    if p < 1:
        raise ValueError(f'wasserstein_1d: p must be >= 1 (convex cost), got {p}')
    if x.dim() != 2 or y.dim() != 2 or wx.shape != x.shape or wy.shape != y.shape:
        raise ValueError('wasserstein_1d: expected x, wx of shape (B, N) and y, wy of shape '
                         f'(B, M), got {tuple(x.shape)}, {tuple(wx.shape)}, {tuple(y.shape)}, '
                         f'{tuple(wy.shape)}')
    n, m = x.size(-1), y.size(-1)
    xs, ix = torch.sort(x, dim=-1)
    ys, iy = torch.sort(y, dim=-1)
    cx = torch.cumsum(torch.gather(wx, -1, ix).double(), dim=-1)
    cy = torch.cumsum(torch.gather(wy, -1, iy).double(), dim=-1)
    cx_prev, cy_prev = F.pad(cx, (1, 0)), F.pad(cy, (1, 0))  # [k] = c_{k-1}, 0 at k = 0
    lx = torch.searchsorted(cy, cx)  # #{cy < cx_i}: the y step of the interval ending at cx_i
    ry = torch.searchsorted(cx, cy, right=True)  # #{cx <= cy_j}
    len_x = cx - torch.maximum(cx_prev[..., :-1], torch.gather(cy_prev, -1, lx))
    len_y = cy - torch.maximum(cy_prev[..., :-1], torch.gather(cx_prev, -1, ry))
    cost_x = (xs - torch.gather(ys, -1, lx.clamp_max(m - 1))).abs().pow(p)
    cost_y = (torch.gather(xs, -1, ry.clamp_max(n - 1)) - ys).abs().pow(p)
    return ((len_x * cost_x.double()).sum(dim=-1) +
            (len_y * cost_y.double()).sum(dim=-1)).to(x.dtype)


# --------------------------------------------------------------------------------------------
# 2-D: separable Gibbs kernel on the pixel grid
# --------------------------------------------------------------------------------------------
def _block_size(n: int, e: float, dtype: torch.dtype) -> int:
    """Block length ``s`` so that ``(n * s + s^2 / 4) / e`` stays below the exponent cap.

    The cap is ``_MAX_EXPONENT[dtype]``, lowered for very long axes so that
    ``cap + 3 log(n)`` (kernel bound, block length, cost weight) stays below the
    overflow threshold of the dtype.
    """
    log_max = math.log(torch.finfo(dtype).max) - 2.0
    cap = min(_MAX_EXPONENT.get(dtype, 40.0), log_max - 3 * math.log(max(n, 1)))
    s = int(cap * e / n)
    while s > 1 and (n * s + s * s / 4) / e > cap:
        s -= 1
    return max(1, min(s, n))


@functools.lru_cache(maxsize=32)
def _block_kernels(n: int, e: float, s: int, weighted: bool, dtype: torch.dtype,
                   device: torch.device) -> Tuple[Tensor, Tensor]:
    """Stabilised kernel blocks ``Kb`` (nb, s, n) and log-shifts (nb, n) of a 1-D pass.

    Cached (32 entries of ``O(n^2)`` elements): a Sinkhorn solve reuses them.
    """
    nb = -(-n // s)
    c = torch.arange(n, dtype=torch.float64, device=device)
    ctr = torch.arange(nb, dtype=torch.float64, device=device) * s + (s - 1) / 2
    d = torch.arange(s, dtype=torch.float64, device=device) - (s - 1) / 2
    dc = c[None, :] - ctr[:, None]  # (nb, n): c - ctr_b
    # (c - l)^2 = (c - ctr)^2 - 2 (c - ctr) d + d^2 with l = ctr + d
    kernel = torch.exp((2 * dc[:, None, :] * d[None, :, None] - d[None, :, None]**2) / e)
    if weighted:
        kernel = kernel * (dc[:, None, :] - d[None, :, None])**2
    shift = -dc**2 / e
    return kernel.to(dtype), shift.to(dtype)


def gaussian_logconv_1d(h: Tensor,
                        e: float,
                        weighted: bool = False,
                        chunk_elems: int = DEFAULT_CHUNK_ELEMS) -> Tensor:
    """Log-domain 1-D Gaussian convolution along the last dimension.

    ``out[..., c] = log sum_l exp(h[..., l] - (c - l)^2 / e) [* (c - l)^2]``
    for integer positions ``c, l = 0..n-1`` (the optional factor ``(c - l)^2``
    when ``weighted``), i.e. a log-sum-exp against a ``(n, n)`` Gibbs kernel.

    Computed without the ``(..., n, n)`` broadcast: the inputs are split into
    blocks of ``s`` consecutive positions ``l = ctr_b + d``. With
    ``(c - l)^2 = (c - ctr_b)^2 - 2 (c - ctr_b) d + d^2`` each block contributes
    ``m_b - (c - ctr_b)^2 / e + log sum_d exp(h_{b,d} - m_b) Kb[b, d, c]`` where
    ``m_b`` is the block maximum and ``Kb = exp((2 (c - ctr_b) d - d^2) / e)``
    is bounded by ``exp(+-cap)`` (``cap`` = 60 in float32, 300 in float64) by the
    choice ``s ~ cap * e / n``. The inner sums are one batched matrix product
    (exp domain, no cancellation since every term is >= 0), the outer one a
    log-sum-exp over the ``nb = ceil(n / s)`` blocks. A block's largest input
    contributes at least ``exp(-cap)`` to its (unweighted) sum, so the terms
    lost to underflow (``< exp(-87)`` in float32) are below ``exp(cap - 87)``
    (~1e-12) relative to it: the result is accurate to float precision (for
    ``weighted``, relative to the unweighted sum of the block).

    Memory: ``O(L * nb * n)`` for ``L`` leading rows, processed in chunks of at
    most ``chunk_elems`` elements, plus ``O(n^2)`` for the kernel blocks. For the
    grid of :func:`sinkhorn_grid_cost` (``e = eps * max(H, W)^2``),
    ``nb <= n / (cap * eps * max(H, W)) + 1 <= 1 / (cap * eps) + 1`` does not grow
    with the resolution, so one pass over an ``H x W`` map needs ``O(H * W)``
    memory (about ``11 * H * W`` floats at ``eps = 0.05^2``). Time is that of a
    ``(L, n) x (n, n)`` matrix product.

    Entries of ``h`` may be ``-inf`` (zero mass); a block without finite entries
    contributes nothing and an output with no contribution at all is ``-inf``.

    Args:
        h (Tensor): ``(..., n)`` log-values, float32 or float64.
        e (float): Kernel width in squared index units (``> 0``).
        weighted (bool): Multiply the kernel by ``(c - l)^2``. Defaults to False.
        chunk_elems (int): Element budget of one chunk. Defaults to 2**24.

    Returns:
        Tensor: ``(..., n)`` log-convolution, same dtype as ``h``.
    """
    if e <= 0:
        raise ValueError(f'gaussian_logconv_1d: kernel width e must be > 0, got {e}')
    n = h.size(-1)
    s = _block_size(n, e, h.dtype)
    nb = -(-n // s)
    kernel, shift = _block_kernels(n, e, s, weighted, h.dtype, h.device)
    lead = h.shape[:-1]
    flat = h.reshape(-1, n)
    if nb * s != n:
        flat = F.pad(flat, (0, nb * s - n), value=float('-inf'))
    rows = flat.size(0)
    chunk = max(1, chunk_elems // (nb * n))
    outs = []
    for start in range(0, rows, chunk):
        hb = flat[start:start + chunk].view(-1, nb, s)  # (L, nb, s)
        m = hb.amax(dim=-1, keepdim=True)
        m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
        a = torch.exp(hb - m)
        val = torch.bmm(a.transpose(0, 1), kernel)  # (nb, L, n) inner sums
        val = val.log_().add_(m.transpose(0, 1)).add_(shift[:, None, :])
        # log-sum-exp over the blocks, in place; all -inf columns stay -inf
        top = val.amax(dim=0)
        top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
        outs.append(val.sub_(top).exp_().sum(dim=0).log_().add_(top))
    return torch.cat(outs, dim=0).reshape(*lead, n)


def gaussian_logconv_2d(h: Tensor, e: float, weighted: Optional[str] = None,
                        chunk_elems: int = DEFAULT_CHUNK_ELEMS) -> Tensor:
    """Separable log-domain Gaussian convolution of ``(..., H, W)`` log-values.

    ``out[r, c] = log sum_{k,l} exp(h[k, l] - ((r - k)^2 + (c - l)^2) / e) * w``
    with ``w = 1``, ``(r - k)^2`` (``weighted='row'``) or ``(c - l)^2``
    (``weighted='col'``), computed as a pass along the columns then along the
    rows with :func:`gaussian_logconv_1d` (``O(H * W)`` memory per pass).

    Args:
        h (Tensor): ``(..., H, W)`` log-values (``-inf`` allowed).
        e (float): Kernel width in squared pixels.
        weighted (str, optional): None, ``'row'`` or ``'col'``.
        chunk_elems (int): Element budget of one chunk of a pass.

    Returns:
        Tensor: ``(..., H, W)`` log-convolution.
    """
    if weighted not in (None, 'row', 'col'):
        raise ValueError(f"gaussian_logconv_2d: weighted must be None, 'row' or 'col', "
                         f'got {weighted!r}')
    out = gaussian_logconv_1d(h, e, weighted == 'col', chunk_elems)
    out = gaussian_logconv_1d(out.transpose(-1, -2), e, weighted == 'row', chunk_elems)
    return out.transpose(-1, -2)


def grid_kernel_width(eps: float, height: int, width: int) -> float:
    """Kernel width in squared pixels of ``exp(-C / eps)`` on the normalised grid.

    Pixel centres are ``(row + 0.5, col + 0.5) / max(H, W)``, so
    ``C / eps = ((r - k)^2 + (c - l)^2) / (eps * max(H, W)^2)``.

    Args:
        eps (float): Entropic regularisation (``blur^2``).
        height (int): Grid height.
        width (int): Grid width.

    Returns:
        float: ``eps * max(H, W)^2``.
    """
    return float(eps) * max(height, width)**2


#: Tolerance factor of a level warm-started from a coarser one (see ``multiscale``).
WARM_TOL_FACTOR = 0.1

#: Block length of the exact pass below which the windowed pass is used.
WINDOWED_MAX_BLOCK = 3


def _windowed_axis(n: int, e: float, dtype: torch.dtype) -> bool:
    return (_block_size(n, e, dtype) <= WINDOWED_MAX_BLOCK
            and window_blocks(e, dtype) < -(-n // WINDOW_BLOCK))


def windowed_pays(shape: Sequence[int], e: float, dtype: torch.dtype) -> bool:
    """Whether :func:`narrow_logconv_2d` uses windows on an axis of an ``H x W`` grid.

    Windows are used on an axis where the exact blocked pass would need
    blocks of at most :data:`WINDOWED_MAX_BLOCK` inputs (a narrow kernel,
    ``e < ~4 n / cap``) and the window is shorter than the axis.

    Args:
        shape (Sequence[int]): ``(H, W)``.
        e (float): Kernel width in squared pixels.
        dtype (torch.dtype): Dtype of the values.

    Returns:
        bool: True if at least one axis is windowed.
    """
    return any(_windowed_axis(int(n), e, dtype) for n in shape)


def _narrow_logconv_1d(h: Tensor, e: float, chunk_elems: int) -> Tensor:
    """Windowed 1-D pass along the last dimension, full rows where the window is unsure."""
    n = h.size(-1)
    if not _windowed_axis(n, e, h.dtype):
        return gaussian_logconv_1d(h, e, False, chunk_elems)
    flat = h.reshape(-1, n)
    out, bad = windowed_logconv_1d(flat, e, WINDOW_BLOCK, chunk_elems)
    if bad.numel():
        out[bad] = gaussian_logconv_1d(flat[bad], e, False, chunk_elems)
    return out.reshape(h.shape)


def narrow_logconv_2d(h: Tensor, e: float, weighted: Optional[str] = None,
                      chunk_elems: int = DEFAULT_CHUNK_ELEMS) -> Tensor:
    """:func:`gaussian_logconv_2d` with windowed passes for narrow kernels.

    On an axis where :func:`windowed_pays`, each 1-D pass sums every block of
    outputs over a window of inputs placed around the largest term
    (:func:`~.ot_windowed.windowed_logconv_1d`); rows where a window edge is
    not far enough below the sum are recomputed in full. For inputs whose
    terms are concave along the axis (the log-weights plus a Sinkhorn
    potential, up to the log-mass) the windows hold every term within ``T``
    nats of the largest, so the result equals the full sums to the dtype's
    precision; for other inputs it is an approximation (which is why the
    solver confirms its stopping rule with the full sums).

    Args:
        h (Tensor): ``(..., H, W)`` log-values (``-inf`` allowed).
        e (float): Kernel width in squared pixels.
        weighted (str, optional): Must be None (kept for the signature of
            :func:`gaussian_logconv_2d`).
        chunk_elems (int): Element budget of one chunk of a pass.

    Returns:
        Tensor: ``(..., H, W)`` log-convolution.
    """
    if weighted is not None:
        raise ValueError('narrow_logconv_2d: only the unweighted kernel is windowed')
    out = _narrow_logconv_1d(h, e, chunk_elems)
    out = _narrow_logconv_1d(out.transpose(-1, -2).contiguous(), e, chunk_elems)
    return out.transpose(-1, -2)


def _masked_sum(w: Tensor, x: Tensor) -> Tensor:
    """``sum w * x`` per sample over ``(H, W)``, treating ``w = 0`` entries as 0 exactly."""
    return torch.where(w > 0, w * x, torch.zeros_like(x)).flatten(1).sum(dim=1)


def _relaxation(errs: list, omega: float, period: int = 5, max_omega: float = 1.9) -> float:
    """Over-relaxation factor from the observed convergence rate (Young's SOR theory).

    The linearised Sinkhorn iteration is a two-block Gauss-Seidel sweep, for
    which successive over-relaxation with ``omega`` converges at rate ``r`` with
    ``(r + omega - 1)^2 = r omega^2 mu^2`` (``mu^2``: rate of plain Sinkhorn) and
    is fastest at ``omega* = 2 / (1 + sqrt(1 - mu^2))``. Every ``period``
    iterations ``r`` is measured from the marginal errors, ``mu^2`` is inferred
    and ``omega`` raised towards ``omega*`` (never lowered, capped at
    ``max_omega``).
    """
    if len(errs) < 2 * period or len(errs) % period or errs[-1 - period] <= 0:
        return omega
    r = (errs[-1] / errs[-1 - period])**(1.0 / period)
    if not 0 < r < 1:
        return omega
    mu2 = min(1.0, (r + omega - 1)**2 / (r * omega**2))
    return max(omega, min(max_omega, 2.0 / (1.0 + math.sqrt(1.0 - mu2))))


def grid_diameter(height: int, width: int) -> float:
    """Largest distance between two pixel centres of the normalised grid.

    ``sqrt((H - 1)^2 + (W - 1)^2) / max(H, W)`` (pixel centres
    ``(row + 0.5, col + 0.5) / max(H, W)``).
    """
    return math.hypot(height - 1, width - 1) / max(height, width)


def eps_scaling_schedule(eps: float, height: int, width: int, scaling: float) -> list:
    """Annealing stages of epsilon-scaling, coarsest first, the target ``eps`` excluded.

    The blur ``sqrt(eps)`` starts at the grid diameter (:func:`grid_diameter`)
    and is multiplied by ``scaling`` at each stage while it stays above the
    target blur: ``eps_k = (diameter * scaling^k)^2`` for ``k = 0, 1, ...`` with
    ``eps_k > eps``. Empty when the target blur is at least the diameter.

    Args:
        eps (float): Target entropic regularisation (``blur^2``).
        height (int): Grid height.
        width (int): Grid width.
        scaling (float): Blur ratio between consecutive stages, in ``(0, 1)``.

    Returns:
        list[float]: The decreasing ``eps_k`` of the annealing stages.
    """
    if not 0 < scaling < 1:
        raise ValueError(f'eps_scaling must be in (0, 1), got {scaling}')
    blur, stage = math.sqrt(eps), grid_diameter(height, width)
    stages = []
    # relative margin: a stage within 1e-9 of the target is the target itself
    while stage > blur * (1 + 1e-9):
        stages.append(stage * stage)
        stage *= scaling
    return stages


def sinkhorn_potentials(log_a: Tensor,
                        log_b: Tensor,
                        eps: float,
                        max_iter: int = 100,
                        tol: float = 1e-3,
                        chunk_elems: int = DEFAULT_CHUNK_ELEMS,
                        eps_scaling: Optional[float] = None,
                        stage_iters: int = 1,
                        windowed: bool = True,
                        info: Optional[dict] = None,
                        multiscale: bool = True) -> Tuple[Tensor, Tensor, int]:
    """Log-domain Sinkhorn dual potentials on the pixel grid (no gradient).

    With ``softmin_b(g)_i = -eps log sum_j b_j exp((g_j - C_ij) / eps)`` (and
    ``softmin_a`` alike), the iterations are the over-relaxed Sinkhorn updates
    ``f <- (1 - w) f + w softmin_b(g)``, ``g <- (1 - w) g + w softmin_a(f)``
    (``w = 1`` is plain Sinkhorn; ``w`` is adapted from the measured rate by
    :func:`_relaxation`, which cuts the iterations several-fold at small
    ``eps``). The stopping criterion is the L1 row-marginal error
    ``sum_i a_i |1 - exp((f_i - softmin_b(g)_i) / eps)|`` of the current plan
    (its largest value over the batch), measured for free by each ``f`` update:
    the loop ends when it is below ``tol`` or after ``max_iter`` iterations.
    The returned ``g`` is a final plain update ``softmin_a(f)``, so the plan
    ``T_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)`` has exactly the column
    marginal ``b`` and the dual value reduces to ``<a, f> + <b, g>``.

    When ``log_a is log_b`` the symmetric (debiasing) problem is solved with the
    averaged update ``f <- (f + softmin_a(f)) / 2`` (a few iterations suffice)
    and ``g = softmin_a(f)``.

    Args:
        log_a (Tensor): ``(B, H, W)`` log-weights of the first measure
            (``-inf`` for no mass); each sample must have some mass.
        log_b (Tensor): Same for the second measure, with the same total mass.
        eps (float): Entropic regularisation ``eps`` (``blur^2``).
        max_iter (int): Maximum number of iterations. Defaults to 100.
        tol (float): L1 marginal-error tolerance. Defaults to 1e-3.
        chunk_elems (int): Element budget of a kernel-pass chunk.
        eps_scaling (float, optional): Opt-in epsilon-scaling (Schmitzer, 2019;
            Feydy et al., 2019): before the iterations at ``eps``, the problem
            is solved coarsely along the annealing stages of
            :func:`eps_scaling_schedule` (blur from the grid diameter down to
            the target, times ``eps_scaling`` per stage), ``stage_iters`` plain
            Sinkhorn iterations per stage, each stage warm-started from the
            previous one: ``g`` plus the change, between the two ``eps``, of
            the cold first iterate ``softmin_a(softmin_b(0))`` (the part of
            ``g`` due to the kernel width alone, e.g. at the image border, is
            recomputed, the transport part is carried over). The iterations
            at ``eps`` then start from the annealed ``g`` instead of 0 and run
            exactly as without scaling (same over-relaxation, stopping rule,
            ``max_iter`` cap and final ``g`` update), so the result meets the
            same tolerance. It pays when mass travels far (displaced
            structures: ~40 % fewer iterations); for a prediction close to
            its target the cold start is already good and it gains little.
            The symmetric problem (``log_a is log_b``) is not annealed.
            None (default): no annealing, bit-for-bit the plain solver.
        stage_iters (int): Sinkhorn iterations per annealing stage (``>= 1``).
            Defaults to 1.
        windowed (bool): For narrow kernels (:func:`windowed_pays`: a blur of a
            few pixels), iterate with the windowed sums of
            :func:`narrow_logconv_2d` (``O(n W)`` per row instead of
            ``O(n^2)``); when the stopping rule is met, the marginal error is
            measured again with the full sums and the iterations go on with
            them until it is below ``tol`` too, and the returned ``g`` is a
            full update, so the result meets the same criterion as with
            ``windowed=False``. Defaults to True.
        info (dict, optional): Filled with ``iterations`` (at ``eps``),
            ``marginal_error`` (the last L1 row-marginal error the stopping
            rule measured, with the full sums when it stopped on it),
            ``windowed`` (whether windowed sums were used) and, with a
            coarser level, its ``info`` under ``coarse``.
        multiscale (bool): Coarse-to-fine warm start (:mod:`.ot_multiscale`):
            while the blur spans at least
            :data:`~.ot_multiscale.MIN_BLUR_PIXELS` (3) pixels of a grid with
            pixels twice as large, solve that problem first (recursively, same
            ``eps``, ``tol`` and options) and start from its interpolated
            potential instead of 0 (the annealing of ``eps_scaling`` then
            runs on the coarsest level only). A warm-started level stops at
            ``tol * WARM_TOL_FACTOR`` (a tenth): from the warm start the
            marginal error meets ``tol`` after one iteration while the
            debiased value is still further from the converged one than a
            cold solve's at ``tol``. Defaults to True (no effect at blurs
            under 6 pixels).

    Returns:
        tuple[Tensor, Tensor, int]: ``f``, ``g`` (``(B, H, W)``, finite on the
        whole grid) and the number of iterations run at the target ``eps``
        (the annealing adds ``stage_iters + 1`` iterations per stage of
        :func:`eps_scaling_schedule`, at the cheaper coarse ``eps``, and one
        cold iterate at ``eps``, not counted).
    """
    if max_iter < 1:
        raise ValueError(f'sinkhorn_potentials: max_iter must be >= 1, got {max_iter}')
    if stage_iters < 1:
        raise ValueError(f'sinkhorn_potentials: stage_iters must be >= 1, got {stage_iters}')
    stages = ([] if eps_scaling is None else
              eps_scaling_schedule(eps, *log_a.shape[-2:], eps_scaling))
    e = grid_kernel_width(eps, *log_a.shape[-2:])

    def softmin(log_w: Tensor, pot: Tensor, eps_k: float = eps, fast: bool = False) -> Tensor:
        e_k = e if eps_k == eps else grid_kernel_width(eps_k, *log_w.shape[-2:])
        conv = narrow_logconv_2d if fast and windowed else gaussian_logconv_2d
        return -eps_k * conv(log_w + pot / eps_k, e_k, None, chunk_elems)

    def row_error(f: Tensor, tf: Tensor) -> float:
        return _masked_sum(a, (1 - torch.exp((f - tf) / eps)).abs()).max().item()

    with torch.no_grad():
        a = log_a.exp()
        zeros = torch.zeros_like(log_a)
        warm = None
        if multiscale and coarse_level_allowed(log_a.shape[-2:], eps):
            coarse_a, rho = pool_log_weights(log_a)
            coarse_b = coarse_a if log_a is log_b else pool_log_weights(log_b)[0]
            coarse_info: dict = {}
            coarse_f, coarse_g, _ = sinkhorn_potentials(
                coarse_a, coarse_b, eps / rho**2, max_iter, tol, chunk_elems, eps_scaling,
                stage_iters, windowed, coarse_info)
            if info is not None:
                info['coarse'] = coarse_info
            warm = upsample_potential(coarse_f if log_a is log_b else coarse_g,
                                      log_a.shape[-2:], rho)
            stages = []  # annealed on the coarsest level
            # from a warm start the marginal error falls below tol while the debiased
            # value is still ~2e-3 off (a cold start stops with 2e-4 at 416x544, blur
            # 0.05); a tenth of tol costs 1-3 more iterations and gives 3e-5
            tol = tol * WARM_TOL_FACTOR
        fast = used = windowed and windowed_pays(log_a.shape[-2:], e, log_a.dtype)
        if log_a is log_b:
            # a few iterations suffice: no annealing
            f = softmin(log_a, zeros, fast=fast) if warm is None else warm
            it, err, done = 1, math.inf, False
            while it < max_iter:
                tf = softmin(log_a, f, fast=fast)
                err = row_error(f, tf)
                if err < tol:
                    if not fast:
                        done = True
                        break
                    fast, tf = False, softmin(log_a, f)  # confirm with the full sums
                    err = row_error(f, tf)
                    if err < tol:
                        done = True
                        break
                f = 0.5 * (f + tf)
                it += 1
            _fill_info(info, it, err, used)
            # on a stop, tf is already the full softmin_a(f)
            return f, tf if done else softmin(log_a, f), it
        g = zeros if warm is None else warm
        if stages:
            # Annealing. A stage's potential is warm-started as the previous one
            # plus the change of the cold first iterate c_k = softmin_a(softmin_b(0))
            # between the two eps: the part of g that only reflects the blur of the
            # kernel (e.g. near the image border) is recomputed at the new eps and
            # the transport part found at the coarser eps is carried over.
            cold_prev = None
            for eps_k in stages + [eps]:
                cold = softmin(log_a, softmin(log_b, zeros, eps_k), eps_k)
                g = cold if cold_prev is None else g + (cold - cold_prev)
                cold_prev = cold
                if eps_k == eps:
                    break
                for _ in range(stage_iters):  # plain Sinkhorn at eps_k
                    g = softmin(log_a, softmin(log_b, g, eps_k, True), eps_k, True)
        f = softmin(log_b, g, fast=fast)
        g = softmin(log_a, f, fast=fast)
        fresh = not fast  # g is the full softmin_a(f) until f changes: the final update
        it, omega, errs = 1, 1.0, []
        while it < max_iter:
            tf = softmin(log_b, g, fast=fast)
            errs.append(row_error(f, tf))
            if errs[-1] < tol:
                if not fast:
                    break
                fast, tf = False, softmin(log_b, g)  # confirm with the full sums
                errs[-1] = row_error(f, tf)
                if errs[-1] < tol:
                    break
            omega = _relaxation(errs, omega)
            f = torch.lerp(f, tf, omega)
            g = torch.lerp(g, softmin(log_a, f, fast=fast), omega)
            fresh = False
            it += 1
        _fill_info(info, it, errs[-1] if errs else math.inf, used)
        return f, g if fresh else softmin(log_a, f), it


def _fill_info(info: Optional[dict], iterations: int, error: float, windowed: bool) -> None:
    if info is not None:
        info.update(iterations=iterations, marginal_error=error, windowed=windowed)


def _log_weights(w: Tensor) -> Tensor:
    """``log w`` with ``-inf`` where ``w == 0`` (no NaN for ``w = 0``)."""
    return torch.where(w > 0, w.clamp_min(torch.finfo(w.dtype).tiny).log(),
                       torch.full_like(w, float('-inf')))


def _check_grid_weights(a: Tensor, b: Tensor, name: str) -> None:
    if a.dim() != 3 or a.shape != b.shape:
        raise ValueError(f'{name}: a and b must have the same shape (B, H, W), got '
                         f'{tuple(a.shape)} and {tuple(b.shape)}')


def _signed_apply(log_scale_out: Tensor, log_scale_in: Tensor, v: Tensor, e: float,
                  chunk_elems: int) -> Tensor:
    """``exp(log_scale_out) * K (exp(log_scale_in) * v)`` for signed ``v`` (log domain)."""
    pos = gaussian_logconv_2d(log_scale_in + _log_weights(v.clamp_min(0)), e, None, chunk_elems)
    neg = gaussian_logconv_2d(log_scale_in + _log_weights((-v).clamp_min(0)), e, None,
                              chunk_elems)
    return torch.exp(log_scale_out + pos) - torch.exp(log_scale_out + neg)


def _transport_cost_terms(alpha: Tensor, beta: Tensor, e: float, scale2: float,
                          chunk_elems: int) -> Tensor:
    """Row sums ``sum_j T_ij C_ij`` of ``T_ij = exp(alpha_i + beta_j - C_ij / eps)``."""
    wc = gaussian_logconv_2d(beta, e, 'col', chunk_elems)
    wr = gaussian_logconv_2d(beta, e, 'row', chunk_elems)
    return torch.exp(alpha + torch.logaddexp(wc, wr)) / scale2


class _SinkhornGridCost(torch.autograd.Function):
    """``<T, C>`` of the entropic plan with implicit-function gradients."""

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, eps: float, max_iter: int, tol: float,
                cg_tol: float, chunk_elems: int, eps_scaling: Optional[float] = None,
                info: Optional[dict] = None, multiscale: bool = True) -> Tensor:
        log_a, log_b = _log_weights(a), _log_weights(b)
        f, g, _ = sinkhorn_potentials(log_a, log_b, eps, max_iter, tol, chunk_elems, eps_scaling,
                                      info=info, multiscale=multiscale)
        h, w = a.shape[-2:]
        e = grid_kernel_width(eps, h, w)
        alpha, beta = log_a + f / eps, log_b + g / eps
        c1 = _transport_cost_terms(alpha, beta, e, max(h, w)**2, chunk_elems)
        ctx.save_for_backward(alpha, beta)
        ctx.params = (e, max(h, w)**2, max_iter, cg_tol, chunk_elems)
        return c1.flatten(1).sum(dim=1)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        alpha, beta = ctx.saved_tensors
        e, scale2, max_iter, cg_tol, chunk_elems = ctx.params
        lam, mu = _sharp_cost_adjoint(alpha, beta, e, scale2, max_iter, cg_tol, chunk_elems)
        go = grad_out.view(-1, 1, 1)
        return go * lam, go * mu, None, None, None, None, None, None, None, None


def _sharp_cost_adjoint(alpha: Tensor, beta: Tensor, e: float, scale2: float, max_iter: int,
                        cg_tol: float, chunk_elems: int) -> Tuple[Tensor, Tensor]:
    """Solve ``[[diag(r), T], [T^T, diag(c)]] [lam; mu] = [T.C 1; (T.C)^T 1]`` by PCG.

    Differentiating the marginal constraints ``T 1 = a``, ``T^T 1 = b`` of
    ``T_ij = exp(alpha_i + beta_j - C_ij / eps)`` gives
    ``[[diag(r), T], [T^T, diag(c)]] [d alpha; d beta] = [da; db]``, so the
    gradient of ``<T, C>`` with respect to ``(a, b)`` is the solution of the
    (symmetric positive semi-definite) system above; its null space
    ``(1, -1)`` only shifts the gradient by a constant, which the
    normalisation of Eq. 15-16 removes. Jacobi-preconditioned conjugate
    gradients, at most ``max_iter`` steps or relative residual ``cg_tol``.
    """
    r_marg = torch.exp(alpha + gaussian_logconv_2d(beta, e, None, chunk_elems))
    c_marg = torch.exp(beta + gaussian_logconv_2d(alpha, e, None, chunk_elems))
    rhs1 = _transport_cost_terms(alpha, beta, e, scale2, chunk_elems)
    rhs2 = _transport_cost_terms(beta, alpha, e, scale2, chunk_elems)
    inv1 = torch.where(r_marg > 0, 1 / r_marg.clamp_min(torch.finfo(r_marg.dtype).tiny),
                       torch.zeros_like(r_marg))
    inv2 = torch.where(c_marg > 0, 1 / c_marg.clamp_min(torch.finfo(c_marg.dtype).tiny),
                       torch.zeros_like(c_marg))

    def matvec(x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor]:
        ty = _signed_apply(alpha, beta, y, e, chunk_elems)
        tx = _signed_apply(beta, alpha, x, e, chunk_elems)
        return r_marg * x + ty, tx + c_marg * y

    def dot(u1, u2, v1, v2):
        return (u1 * v1).flatten(1).sum(1) + (u2 * v2).flatten(1).sum(1)

    x1, x2 = torch.zeros_like(rhs1), torch.zeros_like(rhs2)
    r1, r2 = rhs1.clone(), rhs2.clone()
    rhs_norm = dot(rhs1, rhs2, rhs1, rhs2).sqrt()
    z1, z2 = r1 * inv1, r2 * inv2
    p1, p2 = z1.clone(), z2.clone()
    rz = dot(r1, r2, z1, z2)
    for _ in range(max_iter):
        res = dot(r1, r2, r1, r2).sqrt()
        if bool((res <= cg_tol * rhs_norm).all()):
            break
        q1, q2 = matvec(p1, p2)
        pq = dot(p1, p2, q1, q2)
        step = torch.where(pq > 0, rz / pq.clamp_min(torch.finfo(pq.dtype).tiny),
                           torch.zeros_like(pq)).view(-1, 1, 1)
        x1, x2 = x1 + step * p1, x2 + step * p2
        r1, r2 = r1 - step * q1, r2 - step * q2
        z1, z2 = r1 * inv1, r2 * inv2
        rz_new = dot(r1, r2, z1, z2)
        beta_cg = torch.where(rz > 0, rz_new / rz.clamp_min(torch.finfo(rz.dtype).tiny),
                              torch.zeros_like(rz)).view(-1, 1, 1)
        p1, p2 = z1 + beta_cg * p1, z2 + beta_cg * p2
        rz = rz_new
    return x1, x2


def sinkhorn_grid_cost(a: Tensor,
                       b: Tensor,
                       eps: float,
                       max_iter: int = 100,
                       tol: float = 1e-3,
                       cg_tol: float = 1e-6,
                       chunk_elems: int = DEFAULT_CHUNK_ELEMS,
                       eps_scaling: Optional[float] = None,
                       info: Optional[dict] = None,
                       multiscale: bool = True) -> Tensor:
    """Transport cost ``<T, C>`` of the entropic optimal plan between two grid masses.

    Eq. 18 with entropic regularisation: ``T`` minimises
    ``<T, C> + eps * KL(T | a x b)`` over the couplings of ``a`` and ``b``, where
    ``C`` is the squared Euclidean distance between pixel centres
    ``(row + 0.5, col + 0.5) / max(H, W)``. Returns the transport cost
    ``<T, C> = sum_ij T_ij C_ij`` without the entropy term, the quantity of
    POT's ``ot.sinkhorn2(a, b, M, reg=eps)``. The plan comes from
    :func:`sinkhorn_potentials`; ``<T, C>`` is evaluated with the separable
    kernel (``C = C_row + C_col``, each a weighted 1-D kernel), never an
    ``N x N`` matrix.

    Gradients with respect to ``a`` and ``b`` are implicit-function gradients
    of the converged plan (exact at convergence; see
    :func:`_sharp_cost_adjoint`), computed in the backward pass by at most
    ``max_iter`` preconditioned conjugate-gradient steps, each four 2-D kernel
    applications; nothing of the iterations is stored.

    Args:
        a (Tensor): ``(B, H, W)`` non-negative masses summing to 1 per sample.
        b (Tensor): ``(B, H, W)`` non-negative masses summing to 1 per sample.
        eps (float): Entropic regularisation (``blur^2``).
        max_iter (int): Maximum Sinkhorn iterations (and CG steps). Defaults to 100.
        tol (float): L1 marginal-error tolerance of Sinkhorn. Defaults to 1e-3.
        cg_tol (float): Relative residual of the backward CG. Defaults to 1e-6.
        chunk_elems (int): Element budget of a kernel-pass chunk.
        eps_scaling (float, optional): Opt-in epsilon-scaling of the forward
            solve (see :func:`sinkhorn_potentials`); the backward uses the final
            potentials as without it. Defaults to None (off).
        info (dict, optional): Filled with the forward solve's ``info`` (see
            :func:`sinkhorn_potentials`).
        multiscale (bool): Coarse-to-fine warm start of the forward solve (see
            :func:`sinkhorn_potentials`). Defaults to True.

    Returns:
        Tensor: ``(B,)`` transport costs.
    """
    _check_grid_weights(a, b, 'sinkhorn_grid_cost')
    return _SinkhornGridCost.apply(a, b, float(eps), int(max_iter), float(tol), float(cg_tol),
                                   int(chunk_elems),
                                   None if eps_scaling is None else float(eps_scaling), info,
                                   bool(multiscale))


def entropic_ot_dual(a: Tensor, b: Tensor, f: Tensor, g: Tensor) -> Tensor:
    """Entropic OT value ``OT_eps(a, b) = <a, f> + <b, g>`` at dual potentials.

    For potentials returned right after a ``g`` update, the dual objective
    ``<a, f> + <b, g> - eps <a x b, exp((f + g - C) / eps) - 1>`` reduces to
    ``<a, f> + <b, g>``. The potentials are detached: by the envelope theorem
    the gradient of ``OT_eps`` with respect to ``a`` (``b``) is ``f`` (``g``) at
    convergence, which is exactly what autograd returns for this expression.

    Args:
        a (Tensor): ``(B, H, W)`` first masses (with gradient).
        b (Tensor): ``(B, H, W)`` second masses (with gradient).
        f (Tensor): ``(B, H, W)`` potential of ``a``.
        g (Tensor): ``(B, H, W)`` potential of ``b``.

    Returns:
        Tensor: ``(B,)`` values.
    """
    return _masked_sum(a, f.detach()) + _masked_sum(b, g.detach())


def sinkhorn_divergence_grid(a: Tensor,
                             b: Tensor,
                             eps: float,
                             max_iter: int = 100,
                             tol: float = 1e-3,
                             chunk_elems: int = DEFAULT_CHUNK_ELEMS,
                             eps_scaling: Optional[float] = None,
                             info: Optional[dict] = None,
                             multiscale: bool = True) -> Tensor:
    """Debiased Sinkhorn divergence between two grid masses.

    ``S_eps(a, b) = OT_eps(a, b) - (OT_eps(a, a) + OT_eps(b, b)) / 2`` with
    ``OT_eps(a, b) = min_T <T, C> + eps KL(T | a x b)`` (entropy included, as in
    Feydy et al., 2019), squared Euclidean cost on the pixel centres
    ``(row + 0.5, col + 0.5) / max(H, W)``. ``S_eps`` is 0 for ``a = b`` and
    positive otherwise. Each ``OT_eps`` is a dual value
    (:func:`entropic_ot_dual`), so the gradient with respect to ``a`` is
    ``f_ab - (f_aa + g_aa) / 2`` (envelope theorem, exact at convergence), and
    no iteration is stored for the backward pass.

    Args:
        a (Tensor): ``(B, H, W)`` non-negative masses summing to 1 per sample.
        b (Tensor): ``(B, H, W)`` non-negative masses summing to 1 per sample.
        eps (float): Entropic regularisation (``blur^2``).
        max_iter (int): Maximum Sinkhorn iterations per problem. Defaults to 100.
        tol (float): L1 marginal-error tolerance. Defaults to 1e-3.
        chunk_elems (int): Element budget of a kernel-pass chunk.
        eps_scaling (float, optional): Opt-in epsilon-scaling of the three
            solves (see :func:`sinkhorn_potentials`). Defaults to None (off).
        info (dict, optional): Filled with the ``info`` of the three solves
            under ``'cross'``, ``'a'`` and ``'b'`` (see :func:`sinkhorn_potentials`).
        multiscale (bool): Coarse-to-fine warm start of the three solves (see
            :func:`sinkhorn_potentials`). Defaults to True.

    Returns:
        Tensor: ``(B,)`` divergences.
    """
    _check_grid_weights(a, b, 'sinkhorn_divergence_grid')
    with torch.no_grad():
        log_a, log_b = _log_weights(a.detach()), _log_weights(b.detach())
        args = (eps, max_iter, tol, chunk_elems, eps_scaling)
        parts: dict = dict(cross={}, a={}, b={})
        kw = dict(multiscale=multiscale)
        f_ab, g_ab, _ = sinkhorn_potentials(log_a, log_b, *args, info=parts['cross'], **kw)
        f_aa, g_aa, _ = sinkhorn_potentials(log_a, log_a, *args, info=parts['a'], **kw)
        f_bb, g_bb, _ = sinkhorn_potentials(log_b, log_b, *args, info=parts['b'], **kw)
        if info is not None:
            info.update(parts)
    return (entropic_ot_dual(a, b, f_ab, g_ab) - 0.5 * entropic_ot_dual(a, a, f_aa, g_aa) -
            0.5 * entropic_ot_dual(b, b, f_bb, g_bb))


__all__ = [
    'wasserstein_1d', 'gaussian_logconv_1d', 'gaussian_logconv_2d', 'narrow_logconv_2d',
    'windowed_pays', 'grid_kernel_width',
    'grid_diameter', 'eps_scaling_schedule', 'sinkhorn_potentials', 'sinkhorn_grid_cost',
    'entropic_ot_dual', 'sinkhorn_divergence_grid'
]
