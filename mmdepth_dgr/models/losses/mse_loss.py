"""Masked mean squared error on depth (paper Eq. 20)."""
from mmseg.registry import MODELS
from torch import Tensor

from .base_depth_loss import BaseDepthLoss
from .utils import masked_mean


@MODELS.register_module()
class DepthMSELoss(BaseDepthLoss):
    """Mean squared error between predicted and ground-truth depth, Eq. 20.

    ``L_MSE(P, Q) = 1/N * sum_i (P_i - Q_i)^2`` over the N valid pixels of each
    sample, then averaged over the samples that have at least one valid pixel.

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item; must start with ``loss_`` to be
            back-propagated by mmseg. Defaults to 'loss_mse'.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_mse') -> None:
        super().__init__(loss_weight, loss_name)

    def per_sample(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        """Mean squared error over each sample's valid pixels, ``(B,)``."""
        return masked_mean((pred - target).pow(2), mask)
