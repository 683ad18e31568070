"""Scale-invariant logarithmic depth loss of Eigen et al. (paper Eq. 23)."""
import torch
from mmseg.registry import MODELS
from torch import Tensor

from .base_depth_loss import BaseDepthLoss
from .utils import masked_mean


# Not mmseg's ``SiLogLoss``: that loss always takes the square root, so its
# gradient is NaN for a sample with an empty mask or zero log-error variance
# (d sqrt(x)/dx at x = 0), and it hard-codes lamb = 0.5 with a mask of
# ``target > eps`` only (no user mask, no NaN/inf targets). Eq. 23 itself has
# no square root.
@MODELS.register_module()
class ScaleInvariantLoss(BaseDepthLoss):
    """Scale-invariant log loss of Eigen et al. (NeurIPS'14), Eq. 23.

    With ``d_i = ln p_i - ln g_i`` over the ``n`` valid pixels of a sample::

        L = 1/n * sum_i d_i^2 - lamb / n^2 * (sum_i d_i)^2

    ``lamb = 0.5`` is Eq. 23 (whose printed second term lost the brackets:
    it is the squared sum of ``d_i``). The result is multiplied by ``scale``.
    With ``use_sqrt=True, lamb=0.85, scale=10`` this is the "SILog" loss of
    BTS/AdaBins, ``10 * sqrt(mean(d^2) - 0.85 * mean(d)^2)``; the argument of
    the square root is clamped at ``eps`` so the gradient stays finite. With
    ``reduction='sample'`` the per-sample values are averaged over samples with
    at least one valid pixel; with ``reduction='batch'`` the valid pixels of
    the whole batch are pooled into one set (as the official BTS, AdaBins,
    TransDepth and NeWCRFs/PixelFormer ``silog_loss`` does on
    ``depth[mask]``), so every pixel weighs the same whatever its image.

    Args:
        lamb (float): Weight of the squared mean log error (0 gives the plain
            squared log error, 1 full scale invariance). Defaults to 0.5.
        use_sqrt (bool): Take the square root of the per-sample value.
            Defaults to False.
        scale (float): Multiplier of the per-sample value (after the square
            root if any). Defaults to 1.0.
        eps (float): Lower clamp of predictions and targets before the log,
            and of the square-root argument. Defaults to 1e-6.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item. Defaults to 'loss_si'.
        reduction (str): ``'sample'`` (per-sample loss, then mean over samples)
            or ``'batch'`` (one loss over all valid pixels of the batch).
            Defaults to 'sample'.
    """

    REDUCTIONS = ('sample', 'batch')

    def __init__(self,
                 lamb: float = 0.5,
                 use_sqrt: bool = False,
                 scale: float = 1.0,
                 eps: float = 1e-6,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_si',
                 reduction: str = 'sample') -> None:
        super().__init__(loss_weight, loss_name)
        if reduction not in self.REDUCTIONS:
            raise ValueError(f'ScaleInvariantLoss: reduction must be one of {self.REDUCTIONS}, '
                             f'got {reduction!r}')
        self.reduction = reduction
        self.lamb = lamb
        self.use_sqrt = use_sqrt
        self.scale = scale
        self.eps = eps

    def per_sample(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        """The loss per sample ``(B,)``, or one scalar over the pooled batch."""
        log_diff = torch.log(pred.clamp(min=self.eps)) - torch.log(target.clamp(min=self.eps))
        dims = (0, 1, 2, 3) if self.reduction == 'batch' else (1, 2, 3)
        mean_sq = masked_mean(log_diff.pow(2), mask, dims)
        mean = masked_mean(log_diff, mask, dims)
        per_sample = mean_sq - self.lamb * mean.pow(2)
        if self.use_sqrt:
            per_sample = torch.sqrt(per_sample.clamp(min=self.eps))
        return self.scale * per_sample

    def reduce(self, per_sample: Tensor, mask: Tensor) -> Tensor:
        """Mean over the samples with a valid pixel, or the pooled batch value."""
        if self.reduction == 'batch':
            # one value for the pooled batch: exact 0 (still in the graph) without valid pixels
            return torch.where(mask.any(), per_sample, torch.zeros_like(per_sample))
        return super().reduce(per_sample, mask)
