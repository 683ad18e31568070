"""Decode heads of the two DepthFormers the paper's Tables 2-3 draw on.

* :class:`DepthFormerDenseHead`: the decoder of Li et al.'s DepthFormer
  (arXiv:2203.14211, zhyever/Monocular-Depth-Estimation-Toolbox), a
  DenseDepth-style top-down decoder on the :class:`DepthFormerHAHINeck`
  outputs. The KITTI row of Table 3 (0.052 / 2.143 / 0.079 / 0.975) is
  this model's published result.
* :class:`DepthFormerTransbinsHead` (below): Agarwal and Arora's ICIP'22
  DepthFormer decoder with its Transbins adaptive-bins module, whose
  published NYU result (0.100 / 0.345 / 0.911) is the NYU row of Table 2.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import UpFuseBlock
from .bins_depth_head import BinsDepthHead
from .depth_base_head import DepthBaseHead


@MODELS.register_module()
class DepthFormerDenseHead(DepthBaseHead):
    """Li et al.'s DepthFormer decoder: top-down DenseDepth fusion of all levels.

    With levels ``x_0`` (finest, the conv-branch map at 1/2) ... ``x_L``
    (coarsest)::

        y_L = Conv1x1(x_L)                                   (no norm, no activation)
        y_i = UpFuse_i(concat(up(y_{i+1}, size(x_i)), x_i)),  i = L-1 .. 0
        depth = ReLU(conv_depth(y_0)) + min_depth            (``depth_act='relu'``)

    ``up`` is bilinear with ``align_corners`` (True as released), and the
    prediction stays at the resolution of ``x_0``; the loss resizes it to the
    ground truth. Released settings: ``in_channels = up_channels =
    [64, 192, 384, 768, 1536]``, ``channels=64``, LeakyReLU, no norm, loss
    ``SigLoss`` (``ScaleInvariantLoss(lamb=0.85, use_sqrt=True,
    reduction='batch')``).

    Args:
        in_channels (Sequence[int]): Channels of the levels, finest first.
        up_channels (Sequence[int], optional): Output channels of ``y_i``;
            defaults to ``in_channels``. ``up_channels[0]`` must equal
            ``channels`` (the depth conv input).
        channels (int): Channels of ``y_0``.
        norm_cfg (dict, optional): Norm of the decoder convs. Defaults to None.
        act_cfg (dict): Activation. Defaults to LeakyReLU.
        align_corners (bool): For the upsampling and the loss resize.
            Defaults to True.
        depth_act (str): Output activation. Defaults to 'relu'.
        **kwargs: :class:`DepthBaseHead` arguments (``min_depth``,
            ``max_depth``, ``loss_decode``, ...).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int,
                 up_channels: Optional[Sequence[int]] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='LeakyReLU', inplace=True),
                 align_corners: bool = True,
                 depth_act: str = 'relu',
                 **kwargs) -> None:
        in_channels = list(in_channels)
        up_channels = list(up_channels) if up_channels is not None else list(in_channels)
        if len(up_channels) != len(in_channels) or len(in_channels) < 2:
            raise ValueError(f'DepthFormerDenseHead: in_channels {in_channels} and up_channels '
                             f'{up_channels} need the same length >= 2')
        if up_channels[0] != channels:
            raise ValueError(f'DepthFormerDenseHead: up_channels[0] ({up_channels[0]}) must '
                             f'equal channels ({channels})')
        super().__init__(in_channels=in_channels, channels=channels,
                         in_index=list(range(len(in_channels))),
                         input_transform='multiple_select', align_corners=align_corners,
                         depth_act=depth_act, **kwargs)
        self.up_channels = up_channels
        self.top_conv = ConvModule(in_channels[-1], up_channels[-1], 1, norm_cfg=None,
                                   act_cfg=None)
        # coarse to fine: up_blocks[j] produces level L-1-j
        self.up_blocks = nn.ModuleList(
            UpFuseBlock(up_channels[i + 1], in_channels[i], up_channels[i], norm_cfg, act_cfg,
                        align_corners)
            for i in reversed(range(len(in_channels) - 1)))

    def forward(self, inputs: Tuple[Tensor]) -> Tensor:
        """Predict depth at the finest level's resolution.

        Args:
            inputs (tuple[Tensor]): The levels, finest first.

        Returns:
            Tensor: (B, 1, H_0, W_0) depth in metres.
        """
        feats: List[Tensor] = self._transform_inputs(inputs)
        x = self.top_conv(feats[-1])
        for block, skip in zip(self.up_blocks, reversed(feats[:-1]), strict=True):
            x = block(x, skip)
        return self.depth_pred(x)


class TransposeUpBlock(nn.Module):
    """x2 transposed-conv upsampling, optional skip concatenation, two 3x3 ConvModules.

    ``conv2(conv1(concat(ConvTranspose2x2/2(x), skip)))`` (the ICIP'22
    DepthFormer's ``UpSampleBN``; without ``skip_channels`` the concatenation
    is skipped, as for its last stage ``conv_transpose1`` + ``conv2``).

    Args:
        in_channels (int): Channels of ``x`` (kept by the transposed conv).
        skip_channels (int): Channels of the skip (0: no skip).
        out_channels (int): Output channels.
        norm_cfg (dict): Norm config.
        act_cfg (dict): Activation config.
    """

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int, norm_cfg: dict,
                 act_cfg: dict) -> None:
        super().__init__()
        self.skip_channels = skip_channels
        self.upsample = nn.ConvTranspose2d(in_channels, in_channels, 2, stride=2)
        # the official convolutions keep their bias before BN
        conv = dict(kernel_size=3, padding=1, bias=True, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv1 = ConvModule(in_channels + skip_channels, out_channels, **conv)
        self.conv2 = ConvModule(out_channels, out_channels, **conv)

    def forward(self, x: Tensor, skip: Optional[Tensor] = None) -> Tensor:
        """Upsample, fuse, convolve.

        Args:
            x (Tensor): (B, in_channels, h, w).
            skip (Tensor, optional): (B, skip_channels, 2h, 2w).

        Returns:
            Tensor: (B, out_channels, 2h, 2w).
        """
        x = self.upsample(x)
        if self.skip_channels:
            if skip is None or skip.shape[2:] != x.shape[2:]:
                got = None if skip is None else tuple(skip.shape)
                raise ValueError(f'TransposeUpBlock: skip {got} does not match the upsampled '
                                 f'map {tuple(x.shape)} (pad inputs to a multiple of 32)')
            x = torch.cat([x, skip], dim=1)
        return self.conv2(self.conv1(x))


@MODELS.register_module()
class DepthFormerTransbinsHead(BinsDepthHead):
    """Agarwal and Arora's ICIP'22 DepthFormer decoder with the Transbins module.

    Agarwal and Arora, "Depthformer: Multiscale Vision Transformer for
    Monocular Depth Estimation with Global Local Information Fusion", ICIP
    2022 (ashutosh1807/Depthformer), ref. [2] of the paper. On the four
    MiT-b4 levels ``x_1..x_4`` (1/4 .. 1/32, ``[64, 128, 320, 512]``)::

        y_4 = ConvBNLReLU3x3(x_4)
        y_i = TransposeUp(y_{i+1}, x_i),  i = 3, 2, 1      (widths 320, 128, 64)
        u   = TransposeUp(y_1)                             (no skip, -> channels=128 at 1/2)
        w   = Transbins(u)                                 normalised bin widths
        p   = softmax(conv_out(u))                         (B, n_bins, H/2, W/2)
        depth = sum_k p_k c_k(w)                           (AdaBins Eq. 1-3)

    Transbins is AdaBins' mini-ViT (:class:`AdaBinsMiniViT`: patch 16,
    embedding 128, 4 layers, 4 heads, FFN 1024, 'linear' width norm, a table
    of 1500 learned positions); unlike AdaBins the per-pixel bin
    probabilities come from the decoder features ``u`` by a 1x1 conv, so the
    mini-ViT's range-attention maps (and its ``conv3x3``) do not reach the
    output (the official code computes and discards them; train with
    ``find_unused_parameters=True``, as the official DDP does). The depth is
    a convex combination of the bin centres, so it lies in
    ``[min_depth, max_depth]``.

    :meth:`forward` returns ``(depth, bin_edges)``; training adds ``loss_bins``
    (:class:`BinsChamferLoss`, weight 0.1) on the bin centres to the depth
    losses of ``loss_decode`` (released: SILog
    ``10 * sqrt(Var(g) + 0.5 * mean(g)^2)`` over the batch, i.e.
    ``ScaleInvariantLoss(lamb=0.5, use_sqrt=True, scale=10, reduction='batch')``).
    The official decoder also defines ``conv_transpose2``, ``conv3``,
    ``conv4`` and ``regressor`` that its forward never uses (0.3 M
    parameters); they are not built here and the converter drops them.

    Args:
        in_channels (Sequence[int]): Channels of the four encoder levels, fine to coarse.
        channels (int): Channels of ``u`` (Transbins input). Defaults to 128.
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (PyTorch's default initialisation, as the official model).
        **kwargs: :class:`BinsDepthHead` arguments (``n_bins``, ``minivit_cfg``,
            ``norm_cfg``, ``act_cfg``, ``loss_bins``, ``align_corners``: True, as the
            official SILog resizes with ``align_corners=True``) and
            :class:`DepthBaseHead` ones (``min_depth``, ``max_depth``, ``loss_decode``).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (64, 128, 320, 512),
                 channels: int = 128,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        in_channels = list(in_channels)
        if len(in_channels) != 4:
            raise ValueError(f'DepthFormerTransbinsHead: needs the 4 encoder levels, got '
                             f'in_channels {in_channels}')
        super().__init__(in_channels=in_channels, channels=channels, in_index=[0, 1, 2, 3],
                         input_transform='multiple_select', init_cfg=init_cfg, **kwargs)
        c1, c2, c3, c4 = in_channels
        norm_cfg, act_cfg = self.norm_cfg, self.act_cfg
        self.conv1 = ConvModule(c4, c4, 3, padding=1, bias=True, norm_cfg=norm_cfg,
                                act_cfg=act_cfg)
        self.up_blocks = nn.ModuleList([
            TransposeUpBlock(c4, c3, c3, norm_cfg, act_cfg),
            TransposeUpBlock(c3, c2, c2, norm_cfg, act_cfg),
            TransposeUpBlock(c2, c1, c1, norm_cfg, act_cfg),
            TransposeUpBlock(c1, 0, channels, norm_cfg, act_cfg),
        ])
        self.build_minivit(channels, max_patches=1500)
        self.conv_out = nn.Conv2d(channels, self.n_bins, 1)

    def decode(self, feats: List[Tensor]) -> Tensor:
        """Run the decoder.

        Args:
            feats (list[Tensor]): The four levels, fine to coarse.

        Returns:
            Tensor: (B, channels, 2 * H_1, 2 * W_1) decoder output ``u``.
        """
        x = self.conv1(feats[3])
        for block, skip in zip(self.up_blocks, [feats[2], feats[1], feats[0], None],
                               strict=True):
            x = block(x, skip)
        return x

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """Predict depth and bins.

        Args:
            inputs (Sequence[Tensor]): Encoder (or neck) levels.

        Returns:
            tuple[Tensor, Tensor]: (B, 1, H/2, W/2) depth in metres and
            (B, n_bins + 1) bin edges.
        """
        u = self.decode(self._transform_inputs(inputs))
        widths, _ = self.minivit(u)
        return self.depth_and_edges(widths, self.conv_out(u))


__all__ = ['DepthFormerDenseHead', 'DepthFormerTransbinsHead', 'TransposeUpBlock']
