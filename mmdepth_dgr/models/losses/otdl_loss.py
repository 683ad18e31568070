"""Optimal Transport Depth Loss (OTDL), paper Sec. 3.3, Eq. 15-19."""
from typing import Optional

import torch
from mmseg.registry import MODELS
from torch import Tensor

from .base_depth_loss import BaseDepthLoss
from .ot_functional import sinkhorn_divergence_grid, sinkhorn_grid_cost, wasserstein_1d

#: Smallest mass a predicted depth contributes when it weights its own atom
#: (``weighting='depth'``): Eq. 15 needs non-negative masses, so predictions are
#: clamped at this value (in the depth unit, metres) for the weights only; the
#: clamp has zero gradient below it.
MIN_MASS = 1e-6

OTDL_MODES = ('depth', 'spatial')
OTDL_WEIGHTINGS = ('depth', 'uniform')
OTDL_REDUCTIONS = ('mean', 'none')


@MODELS.register_module()
class OTDLLoss(BaseDepthLoss):
    """Optimal Transport Depth Loss, ``L_OTDL(P, Q) = OT(P', Q')`` (Eq. 19).

    The predicted map ``P`` and the ground truth ``Q`` are restricted to the
    valid pixels (``valid_mask`` and ``Q > 0``; the same pixels for both maps)
    and normalised into distributions, ``P' = P / sum P`` and ``Q' = Q / sum Q``
    (Eq. 15-16). Two readings of the atoms of Eq. 17-18 are offered:

    * ``mode='depth'`` (default; the paper's "i and j being depth values"):
      per image the atoms are the valid depth values, weighted by ``P'``/``Q'``
      (``weighting='depth'``) or equally (``weighting='uniform'``), the cost is
      ``|x - y|^p`` (Eq. 17 with ``p = 2``) and the loss is the exact optimal
      value of Eq. 18, ``W_p^p``, computed in ``O(N log N)`` through the
      quantile functions (:func:`~.ot_functional.wasserstein_1d`). With
      ``weighting='depth'`` the prediction sets both the positions and the
      weights of its atoms; the gradient flows through both (positions through
      the sorted atoms, weights through the cumulative sums and the
      normalisation of Eq. 15), which is the exact derivative wherever no two
      atoms tie. Predicted masses are clamped at :data:`MIN_MASS`.
    * ``mode='spatial'``: ``P'`` and ``Q'`` are masses on the pixel centres
      ``(row + 0.5, col + 0.5) / max(H, W)`` (invalid pixels carry no mass),
      the cost is the squared Euclidean distance and the OT problem is solved
      with entropic regularisation ``eps = blur^2`` by log-domain Sinkhorn
      iterations using the separable Gibbs kernel (two 1-D passes, ``O(H W)``
      memory, never an ``N x N`` matrix; for a blur of a few pixels the
      iterations sum over windows around the largest terms and confirm the
      stopping rule with the full sums, see
      :func:`~.ot_functional.sinkhorn_potentials`). ``debias=False`` returns the transport
      cost ``<T, M>`` of the entropic plan (entropy excluded, as POT's
      ``ot.sinkhorn2``; implicit-function gradients,
      :func:`~.ot_functional.sinkhorn_grid_cost`). ``debias=True`` returns the
      Sinkhorn divergence ``OT_eps(P', Q') - (OT_eps(P', P') + OT_eps(Q', Q')) / 2``
      where ``OT_eps`` includes the entropy term (Feydy et al., 2019), which is
      0 for equal maps and positive otherwise (envelope-theorem gradients,
      :func:`~.ot_functional.sinkhorn_divergence_grid`). Only
      ``weighting='depth'`` and ``p=2`` are meaningful here.

    Sinkhorn stops after ``max_iter`` iterations or when the L1 marginal error
    of the plan is below ``tol`` (defaults 100 and 1e-3). The loss is computed
    in float32 (float64 inputs stay float64) with autocast disabled. A sample
    without a valid pixel contributes 0 (finite, zero gradient); with
    ``reduction='mean'`` the per-sample values are averaged over the samples
    that have a valid pixel. The combined loss of Eq. 21 is the config
    ``loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss',
    loss_weight=lambda_otdl)]``.

    Args:
        mode (str): ``'depth'`` or ``'spatial'``. Defaults to 'depth'.
        weighting (str): Atom weights, ``'depth'`` (Eq. 15-16) or
            ``'uniform'`` (depth mode only). Defaults to 'depth'.
        p (float): Cost exponent ``|x - y|^p`` of the depth mode, ``>= 1``; the
            spatial mode requires 2. Defaults to 2.
        blur (float): Spatial mode: ``eps = blur^2`` in the units of the
            normalised grid (image side = 1). Defaults to 0.05.
        debias (bool): Spatial mode: Sinkhorn divergence instead of the
            transport cost of the entropic plan. Defaults to True.
        max_iter (int): Spatial mode: maximum Sinkhorn iterations per problem
            (and conjugate-gradient steps of the ``debias=False`` backward).
            Defaults to 100.
        tol (float): Spatial mode: L1 marginal-error tolerance. Defaults to 1e-3.
        loss_weight (float): Multiplier (``lambda_OTDL`` of Eq. 21). Defaults to 1.
        reduction (str): ``'mean'`` (scalar) or ``'none'`` (``(B,)``).
            Defaults to 'mean'.
        loss_name (str): Name of the loss item. Defaults to 'loss_otdl'.
        eps_scaling (float, optional): Spatial mode, opt-in: epsilon-scaling
            of the Sinkhorn solves, blur annealed from the grid diameter down
            to ``blur`` by this factor per stage (in ``(0, 1)``, e.g. 0.5),
            warm-starting the potentials (see
            :func:`~.ot_functional.sinkhorn_potentials`). Defaults to None (off).

    After a spatial-mode call, ``solver_info`` holds what the Sinkhorn solves
    reported (iterations, last marginal error, whether windowed sums were
    used; see :func:`~.ot_functional.sinkhorn_potentials`); it is empty
    before the first one.
    """

    def __init__(self,
                 mode: str = 'depth',
                 weighting: str = 'depth',
                 p: float = 2.0,
                 blur: float = 0.05,
                 debias: bool = True,
                 max_iter: int = 100,
                 tol: float = 1e-3,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean',
                 loss_name: str = 'loss_otdl',
                 eps_scaling: Optional[float] = None) -> None:
        super().__init__(loss_weight, loss_name)
        if mode not in OTDL_MODES:
            raise ValueError(f'OTDLLoss: mode must be one of {OTDL_MODES}, got {mode!r}')
        if weighting not in OTDL_WEIGHTINGS:
            raise ValueError(f'OTDLLoss: weighting must be one of {OTDL_WEIGHTINGS}, '
                             f'got {weighting!r}')
        if reduction not in OTDL_REDUCTIONS:
            raise ValueError(f'OTDLLoss: reduction must be one of {OTDL_REDUCTIONS}, '
                             f'got {reduction!r}')
        if p < 1:
            raise ValueError(f'OTDLLoss: p must be >= 1, got {p}')
        if mode == 'spatial' and p != 2:
            raise ValueError(f"OTDLLoss: mode='spatial' uses the squared Euclidean cost, "
                             f'p must be 2, got {p}')
        if mode == 'spatial' and weighting != 'depth':
            raise ValueError("OTDLLoss: mode='spatial' needs weighting='depth' (with "
                             f'weighting={weighting!r} both maps would be the same '
                             'uniform mass)')
        if blur <= 0:
            raise ValueError(f'OTDLLoss: blur must be > 0, got {blur}')
        if max_iter < 1:
            raise ValueError(f'OTDLLoss: max_iter must be >= 1, got {max_iter}')
        if tol < 0:
            raise ValueError(f'OTDLLoss: tol must be >= 0, got {tol}')
        if eps_scaling is not None and not 0 < eps_scaling < 1:
            raise ValueError(f'OTDLLoss: eps_scaling must be None or in (0, 1), '
                             f'got {eps_scaling}')
        self.mode = mode
        self.weighting = weighting
        self.p = float(p)
        self.blur = float(blur)
        self.debias = bool(debias)
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.eps_scaling = None if eps_scaling is None else float(eps_scaling)
        self.reduction = reduction
        self.solver_info: dict = {}

    def per_sample(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        """The optimal-transport value of each sample, ``(B,)``, with autocast off."""
        with torch.autocast(device_type=pred.device.type, enabled=False):
            if self.mode == 'depth':
                return self._depth_mode(pred, target, mask)
            return self._spatial_mode(pred, target, mask)

    def reduce(self, per_sample: Tensor, mask: Tensor) -> Tensor:
        """Scalar mean (``'mean'``) or ``(B,)`` with 0 for samples without a valid pixel."""
        if self.reduction == 'none':
            has_valid = mask.flatten(1).any(dim=1)
            return torch.where(has_valid, per_sample, torch.zeros_like(per_sample))
        return super().reduce(per_sample, mask)

    def _masses(self, pred: Tensor, target: Tensor, mask: Tensor):
        """Unnormalised masses of Eq. 15-16 (0 outside the mask)."""
        zeros = torch.zeros_like(pred)
        if self.weighting == 'uniform':
            uniform = mask.to(pred.dtype)
            return uniform, uniform
        return (torch.where(mask, pred.clamp_min(MIN_MASS), zeros),
                torch.where(mask, target, zeros))

    def _depth_mode(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        """Exact ``W_p^p`` between the valid depth values, per sample (B,).

        The weights are normalised in float64, so float32 maps give ``W_p^p``
        within 1e-6 relative of a float64 exact solver (measured: <= 1e-7 at
        4x416x544); the result keeps the dtype of ``pred``.
        """
        mp, mq = self._masses(pred, target, mask)
        # float64: wasserstein_1d needs equal totals, and float32 normalisation
        # leaves the two totals ~5e-8 apart over ~10^5 pixels, which moves the
        # value by ~1e-5 relative (the excess mass is transported at the cost of
        # the extreme depths); the casts are cheap next to the sorts.
        mp, mq = mp.flatten(1).double(), mq.flatten(1).double()
        tiny = torch.finfo(mp.dtype).tiny
        wx = mp / mp.sum(dim=1, keepdim=True).clamp_min(tiny)
        wy = mq / mq.sum(dim=1, keepdim=True).clamp_min(tiny)
        return wasserstein_1d(pred.flatten(1), wx, target.flatten(1), wy, self.p)

    def _spatial_mode(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        """Entropic OT between the maps as masses on the pixel grid, per sample (B,)."""
        mp, mq = self._masses(pred[:, 0], target[:, 0], mask[:, 0])
        # samples without a valid pixel get a dummy uniform mass (result masked out)
        has_valid = mask.flatten(1).any(dim=1).view(-1, 1, 1)
        ones = torch.ones_like(mp)
        mp = torch.where(has_valid, mp, ones)
        mq = torch.where(has_valid, mq, ones)
        a = mp / mp.sum(dim=(1, 2), keepdim=True)
        b = mq / mq.sum(dim=(1, 2), keepdim=True)
        eps = self.blur**2
        self.solver_info = {}
        if self.debias:
            return sinkhorn_divergence_grid(a, b, eps, self.max_iter, self.tol,
                                            eps_scaling=self.eps_scaling,
                                            info=self.solver_info)
        return sinkhorn_grid_cost(a, b, eps, self.max_iter, self.tol,
                                  eps_scaling=self.eps_scaling, info=self.solver_info)
