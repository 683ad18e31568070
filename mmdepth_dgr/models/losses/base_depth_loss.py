"""The common frame of the dense depth losses (MSE, Hu, scale-invariant, OTDL)."""
from typing import Optional

import torch.nn as nn
from torch import Tensor

from .utils import prepare_depth_inputs, reduce_per_sample


class BaseDepthLoss(nn.Module):
    """A loss between a predicted and a ground-truth depth map, mmseg's loss contract.

    ``forward`` follows the recipe of :mod:`.utils`: :func:`prepare_depth_inputs`
    (shapes, float32/float64, valid mask, sanitised invalid pixels), then the
    subclass's :meth:`per_sample` value, then :meth:`reduce` (by default the mean
    over the samples that have a valid pixel), times ``loss_weight``.

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item; must start with ``loss_`` to be
            back-propagated by mmseg. Defaults to 'loss_depth'.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_depth') -> None:
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
            target (Tensor): Ground-truth depth of the same shape; pixels that
                are 0, negative, NaN or inf are invalid.
            valid_mask (Tensor, optional): Boolean mask of the same shape,
                combined with the valid targets. Defaults to None.
            **kwargs: Ignored (accepted for interface compatibility).

        Returns:
            Tensor: The loss (a scalar unless the subclass's reduction keeps the
            samples), float32, or float64 for float64 inputs.
        """
        pred, target, mask = prepare_depth_inputs(pred, target, valid_mask)
        return self.loss_weight * self.reduce(self.per_sample(pred, target, mask), mask)

    def per_sample(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        """The loss of each sample.

        Args:
            pred (Tensor): ``(B, 1, H, W)`` prediction, sanitised outside ``mask``.
            target (Tensor): ``(B, 1, H, W)`` ground truth, sanitised outside ``mask``.
            mask (Tensor): ``(B, 1, H, W)`` boolean valid mask.

        Returns:
            Tensor: ``(B,)`` losses (any finite value for samples without a
            valid pixel: :meth:`reduce` leaves them out).
        """
        raise NotImplementedError

    def reduce(self, per_sample: Tensor, mask: Tensor) -> Tensor:
        """Mean over the samples with a valid pixel (:func:`reduce_per_sample`).

        Args:
            per_sample (Tensor): ``(B,)`` losses from :meth:`per_sample`.
            mask (Tensor): ``(B, 1, H, W)`` boolean valid mask.

        Returns:
            Tensor: Scalar loss.
        """
        return reduce_per_sample(per_sample, mask)

    @property
    def loss_name(self) -> str:
        """str: Name of the loss item (``loss_`` prefix = back-propagated)."""
        return self._loss_name
