"""A plain multi-scale depth regression head for any multi-level backbone."""
from typing import List, Optional, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from .depth_base_head import DepthBaseHead


@MODELS.register_module()
class MultiScaleDepthHead(DepthBaseHead):
    """Top-down multi-scale depth regression head.

    Each selected level is projected to ``channels`` by a 1x1 ConvModule, then
    fused top-down (FPN style: upsample the coarser map and add), smoothed by a
    3x3 ConvModule, upsampled ``num_upsample`` times by 2 with a 3x3 ConvModule
    after each step that halves the width (at least 16 channels, so the
    full-resolution convolutions stay cheap), and mapped to depth by
    :meth:`DepthBaseHead.depth_pred`. It works on SegFormer (MiT), Swin and ResNet features alike.

    Args:
        in_channels (Sequence[int]): Channels of the selected levels, fine to coarse.
        channels (int): Width of the head.
        in_index (Sequence[int]): Backbone levels used. Defaults to (0, 1, 2, 3).
        num_upsample (int): x2 upsampling stages after fusion (2 brings a 1/4
            scale level-0 map to full resolution). Defaults to 2.
        norm_cfg (dict, optional): Norm layer config (BN, SyncBN, GN, ...).
        act_cfg (dict): Activation config.
        **kwargs: See :class:`DepthBaseHead` (min/max depth, activation, losses).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 num_upsample: int = 2,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 act_cfg: dict = dict(type='ReLU'),
                 **kwargs) -> None:
        if len(in_channels) != len(in_index):
            raise ValueError(f'MultiScaleDepthHead: in_channels {list(in_channels)} and '
                             f'in_index {list(in_index)} must have the same length')
        widths = [channels] + [max(channels >> (i + 1), 16) for i in range(num_upsample)]
        super().__init__(in_channels=list(in_channels), channels=channels,
                         in_index=list(in_index), input_transform='multiple_select',
                         depth_channels=widths[-1], **kwargs)
        conv = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.lateral_convs = nn.ModuleList(
            ConvModule(c, channels, 1, **conv) for c in in_channels)
        self.fuse_conv = ConvModule(channels, channels, 3, padding=1, **conv)
        self.up_convs = nn.ModuleList(
            ConvModule(c_in, c_out, 3, padding=1, **conv)
            for c_in, c_out in zip(widths[:-1], widths[1:], strict=True))

    def fuse(self, feats: List[Tensor]) -> Tensor:
        """Top-down fusion of the projected levels.

        Args:
            feats (list[Tensor]): Selected levels, fine to coarse.

        Returns:
            Tensor: (B, channels, H0, W0) at the finest selected level.
        """
        laterals = [conv(x) for conv, x in zip(self.lateral_convs, feats, strict=True)]
        fused = laterals[-1]
        for lateral in reversed(laterals[:-1]):
            fused = lateral + resize(fused, size=lateral.shape[2:], mode='bilinear',
                                     align_corners=self.align_corners)
        return self.fuse_conv(fused)

    def forward(self, inputs: Tuple[Tensor]) -> Tensor:
        """Predict depth.

        Args:
            inputs (tuple[Tensor]): Backbone (or neck) levels.

        Returns:
            Tensor: (B, 1, H, W) depth in metres.
        """
        x = self.fuse(self._transform_inputs(inputs))
        for conv in self.up_convs:
            x = conv(resize(x, scale_factor=2, mode='bilinear', align_corners=self.align_corners))
        return self.depth_pred(x)
