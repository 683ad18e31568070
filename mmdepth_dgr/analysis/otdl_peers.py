"""Public peers of the Optimal Transport Depth Loss, called in OTDL's conventions.

Used by :mod:`mmdepth_dgr.analysis.benchmark_otdl` and by the agreement tests
(``tests/test_models/test_losses/test_otdl_peers.py``), so that both compare
the same quantities.

**Spatial mode vs GeomLoss's grid solver** (``geomloss.sinkhorn_divergence``,
the routine behind its image losses). The conventions map as follows:

* *Cost*. OTDL uses ``C(x, y) = |x - y|^2`` and ``eps = blur^2``; GeomLoss
  (``p = 2``) uses ``C_G = |x - y|^2 / 2`` and ``eps_G = blur_G^2``. Since
  ``<T, C_G> + eps_G KL(T | a x b) = (<T, C> + 2 eps_G KL(T | a x b)) / 2``,
  both solve the same problem (same plan ``T``) when ``eps = 2 eps_G``, i.e.
  ``blur_G = blur / sqrt(2)`` (:func:`geomloss_blur`), and then every entropic
  value of OTDL is twice GeomLoss's: ``OT_eps = 2 OT_G`` and
  ``S_eps = 2 S_G``; the dual potentials are ``f = 2 f_G``, ``g = 2 g_G``
  (so ``f / eps = f_G / eps_G``).
* *Grid*. GeomLoss puts pixel ``i`` of an ``N x N`` image at ``i / N`` on the
  unit square; OTDL at ``(i + 0.5) / max(H, W)``. The spacing is the same
  (``1 / N``) and the cost depends on differences only, so the costs are equal.
  GeomLoss needs square images whose side is a power of two.
* *Masses*. Both take probability weights; the maps are normalised exactly as
  OTDL does (Eq. 15-16: prediction and ground truth restricted to the valid
  pixels, each divided by its sum, :func:`otdl_grid_masses`). Zero weights are
  ``log 0 = -inf`` in OTDL and ``-10^4`` in GeomLoss.
* *Debiasing*. ``debias=True`` is the Sinkhorn divergence in both (entropy
  included). ``debias=False`` differs: GeomLoss returns the entropic value
  ``OT_eps`` (entropy included, :func:`geomloss_grid_value`) while OTDL returns
  the transport cost ``<T, C>`` of the entropic plan (entropy excluded, as
  POT's ``ot.sinkhorn2``); :func:`geomloss_grid_transport_cost` evaluates
  ``<T, C>`` for GeomLoss's plan ``T = a b exp((f_G + g_G - C_G) / eps_G)``
  with OTDL's separable kernel.
* *Schedule*. GeomLoss runs a fixed number of iterations: epsilon-scaling from
  ``eps_G = 1`` (the diameter it assumes for the unit square) down to
  ``blur_G^2``, multiplying ``blur_G`` by ``scaling`` (default 0.5) at every
  iteration, on a coarse-to-fine pyramid (sum-pooled masses, bilinear
  upsampling of the potentials; it moves to a finer level as soon as the
  current pixel width exceeds the blur, which is why it wants ``blur_G`` no
  larger than about a pixel at the finest level), one averaged symmetric
  update per iteration, and a final parallel (unaveraged) update of the
  potentials (its "last extrapolation", which also carries its gradient).
  About ``2 + ln(1 / blur_G) / ln(1 / scaling)`` iterations: ``log2(N) + 2``
  at the default scaling and blur of one pixel, not enough to converge (values
  30-45 % low at 16x16-32x32); as ``scaling -> 1`` it tends to the converged
  value (measured: within ~1e-3 at 0.99). OTDL iterates at the final ``eps``
  until its marginal error is below ``tol``.

**Depth mode vs POT** ``ot.wasserstein_1d``: POT's exact 1-D solver on the same
atoms (the valid depths) and weights, ``p`` as in OTDL; it returns ``W_p^p``
like OTDL.
"""
import math
import os
from typing import Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from ..models.losses.ot_functional import (
    DEFAULT_CHUNK_ELEMS,
    _log_weights,
    _transport_cost_terms,
    gaussian_logconv_2d,
    grid_kernel_width,
)
from ..models.losses.otdl_loss import MIN_MASS


def otdl_grid_masses(pred: Tensor, target: Tensor) -> Tuple[Tensor, Tensor]:
    """The masses of OTDL's spatial mode (Eq. 15-16), ``(B, H, W)`` each summing to 1.

    Valid pixels are those with ``target > 0``; the prediction is clamped at
    :data:`~mmdepth_dgr.models.losses.otdl_loss.MIN_MASS` there, as in OTDL.

    Args:
        pred (Tensor): ``(B, 1, H, W)`` predicted depth.
        target (Tensor): ``(B, 1, H, W)`` ground truth (``<= 0``: invalid).

    Returns:
        tuple[Tensor, Tensor]: ``a`` (prediction) and ``b`` (ground truth).
    """
    mask = target[:, 0] > 0
    a = torch.where(mask, pred[:, 0].clamp_min(MIN_MASS), torch.zeros_like(pred[:, 0]))
    b = torch.where(mask, target[:, 0], torch.zeros_like(a))
    return a / a.sum(dim=(1, 2), keepdim=True), b / b.sum(dim=(1, 2), keepdim=True)


def geomloss_blur(blur: float) -> float:
    """GeomLoss's ``blur`` for OTDL's ``blur`` (``eps = blur^2 = 2 blur_G^2``)."""
    return float(blur) / math.sqrt(2.0)


def _check_square_pow2(a: Tensor) -> int:
    n = a.shape[-1]
    if a.dim() != 3 or a.shape[-2] != n or n < 2 or n & (n - 1):
        raise ValueError('GeomLoss grid solver: needs (B, N, N) masses with N a power of two, '
                         f'got {tuple(a.shape)}')
    return n


def _geomloss_sinkhorn_divergence():
    """``geomloss.sinkhorn_divergence``, imported with KeOps' banner silenced."""
    os.environ.setdefault('KEOPS_VERBOSE', '0')
    from geomloss import sinkhorn_divergence
    return sinkhorn_divergence


def geomloss_grid_value(a: Tensor, b: Tensor, blur: float, debias: bool = True,
                        scaling: float = 0.5) -> Tensor:
    """GeomLoss's grid Sinkhorn value, in OTDL's convention (twice GeomLoss's value).

    Args:
        a (Tensor): ``(B, N, N)`` probability masses, ``N`` a power of two
            (gradients flow through them).
        b (Tensor): ``(B, N, N)`` probability masses.
        blur (float): OTDL's blur (``eps = blur^2``); GeomLoss gets
            ``blur / sqrt(2)``.
        debias (bool): Sinkhorn divergence (True) or entropic ``OT_eps``
            (False, entropy included). Defaults to True.
        scaling (float): GeomLoss's epsilon-scaling ratio, in ``[0.5, 1)``.
            Defaults to 0.5 (GeomLoss's default).

    Returns:
        Tensor: ``(B,)`` values, ``2 S_G`` or ``2 OT_G``.
    """
    _check_square_pow2(a)
    sinkhorn_divergence = _geomloss_sinkhorn_divergence()
    value = sinkhorn_divergence(a[:, None], b[:, None], p=2, blur=geomloss_blur(blur),
                                scaling=scaling, debias=debias)
    return 2 * value


def geomloss_grid_potentials(a: Tensor, b: Tensor, blur: float,
                             scaling: float = 0.5) -> Tuple[Tensor, Tensor]:
    """GeomLoss's dual potentials of the cross problem (``debias=False``), OTDL's scale.

    Args:
        a (Tensor): ``(B, N, N)`` probability masses, ``N`` a power of two.
        b (Tensor): ``(B, N, N)`` probability masses.
        blur (float): OTDL's blur.
        scaling (float): GeomLoss's epsilon-scaling ratio. Defaults to 0.5.

    Returns:
        tuple[Tensor, Tensor]: ``f = 2 f_G`` (on ``a``) and ``g = 2 g_G`` (on
        ``b``), ``(B, N, N)``, detached.
    """
    _check_square_pow2(a)
    sinkhorn_divergence = _geomloss_sinkhorn_divergence()
    with torch.no_grad():
        f, g = sinkhorn_divergence(a[:, None], b[:, None], p=2, blur=geomloss_blur(blur),
                                   scaling=scaling, debias=False, potentials=True)
    return 2 * f[:, 0], 2 * g[:, 0]


def geomloss_grid_transport_cost(a: Tensor, b: Tensor, blur: float, scaling: float = 0.5,
                                 dtype: Optional[torch.dtype] = None) -> Tuple[Tensor, Tensor]:
    """Transport cost ``<T, C>`` of GeomLoss's plan, OTDL's ``debias=False`` quantity.

    ``T_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)`` with GeomLoss's potentials
    (:func:`geomloss_grid_potentials`), evaluated with OTDL's separable kernel
    (``O(N^2)`` memory). GeomLoss's last update is parallel, so ``T`` is not an
    exact coupling; its L1 row-marginal error is returned too.

    Args:
        a (Tensor): ``(B, N, N)`` probability masses, ``N`` a power of two.
        b (Tensor): ``(B, N, N)`` probability masses.
        blur (float): OTDL's blur.
        scaling (float): GeomLoss's epsilon-scaling ratio. Defaults to 0.5.
        dtype (torch.dtype, optional): Dtype of the evaluation (default: that of
            ``a``).

    Returns:
        tuple[Tensor, Tensor]: ``(B,)`` transport costs and ``(B,)`` L1
        row-marginal errors ``sum_i |sum_j T_ij - a_i|``.
    """
    n = _check_square_pow2(a)
    f, g = geomloss_grid_potentials(a, b, blur, scaling)
    dtype = dtype or a.dtype
    eps = float(blur)**2
    a, b, f, g = (t.detach().to(dtype) for t in (a, b, f, g))
    alpha, beta = _log_weights(a) + f / eps, _log_weights(b) + g / eps
    e = grid_kernel_width(eps, n, n)
    cost = _transport_cost_terms(alpha, beta, e, float(n * n),
                                 DEFAULT_CHUNK_ELEMS).flatten(1).sum(dim=1)
    rows = torch.exp(alpha + gaussian_logconv_2d(beta, e))
    return cost, (rows - a).abs().flatten(1).sum(dim=1)


def pot_wasserstein_1d(pred: Tensor, target: Tensor, p: float = 2.0,
                       weighting: str = 'depth') -> np.ndarray:
    """POT's ``ot.wasserstein_1d`` on OTDL's depth-mode atoms, per sample.

    The atoms are the valid depths (``target > 0``) of each map; weights as in
    OTDL (``'depth'``: the depths divided by their sum, the prediction clamped
    at :data:`MIN_MASS`; ``'uniform'``: equal).

    Args:
        pred (Tensor): ``(B, 1, H, W)`` predicted depth.
        target (Tensor): ``(B, 1, H, W)`` ground truth.
        p (float): Cost exponent. Defaults to 2.
        weighting (str): ``'depth'`` or ``'uniform'``. Defaults to 'depth'.

    Returns:
        np.ndarray: ``(B,)`` values of ``W_p^p`` (float64).
    """
    import ot
    out = []
    for i in range(pred.size(0)):
        mask = target[i, 0] > 0
        x = pred[i, 0][mask].detach().double().cpu().numpy()
        y = target[i, 0][mask].detach().double().cpu().numpy()
        if weighting == 'depth':
            wx, wy = np.maximum(x, MIN_MASS), y
        else:
            wx, wy = np.ones_like(x), np.ones_like(y)
        out.append(float(ot.wasserstein_1d(x, y, wx / wx.sum(), wy / wy.sum(), p=p)))
    return np.array(out)
