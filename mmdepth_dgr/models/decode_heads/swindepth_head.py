"""Swin-Depth decode head: a reconstruction of Cheng, Zhang and Tang, "Swin-Depth: Using
Transformers and Multi-Scale Fusion for Monocular-Based Depth Estimation", IEEE Sensors
Journal 21(23):26912-26920, 2021 (reference [6] of the DGR paper).

No code or weights of Swin-Depth were released and the article's full text is
not available to this project; what is published (abstract and the authors'
summary) fixes three things, which this head implements:

1. a Swin Transformer encoder ("hierarchical representation learning with
   linear complexity", the front end) - any mmseg ``SwinTransformer``;
2. "an attention module based on multi-scale fusion" that strengthens global
   context - :class:`MultiScaleFusionAttention`, which fuses all encoder
   levels at the coarsest scale and recalibrates the result with channel and
   spatial attention;
3. a CNN back end forming an encoder-decoder - a U-Net style decoder with skip
   connections to the Swin levels
   (:class:`~mmdepth_dgr.models.utils.UpFuseBlock`), ending in
   ``max_depth * sigmoid(conv(x))`` at full resolution.

Widths, the attention design and the loss are this project's choices (see
configs/swindepth/README.md).
"""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import UpFuseBlock
from .depth_base_head import DepthBaseHead


def channel_attention_weights(x: Tensor, fc1: nn.Module, fc2: nn.Module) -> Tensor:
    """Squeeze-and-excitation channel weights ``sigmoid(fc2(relu(fc1(GAP(x)))))``.

    Args:
        x (Tensor): (B, C, H, W).
        fc1 (nn.Module): C -> C/r (1x1 conv).
        fc2 (nn.Module): C/r -> C (1x1 conv).

    Returns:
        Tensor: (B, C, 1, 1) weights in (0, 1).
    """
    return torch.sigmoid(fc2(F.relu(fc1(F.adaptive_avg_pool2d(x, 1)))))


def spatial_attention_weights(x: Tensor, conv: nn.Module) -> Tensor:
    """Spatial weights ``sigmoid(conv([mean_c(x), max_c(x)]))`` (CBAM style).

    Args:
        x (Tensor): (B, C, H, W).
        conv (nn.Module): 2 -> 1 conv.

    Returns:
        Tensor: (B, 1, H, W) weights in (0, 1).
    """
    pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
    return torch.sigmoid(conv(pooled))


class MultiScaleFusionAttention(nn.Module):
    """Multi-scale fusion attention at the coarsest level.

    With ``P_i`` a 1x1 projection of level ``i`` to C channels and ``R`` the
    resizing to the coarsest grid (area pooling for finer levels)::

        F = Conv1x1([R(P_1 x_1), ..., R(P_n x_n)])          (multi-scale fusion)
        F = F * w_c(F);  F = F * w_s(F)                       (channel, spatial attention)
        out = P_n x_n + F

    where ``w_c`` is :func:`channel_attention_weights` and ``w_s``
    :func:`spatial_attention_weights`.

    Args:
        in_channels (Sequence[int]): Channels of the levels, fine to coarse.
        channels (int): Output width C.
        reduction (int): Channel-attention reduction r. Defaults to 16.
        spatial_kernel (int): Kernel of the spatial-attention conv. Defaults to 7.
        norm_cfg (dict, optional): Norm of the projections and the fusion conv.
        act_cfg (dict): Their activation.
    """

    def __init__(self, in_channels: Sequence[int], channels: int, reduction: int = 16,
                 spatial_kernel: int = 7,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 act_cfg: dict = dict(type='ReLU')) -> None:
        super().__init__()
        if reduction < 1 or channels // reduction < 1:
            raise ValueError(f'MultiScaleFusionAttention: reduction {reduction} must be in '
                             f'[1, {channels}]')
        conv = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.projections = nn.ModuleList(ConvModule(c, channels, 1, **conv) for c in in_channels)
        self.fuse = ConvModule(len(in_channels) * channels, channels, 1, **conv)
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)
        self.spatial = nn.Conv2d(2, 1, spatial_kernel, padding=spatial_kernel // 2)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Fuse the levels.

        Args:
            feats (Sequence[Tensor]): Levels, fine to coarse.

        Returns:
            Tensor: (B, C, H_n, W_n) at the coarsest level.
        """
        size = feats[-1].shape[2:]
        projected = [proj(x) for proj, x in zip(self.projections, feats, strict=True)]
        resized = [F.adaptive_avg_pool2d(p, size) if p.shape[2:] != size else p
                   for p in projected]
        fused = self.fuse(torch.cat(resized, dim=1))
        fused = fused * channel_attention_weights(fused, self.fc1, self.fc2)
        fused = fused * spatial_attention_weights(fused, self.spatial)
        return projected[-1] + fused


@MODELS.register_module()
class SwinDepthHead(DepthBaseHead):
    """Swin-Depth head: multi-scale fusion attention + U-Net decoder (see module doc).

    The coarsest level goes through :class:`MultiScaleFusionAttention`
    (``channels`` wide), then one :class:`UpFuseBlock` per finer level (with
    that level as skip) and ``num_extra_upsample`` more without skip, so that
    1/4-resolution Swin features reach full resolution with the default 2.

    Args:
        in_channels (Sequence[int]): Channels of the selected levels, fine to coarse.
        channels (int): Width of the fusion-attention output. Defaults to 512.
        decoder_channels (Sequence[int]): Output width of every up block
            (``len(in_channels) - 1 + num_extra_upsample`` entries).
            Defaults to (256, 128, 64, 32, 16).
        num_extra_upsample (int): Up blocks after the last skip. Defaults to 2.
        attention_reduction (int): Channel-attention reduction. Defaults to 16.
        in_index (Sequence[int]): Backbone levels used. Defaults to (0, 1, 2, 3).
        norm_cfg (dict, optional): Norm config.
        act_cfg (dict): Activation config.
        **kwargs: :class:`DepthBaseHead` arguments.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int = 512,
                 decoder_channels: Sequence[int] = (256, 128, 64, 32, 16),
                 num_extra_upsample: int = 2,
                 attention_reduction: int = 16,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 act_cfg: dict = dict(type='ReLU'),
                 **kwargs) -> None:
        if len(in_channels) != len(in_index) or len(in_channels) < 2:
            raise ValueError(f'SwinDepthHead: need >= 2 levels with matching in_index, got '
                             f'in_channels {list(in_channels)} and in_index {list(in_index)}')
        expected = len(in_channels) - 1 + num_extra_upsample
        if len(decoder_channels) != expected:
            raise ValueError(f'SwinDepthHead: decoder_channels needs {expected} entries '
                             f'({len(in_channels) - 1} skips + {num_extra_upsample} extra), got '
                             f'{list(decoder_channels)}')
        super().__init__(in_channels=list(in_channels), channels=channels,
                         in_index=list(in_index), input_transform='multiple_select',
                         depth_channels=decoder_channels[-1], **kwargs)
        self.msfa = MultiScaleFusionAttention(in_channels, channels, attention_reduction,
                                              norm_cfg=norm_cfg, act_cfg=act_cfg)
        skips: List[int] = list(in_channels[-2::-1]) + [0] * num_extra_upsample
        widths = [channels] + list(decoder_channels)
        self.up_blocks = nn.ModuleList(
            UpFuseBlock(c_in, c_skip, c_out, norm_cfg, act_cfg, self.align_corners)
            for c_in, c_skip, c_out in zip(widths[:-1], skips, widths[1:], strict=True))

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Predict depth.

        Args:
            inputs (Sequence[Tensor]): Backbone (or neck) levels.

        Returns:
            Tensor: (B, 1, H, W) depth in metres (full resolution for 1/4 inputs).
        """
        feats = self._transform_inputs(inputs)
        x = self.msfa(feats)
        skips = list(feats[-2::-1]) + [None] * (len(self.up_blocks) - len(feats) + 1)
        for block, skip in zip(self.up_blocks, skips, strict=True):
            x = block(x, skip)
        return self.depth_pred(x)
