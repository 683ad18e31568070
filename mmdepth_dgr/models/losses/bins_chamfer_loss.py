"""Chamfer loss between adaptive-bin centres and ground-truth depths (AdaBins, Bhat et al.)."""
from typing import Optional

import torch
from mmseg.registry import MODELS
from torch import Tensor

from .base_depth_loss import BaseDepthLoss
from .utils import prepare_depth_inputs


def nearest_sq_dist_1d(query: Tensor, ref: Tensor) -> Tensor:
    """Squared distance of every query value to its nearest reference value (1-D).

    Exact, in ``O((Q + R) log R)`` time and ``O(Q + R)`` memory: ``ref`` is
    sorted and each query is located with :func:`torch.searchsorted`; the
    nearest value is one of its two sorted neighbours. The result is
    differentiable w.r.t. both inputs (through the selected values).

    Args:
        query (Tensor): (Q,) values.
        ref (Tensor): (R,) values, R >= 1, any order.

    Returns:
        Tensor: (Q,) ``min_j (query_i - ref_j)^2``.
    """
    if ref.numel() == 0:
        raise ValueError('nearest_sq_dist_1d: ref is empty')
    ref_sorted, _ = torch.sort(ref)
    idx = torch.searchsorted(ref_sorted.detach().contiguous(), query.detach().contiguous())
    last = ref_sorted.numel() - 1
    below = ref_sorted[(idx - 1).clamp(0, last)]
    above = ref_sorted[idx.clamp(0, last)]
    return torch.minimum((query - below).pow(2), (query - above).pow(2))


def chamfer_distance_1d(points: Tensor, targets: Tensor) -> Tensor:
    """Symmetric chamfer distance of two 1-D point sets (AdaBins' bin-centre loss).

    ``mean_i min_j (p_i - t_j)^2 + mean_j min_i (p_i - t_j)^2``, i.e.
    pytorch3d's ``chamfer_distance`` with mean point reduction on 1-D points.

    Args:
        points (Tensor): (P,) points, e.g. bin centres.
        targets (Tensor): (T,) points, e.g. the valid depths of one image.

    Returns:
        Tensor: Scalar distance.
    """
    return (nearest_sq_dist_1d(points, targets).mean()
            + nearest_sq_dist_1d(targets, points).mean())


@MODELS.register_module()
class BinsChamferLoss(BaseDepthLoss):
    """Bin-centre regulariser of AdaBins (Bhat et al., CVPR'21, Sec. 3.3).

    For each image, with ``c`` the bin centres and ``X`` the set of its valid
    ground-truth depths::

        L_bins = chamfer(X, c) = mean_{x in X} min_i (x - c_i)^2
                                 + mean_i min_{x in X} (x - c_i)^2

    averaged over the images that have at least one valid pixel (AdaBins
    weighs it by 0.1 next to SILog). It pulls the bin centres towards the
    depths present in the image and every depth towards a bin. Computed
    exactly with sorting (:func:`chamfer_distance_1d`), without a
    (pixels x bins) distance matrix. Invalid pixels are 0, NaN or inf targets
    or those outside ``valid_mask``. It shares :class:`BaseDepthLoss`'s
    ``loss_weight`` and ``loss_name`` but not its ``forward``: the prediction
    is a set of bin centres, not a depth map.

    Args:
        loss_weight (float): Multiplier. Defaults to 0.1 (AdaBins' ``w_chamfer``).
        loss_name (str): Name of the loss item. Defaults to 'loss_bins'.
    """

    def __init__(self, loss_weight: float = 0.1, loss_name: str = 'loss_bins') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)

    def forward(self,
                bin_centers: Tensor,
                target: Tensor,
                valid_mask: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            bin_centers (Tensor): (B, N) bin centres in metres (or (B, N, 1, 1)).
            target (Tensor): (B, 1, H, W) or (B, H, W) ground-truth depth.
            valid_mask (Tensor, optional): Boolean mask like ``target``.
                Defaults to None (``target > 0`` and finite).
            **kwargs: Ignored.

        Returns:
            Tensor: Scalar loss; an exact 0 in the graph when no image has a
            valid pixel.
        """
        centers = bin_centers.flatten(1)
        _, target, mask = prepare_depth_inputs(target, target, valid_mask)
        if centers.shape[0] != target.shape[0]:
            raise ValueError(f'BinsChamferLoss: {centers.shape[0]} sets of bin centres for '
                             f'{target.shape[0]} targets')
        centers = centers.to(target.dtype)
        total = centers.sum() * 0.0
        count = 0
        for c, t, m in zip(centers, target.flatten(1), mask.flatten(1), strict=True):
            if m.any():
                total = total + chamfer_distance_1d(c, t[m])
                count += 1
        return self.loss_weight * total / max(count, 1)
