"""Depth + gradient + surface-normal loss of Hu et al. (WACV'19), paper Eq. 22."""
import torch
from mmseg.registry import MODELS
from torch import Tensor

from .base_depth_loss import BaseDepthLoss
from .utils import erode_mask, masked_mean, sobel_gradients


@MODELS.register_module()
class HuDepthLoss(BaseDepthLoss):
    """Loss of Hu et al., "Revisiting Single Image Depth Estimation", Eq. 22.

    ``L = w_depth * L_depth + w_grad * L_grad + w_normal * L_normal`` with
    ``F(x) = ln(x + alpha)`` and, per sample,

    * ``L_depth = mean_i F(|d_i - g_i|)`` over the valid pixels;
    * ``L_grad = mean_i F(|dx d_i - dx g_i|) + F(|dy d_i - dy g_i|)``, with
      ``dx``/``dy`` the unnormalised 3x3 Sobel derivatives;
    * ``L_normal = mean_i (1 - cos(n_d, n_g))`` with normals ``n = (-dx, -dy, 1)``;

    the last two over the pixels whose whole 3x3 neighbourhood is valid
    (replicate padding at the image border). Per-sample values are averaged
    over the samples with at least one valid pixel.

    Note:
        This loss can be negative: ``F(0) = ln(alpha) = ln 0.5 < 0``, so a
        perfect prediction scores ``3 * ln 0.5`` (about -2.08) with the
        default weights. That is the published loss; only its gradient matters
        for training.

    Args:
        alpha (float): Offset inside the log, ``F(x) = ln(x + alpha)``; must be
            positive. Defaults to 0.5.
        w_depth (float): Weight of ``L_depth``. Defaults to 1.0.
        w_grad (float): Weight of ``L_grad``. Defaults to 1.0.
        w_normal (float): Weight of ``L_normal``. Defaults to 1.0.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item. Defaults to 'loss_hu'.
    """

    def __init__(self,
                 alpha: float = 0.5,
                 w_depth: float = 1.0,
                 w_grad: float = 1.0,
                 w_normal: float = 1.0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_hu') -> None:
        super().__init__(loss_weight, loss_name)
        if alpha <= 0:
            raise ValueError(f'alpha must be positive, got {alpha}')
        self.alpha = alpha
        self.w_depth = w_depth
        self.w_grad = w_grad
        self.w_normal = w_normal

    def _log_error(self, error: Tensor) -> Tensor:
        """``F(|e|) = ln(|e| + alpha)``."""
        return torch.log(error.abs() + self.alpha)

    def per_sample(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        """``w_depth * L_depth + w_grad * L_grad + w_normal * L_normal`` per sample, ``(B,)``."""
        loss_depth = masked_mean(self._log_error(pred - target), mask)

        # one Sobel pass over prediction and target stacked along the channels
        grad_x, grad_y = sobel_gradients(torch.cat([pred, target], dim=1))
        pred_gx, target_gx = grad_x.split(1, dim=1)
        pred_gy, target_gy = grad_y.split(1, dim=1)
        inner = erode_mask(mask)
        loss_grad = masked_mean(
            self._log_error(pred_gx - target_gx) + self._log_error(pred_gy - target_gy), inner)

        # cosine between n = (-dx, -dy, 1); both norms are >= 1, so no eps needed
        dot = pred_gx * target_gx + pred_gy * target_gy + 1
        norms = torch.sqrt((pred_gx.pow(2) + pred_gy.pow(2) + 1) *
                           (target_gx.pow(2) + target_gy.pow(2) + 1))
        loss_normal = masked_mean(1 - dot / norms, inner)

        return (self.w_depth * loss_depth + self.w_grad * loss_grad +
                self.w_normal * loss_normal)
