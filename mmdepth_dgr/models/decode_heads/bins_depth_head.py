"""Shared base of the adaptive-bins depth heads (AdaBins, DepthFormer ICIP'22)."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from .depth_base_head import DepthBaseHead

#: AdaBins' decoder norm and activation, and its bin-centre loss (beta = 0.1), the defaults of
#: the adaptive-bins heads.
BINS_NORM_CFG = dict(type='BN', requires_grad=True)
BINS_ACT_CFG = dict(type='LeakyReLU', negative_slope=0.01)
BINS_LOSS_CFG = dict(type='BinsChamferLoss', loss_weight=0.1)


def bin_edges_from_widths(widths: Tensor, min_depth: float, max_depth: float) -> Tensor:
    """Bin edges from normalised bin widths (AdaBins, Sec. 3.2).

    ``e_0 = d_min`` and ``e_k = d_min + (d_max - d_min) * sum_{i<=k} w_i``, so
    with widths summing to 1 the last edge is ``d_max``.

    Args:
        widths (Tensor): (B, N) positive widths summing to 1.
        min_depth (float): d_min.
        max_depth (float): d_max.

    Returns:
        Tensor: (B, N + 1) increasing edges.
    """
    scaled = F.pad((max_depth - min_depth) * widths, (1, 0), value=min_depth)
    return torch.cumsum(scaled, dim=1)


def bin_centers_from_edges(edges: Tensor) -> Tensor:
    """Centres ``c_i = (e_{i-1} + e_i) / 2`` of the bins.

    Args:
        edges (Tensor): (B, N + 1) edges.

    Returns:
        Tensor: (B, N) centres.
    """
    return 0.5 * (edges[:, :-1] + edges[:, 1:])


def depth_from_bins(probs: Tensor, centers: Tensor) -> Tensor:
    """Depth as the probability-weighted sum of bin centres (AdaBins, Sec. 3.2).

    Args:
        probs (Tensor): (B, N, H, W) per-pixel bin probabilities (softmax).
        centers (Tensor): (B, N) bin centres.

    Returns:
        Tensor: (B, 1, H, W) depth.
    """
    return (probs * centers[:, :, None, None]).sum(dim=1, keepdim=True)


class BinsDepthHead(DepthBaseHead):
    """A :class:`DepthBaseHead` whose depth is an expectation over predicted bins.

    Subclasses' ``forward`` returns ``(depth, bin_edges)``; training adds
    ``loss_bins`` (the chamfer loss between bin centres and ground-truth depths,
    AdaBins Eq. 4) to the ``loss_decode`` items, and prediction keeps the depth.
    There is no ``depth_act`` and no 1-channel depth conv.

    Args:
        n_bins (int): Number of bins. Defaults to 256.
        minivit_cfg (dict, optional): Extra :class:`AdaBinsMiniViT` arguments
            (``in_channels`` and ``n_bins`` come from the head).
        norm_cfg (dict): Norm of the decoder. Defaults to BN.
        act_cfg (dict): Activation of the decoder. Defaults to LeakyReLU(0.01).
        loss_bins (dict, optional): Bin-centre loss; None disables it.
            Defaults to ``BinsChamferLoss`` with weight 0.1 (AdaBins' beta).
        align_corners (bool): Loss/prediction resizing mode. Defaults to True
            (AdaBins and the DepthFormer of Agarwal & Arora).
        **kwargs: :class:`DepthBaseHead` arguments except ``depth_act``.
    """

    def __init__(self,
                 n_bins: int = 256,
                 minivit_cfg: Optional[dict] = None,
                 norm_cfg: dict = BINS_NORM_CFG,
                 act_cfg: dict = BINS_ACT_CFG,
                 loss_bins: Optional[ConfigType] = BINS_LOSS_CFG,
                 align_corners: bool = True,
                 **kwargs) -> None:
        if 'depth_act' in kwargs:
            raise ValueError(f'{type(self).__name__}: depth comes from the bins; depth_act is '
                             'not used')
        super().__init__(depth_act='identity', align_corners=align_corners, **kwargs)
        self.n_bins = n_bins
        self.minivit_cfg = minivit_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        del self.conv_depth  # the depth comes from the bins
        self.loss_bins = MODELS.build(loss_bins) if loss_bins is not None else None

    def build_minivit(self, channels: int, **defaults) -> None:
        """Build ``self.minivit``, AdaBins' mini-ViT (:class:`AdaBinsMiniViT`).

        Args:
            channels (int): Its input channels.
            **defaults: The head's defaults, overridden by ``minivit_cfg``.
        """
        vit_cfg = dict(type='AdaBinsMiniViT', **defaults)
        vit_cfg.update(self.minivit_cfg or {})
        vit_cfg.update(in_channels=channels, n_bins=self.n_bins)
        self.minivit = MODELS.build(vit_cfg)

    def depth_and_edges(self, widths: Tensor, logits: Tensor) -> Tuple[Tensor, Tensor]:
        """Depth as the expectation over the bins (AdaBins Eq. 1-3), and the bin edges.

        Args:
            widths (Tensor): (B, N) normalised bin widths.
            logits (Tensor): (B, N, H, W) per-pixel bin scores (softmax-ed here).

        Returns:
            tuple[Tensor, Tensor]: (B, 1, H, W) depth and (B, N + 1) edges.
        """
        probs = torch.softmax(logits, dim=1)
        edges = bin_edges_from_widths(widths, self.min_depth, self.max_depth)
        return depth_from_bins(probs, bin_centers_from_edges(edges)), edges

    def loss_by_feat(self, outputs: Tuple[Tensor, Tensor],
                     batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Depth losses (``loss_decode``) plus the bin-centre loss (``loss_bins``).

        Args:
            outputs (tuple[Tensor, Tensor]): ``forward``'s depth and edges.
            batch_data_samples (list[SegDataSample]): Samples with ``gt_depth_map``.

        Returns:
            dict[str, Tensor]: Loss items.
        """
        depth, edges = outputs
        losses = super().loss_by_feat(depth, batch_data_samples)
        if self.loss_bins is not None:
            gt = self._stack_batch_gt(batch_data_samples).to(depth.dtype)
            value = self.loss_bins(bin_centers_from_edges(edges), gt,
                                   valid_mask=self.valid_mask(gt))
            name = self.loss_bins.loss_name
            losses[name] = losses[name] + value if name in losses else value
        return losses

    def predict_by_feat(self, outputs: Tuple[Tensor, Tensor],
                        batch_img_metas: List[dict]) -> Tensor:
        """Resize the depth to the input size (see :class:`DepthBaseHead`).

        Args:
            outputs (tuple[Tensor, Tensor]): ``forward``'s depth and edges.
            batch_img_metas (list[dict]): Image metas.

        Returns:
            Tensor: (B, 1, H, W) depth.
        """
        return super().predict_by_feat(outputs[0], batch_img_metas)
