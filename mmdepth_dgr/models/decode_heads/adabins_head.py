"""AdaBins decode head (Bhat et al., "AdaBins: Depth Estimation using Adaptive Bins", CVPR'21)."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.registry import MODELS
from mmseg.utils import ConfigType
from torch import Tensor

from .bins_depth_head import (
    BinsDepthHead,
    bin_centers_from_edges,
    bin_edges_from_widths,
    depth_from_bins,
)


class UpSampleBlock(nn.Module):
    """AdaBins' ``UpSampleBN``: upsample, concatenate the skip, two 3x3 conv-BN-LeakyReLU.

    Args:
        in_channels (int): Channels of the upsampled map plus the skip.
        out_channels (int): Output channels.
        norm_cfg (dict): Norm config.
        act_cfg (dict): Activation config.
        align_corners (bool): Of the bilinear upsampling (AdaBins: True).
    """

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: dict, act_cfg: dict,
                 align_corners: bool = True) -> None:
        super().__init__()
        self.align_corners = align_corners
        # the convolutions keep their bias before BN, as AdaBins' nn.Conv2d do
        self.conv1 = ConvModule(in_channels, out_channels, 3, padding=1, bias=True,
                                norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv2 = ConvModule(out_channels, out_channels, 3, padding=1, bias=True,
                                norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        """Upsample ``x`` to ``skip``'s size and fuse.

        Args:
            x (Tensor): (B, C1, h, w) coarse map.
            skip (Tensor): (B, C2, H, W) skip features.

        Returns:
            Tensor: (B, out_channels, H, W).
        """
        x = F.interpolate(x, size=skip.shape[2:], mode='bilinear',
                          align_corners=self.align_corners)
        return self.conv2(self.conv1(torch.cat([x, skip], dim=1)))


@MODELS.register_module()
class AdaBinsHead(BinsDepthHead):
    """AdaBins decoder, adaptive bins and depth (Bhat et al., CVPR'21).

    The head is the official ``UnetAdaptiveBins`` minus its encoder:

    1. U-Net decoder (``DecoderBN``): a 1x1 conv of the deepest features to
       ``decoder_channels`` (with ``padding=1`` as in the official code, which
       adds a one-pixel border that the next upsampling absorbs), four
       :class:`UpSampleBlock` s fusing the skips from coarse to fine and
       halving the width, and a 3x3 conv to ``channels`` (128) at the
       resolution of the finest skip (1/2 of the input for EfficientNet).
    2. :class:`AdaBinsMiniViT` (``minivit``): bin widths ``w`` (B, n_bins) and
       range-attention maps ``R``.
    3. ``p = softmax(conv_out(R))`` over ``n_bins`` channels, edges
       ``e = bin_edges_from_widths(w, min_depth, max_depth)``, centres
       ``c`` and depth ``d = sum_i p_i c_i``.

    :meth:`forward` returns ``(depth, bin_edges)``. Training adds ``loss_bins``
    (the chamfer loss between the bin centres and the valid ground-truth
    depths) to the depth losses of ``loss_decode`` (SILog in AdaBins).
    The prediction stays in ``[min_depth, max_depth]`` by construction.

    Args:
        in_channels (Sequence[int]): Channels of the selected levels, fine to
            coarse: four skips then the deepest map. Defaults to
            EfficientNet-B5's (24, 40, 64, 176, 2048).
        channels (int): Decoder output channels (the mini-ViT input). Defaults to 128.
        in_index (Sequence[int]): Backbone levels used. Defaults to (0, 1, 2, 3, 4).
        decoder_channels (int): Width after the first 1x1 conv, halved by
            every upsampling block. Defaults to 2048.
        n_bins (int): Number of bins. Defaults to 256.
        minivit_cfg (dict): Extra :class:`AdaBinsMiniViT` arguments
            (``in_channels`` and ``n_bins`` are set from this head).
        norm_cfg (dict): Norm of the decoder blocks. Defaults to BN.
        act_cfg (dict): Activation of the decoder blocks. Defaults to
            LeakyReLU(0.01).
        loss_bins (dict, optional): Bin-centre loss; None disables it.
            Defaults to ``BinsChamferLoss`` with weight 0.1.
        align_corners (bool): Bilinear resizing mode. Defaults to True (AdaBins).
        **kwargs: :class:`DepthBaseHead` arguments (``min_depth``,
            ``max_depth``, ``loss_decode``, ``init_cfg``).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (24, 40, 64, 176, 2048),
                 channels: int = 128,
                 in_index: Sequence[int] = (0, 1, 2, 3, 4),
                 decoder_channels: int = 2048,
                 n_bins: int = 256,
                 minivit_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.01),
                 loss_bins: Optional[ConfigType] = dict(type='BinsChamferLoss', loss_weight=0.1),
                 align_corners: bool = True,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        if len(in_channels) != 5 or len(in_index) != 5:
            raise ValueError(f'AdaBinsHead: needs 4 skips and 1 deepest level, got in_channels '
                             f'{list(in_channels)} and in_index {list(in_index)}')
        super().__init__(in_channels=list(in_channels), channels=channels,
                         in_index=list(in_index), input_transform='multiple_select',
                         align_corners=align_corners, init_cfg=init_cfg, loss_bins=loss_bins,
                         **kwargs)
        self.n_bins = n_bins
        self.bottleneck = nn.Conv2d(in_channels[-1], decoder_channels, 1, padding=1)
        widths = [decoder_channels // 2**i for i in range(5)]
        self.up_blocks = nn.ModuleList(
            UpSampleBlock(widths[i] + in_channels[3 - i], widths[i + 1], norm_cfg, act_cfg,
                          align_corners) for i in range(4))
        self.conv_decoder_out = nn.Conv2d(widths[-1], channels, 3, padding=1)
        vit_cfg = dict(type='AdaBinsMiniViT')
        vit_cfg.update(minivit_cfg or {})
        vit_cfg.update(in_channels=channels, n_bins=n_bins)
        self.minivit = MODELS.build(vit_cfg)
        self.conv_out = nn.Conv2d(self.minivit.n_queries, n_bins, 1)

    def decode(self, feats: List[Tensor]) -> Tensor:
        """Run the U-Net decoder.

        Args:
            feats (list[Tensor]): Four skips (fine to coarse) and the deepest map.

        Returns:
            Tensor: (B, channels, H0, W0) at the finest skip's resolution.
        """
        x = self.bottleneck(feats[4])
        for i, block in enumerate(self.up_blocks):
            x = block(x, feats[3 - i])
        return self.conv_decoder_out(x)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """Predict depth and bins.

        Args:
            inputs (Sequence[Tensor]): Backbone (or neck) levels.

        Returns:
            tuple[Tensor, Tensor]: (B, 1, H0, W0) depth in metres and
            (B, n_bins + 1) bin edges.
        """
        x = self.decode(self._transform_inputs(inputs))
        widths, attention = self.minivit(x)
        probs = torch.softmax(self.conv_out(attention), dim=1)
        edges = bin_edges_from_widths(widths, self.min_depth, self.max_depth)
        return depth_from_bins(probs, bin_centers_from_edges(edges)), edges
