"""Masked mean squared error on depth (paper Eq. 20)."""
from typing import Optional

import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from .utils import masked_mean, prepare_depth_inputs, reduce_per_sample


@MODELS.register_module()
class DepthMSELoss(nn.Module):
    """Mean squared error between predicted and ground-truth depth, Eq. 20.

    ``L_MSE(P, Q) = 1/N * sum_i (P_i - Q_i)^2`` over the N valid pixels of each
    sample, then averaged over the samples that have at least one valid pixel.

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item; must start with ``loss_`` to be
            back-propagated by mmseg. Defaults to 'loss_mse'.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_mse') -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                pred: Tensor,
                target: Tensor,
                valid_mask: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Predicted depth in metres, ``(B, 1, H, W)`` or
                ``(B, H, W)``.
            target (Tensor): Ground-truth depth of the same shape; may hold
                0/NaN/inf at invalid pixels.
            valid_mask (Tensor, optional): Boolean mask of the same shape.
                Defaults to None (``target > 0`` and finite).
            **kwargs: Ignored (accepted for interface compatibility).

        Returns:
            Tensor: Scalar loss (float32, or float64 for float64 inputs).
        """
        pred, target, mask = prepare_depth_inputs(pred, target, valid_mask)
        per_sample = masked_mean((pred - target).pow(2), mask)
        return self.loss_weight * reduce_per_sample(per_sample, mask)

    @property
    def loss_name(self) -> str:
        """str: Name of the loss item (``loss_`` prefix = back-propagated)."""
        return self._loss_name
