"""DPT monocular-depth decoder (Ranftl et al., "Vision Transformers for Dense Prediction", ICCV'21).

mmseg's ``DPTHead`` is the segmentation variant: its residual units have no
convolution bias and it ends in a classifier, so DPT's depth checkpoints
(whose residual units have biased convolutions and no normalisation) do not
fit it; the fusion decoder is therefore rebuilt here for depth.
"""
from typing import List, Optional, Sequence

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.registry import MODELS
from torch import Tensor

from .depth_base_head import DepthBaseHead, depth_activation

OUTPUT_MODES = ('inverse', 'depth')


def inverse_depth_to_depth(inv: Tensor, scale: float = 1.0, shift: float = 0.0,
                           eps: float = 1e-8) -> Tensor:
    """Metric depth from DPT's (non-negative) inverse-depth output.

    ``depth = 1 / max(scale * inv + shift, eps)``, as ``DPTDepthModel(invert=True)``
    computes it for the NYU and KITTI models. The largest depth is ``1 / shift``.

    Args:
        inv (Tensor): Network output (inverse depth up to ``scale``/``shift``).
        scale (float): Scale. Defaults to 1.
        shift (float): Shift. Defaults to 0.
        eps (float): Lower clamp of the inverse depth. Defaults to 1e-8.

    Returns:
        Tensor: Depth.
    """
    return 1.0 / (scale * inv + shift).clamp(min=eps)


class ResidualConvUnit(nn.Module):
    """DPT's pre-activation residual unit: ``x + conv2(act(conv1(act(x))))``.

    Convolutions are 3x3 with a bias when there is no norm (DPT depth models)
    and without one when ``norm_cfg`` is given (DPT segmentation models).

    Args:
        channels (int): Channels.
        act_cfg (dict): Activation (applied out of place).
        norm_cfg (dict, optional): Norm after each conv.
    """

    def __init__(self, channels: int, act_cfg: dict, norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        conv = dict(kernel_size=3, padding=1, act_cfg=act_cfg, norm_cfg=norm_cfg,
                    order=('act', 'conv', 'norm'), inplace=False)
        self.conv1 = ConvModule(channels, channels, **conv)
        self.conv2 = ConvModule(channels, channels, **conv)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the unit."""
        return x + self.conv2(self.conv1(x))


class FusionBlock(nn.Module):
    """DPT's feature-fusion block (Fig. 1, right).

    ``out = project(up2(rcu2(x + rcu1(skip))))`` (without the skip term for
    the coarsest block), with bilinear x2 upsampling and a 1x1 projection.
    A skip whose size differs from ``x`` (inputs whose sides are not
    multiples of 32) is resized to it first.

    Args:
        channels (int): Channels.
        act_cfg (dict): Activation of the residual units.
        norm_cfg (dict, optional): Norm of the residual units.
        with_skip (bool): Build ``res_conv_unit1`` for a skip input.
        align_corners (bool): Of the upsampling (DPT: True).
    """

    def __init__(self, channels: int, act_cfg: dict, norm_cfg: Optional[dict] = None,
                 with_skip: bool = True, align_corners: bool = True) -> None:
        super().__init__()
        self.align_corners = align_corners
        self.res_conv_unit1 = ResidualConvUnit(channels, act_cfg, norm_cfg) if with_skip else None
        self.res_conv_unit2 = ResidualConvUnit(channels, act_cfg, norm_cfg)
        self.project = nn.Conv2d(channels, channels, kernel_size=1)

    def forward(self, x: Tensor, skip: Optional[Tensor] = None) -> Tensor:
        """Fuse and upsample.

        Args:
            x (Tensor): (B, C, h, w) path from the coarser block.
            skip (Tensor, optional): (B, C, h', w') reassembled features.

        Returns:
            Tensor: (B, C, 2h, 2w).
        """
        if skip is not None:
            if self.res_conv_unit1 is None:
                raise ValueError('FusionBlock: built with with_skip=False but got a skip')
            if skip.shape[2:] != x.shape[2:]:
                skip = F.interpolate(skip, size=x.shape[2:], mode='bilinear',
                                     align_corners=False)
            x = x + self.res_conv_unit1(skip)
        x = self.res_conv_unit2(x)
        x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=self.align_corners)
        return self.project(x)


@MODELS.register_module()
class DPTDepthHead(DepthBaseHead):
    """DPT depth decoder: per-level 3x3 convs, four fusion blocks, depth head.

    Architecture (``DPTDepthModel`` of the official code, ``features=256``):

    1. ``convs[i]``: 3x3 conv without bias from ``in_channels[i]`` to
       ``channels`` (the official ``scratch.layer{i+1}_rn``).
    2. ``fusion_blocks[0..3]`` (official ``refinenet4`` ... ``refinenet1``):
       from the coarsest level, each :class:`FusionBlock` adds the next finer
       level and upsamples by 2 (to 1/2 of the input).
    3. Head: 3x3 conv to ``head_channels[0]``, bilinear x2, 3x3 conv to
       ``head_channels[1]``, ReLU, 1x1 conv (``conv_depth``) to one channel.
    4. Output:

       * ``output_mode='inverse'`` (official NYU/KITTI models): ReLU
         (``non_negative``) then :func:`inverse_depth_to_depth` with
         ``inverse_scale``/``inverse_shift``, so the depth lies in
         ``(0, 1 / inverse_shift]``. The official models use scale/shift
         0.000305/0.1378 (NYU, at most 7.26 m) and 6.016e-5/0.00579 (KITTI);
         :mod:`mmdepth_dgr.models.converters.dpt` folds the scale into
         ``conv_depth`` (``relu(s * z) = s * relu(z)`` for ``s > 0``), so the
         configs use ``inverse_scale=1`` and the network output is an inverse
         depth in 1/m (minus the shift), well scaled for training as well.
       * ``output_mode='depth'``: :class:`DepthBaseHead`'s ``depth_act``.

    Args:
        in_channels (Sequence[int]): Channels of the four levels, fine to coarse.
        channels (int): Fusion width (DPT's ``features``). Defaults to 256.
        in_index (Sequence[int]): Levels used. Defaults to (0, 1, 2, 3).
        head_channels (Sequence[int]): Widths of the two head convs. Defaults
            to (128, 32).
        output_mode (str): ``'inverse'`` or ``'depth'``. Defaults to 'inverse'.
        inverse_scale (float): Scale of the inverse depth. Defaults to 1.
        inverse_shift (float): Shift of the inverse depth (> 0). Defaults to 0.1.
        non_negative (bool): ReLU on the inverse depth. Defaults to True.
        act_cfg (dict): Activation of the residual units. Defaults to ReLU.
        norm_cfg (dict, optional): Norm of the residual units (None = DPT
            depth models). Defaults to None.
        align_corners (bool): Of the upsamplings and of the loss/prediction
            resizing. Defaults to True (DPT).
        init_cfg (dict, optional): Initialisation config; by default PyTorch's
            default initialisation, as DPT.
        **kwargs: :class:`DepthBaseHead` arguments (``min_depth``,
            ``max_depth``, ``depth_act``, ``loss_decode``).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (256, 512, 768, 768),
                 channels: int = 256,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 head_channels: Sequence[int] = (128, 32),
                 output_mode: str = 'inverse',
                 inverse_scale: float = 1.0,
                 inverse_shift: float = 0.1,
                 non_negative: bool = True,
                 act_cfg: dict = dict(type='ReLU'),
                 norm_cfg: Optional[dict] = None,
                 align_corners: bool = True,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f'DPTDepthHead: output_mode must be one of {OUTPUT_MODES}, got '
                             f'{output_mode!r}')
        if output_mode == 'inverse' and not (inverse_scale > 0 and inverse_shift > 0):
            raise ValueError(f'DPTDepthHead: inverse_scale and inverse_shift must be > 0, got '
                             f'{inverse_scale} and {inverse_shift}')
        if len(in_channels) != 4 or len(in_index) != 4:
            raise ValueError(f'DPTDepthHead: needs 4 levels, got in_channels '
                             f'{list(in_channels)} and in_index {list(in_index)}')
        super().__init__(in_channels=list(in_channels), channels=channels,
                         in_index=list(in_index), input_transform='multiple_select',
                         align_corners=align_corners, init_cfg=init_cfg, **kwargs)
        self.output_mode = output_mode
        self.inverse_scale = float(inverse_scale)
        self.inverse_shift = float(inverse_shift)
        self.non_negative = non_negative
        self.convs = nn.ModuleList(
            nn.Conv2d(c, channels, kernel_size=3, padding=1, bias=False) for c in in_channels)
        self.fusion_blocks = nn.ModuleList(
            FusionBlock(channels, act_cfg, norm_cfg, with_skip=i > 0,
                        align_corners=align_corners) for i in range(4))
        self.conv1 = nn.Conv2d(channels, head_channels[0], kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(head_channels[0], head_channels[1], kernel_size=3, padding=1)
        # DepthBaseHead's 3x3 depth conv becomes DPT's final 1x1 conv
        self.conv_depth = nn.Conv2d(head_channels[1], 1, kernel_size=1)

    def fuse(self, feats: List[Tensor]) -> Tensor:
        """Steps 1-2: project the levels and fuse them coarse to fine.

        Args:
            feats (list[Tensor]): Four maps, fine to coarse.

        Returns:
            Tensor: (B, channels, H/2, W/2) for 1/4 ... 1/32 inputs.
        """
        feats = [conv(x) for conv, x in zip(self.convs, feats, strict=True)]
        x = self.fusion_blocks[0](feats[3])
        for i in range(1, 4):
            x = self.fusion_blocks[i](x, feats[3 - i])
        return x

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Predict depth.

        Args:
            inputs (Sequence[Tensor]): Neck (reassembled) levels.

        Returns:
            Tensor: (B, 1, H, W) depth in metres.
        """
        x = self.conv1(self.fuse(self._transform_inputs(inputs)))
        x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=self.align_corners)
        x = self.conv_depth(F.relu(self.conv2(x)))
        if self.output_mode == 'depth':
            return depth_activation(x, self.depth_act, self.min_depth, self.max_depth)
        if self.non_negative:
            x = F.relu(x)
        return inverse_depth_to_depth(x, self.inverse_scale, self.inverse_shift)
