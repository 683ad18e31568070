"""UpFuseBlock: the "upsample, concatenate the skip, two 3x3 convs" decoder stage.

One block serves the U-Net style decoders of three heads, which differ only
in their settings:

========================  ================  ==========  =======  =================  ==============
head                      norm / act        conv bias   skip     upsampled to       align_corners
========================  ================  ==========  =======  =================  ==============
``AdaBinsHead``           BN / LeakyReLU    always      always   skip's size        True
``DepthFormerDenseHead``  none / LeakyReLU  ``'auto'``  always   skip's size        True
``SwinDepthHead``         BN / ReLU         ``'auto'``  or none  skip's size or x2  head's (False)
========================  ================  ==========  =======  =================  ==============

The two convolutions are ``conv1`` and ``conv2`` (``ConvModule``, so their
weights are ``conv1.conv.*``, ``conv1.bn.*``, ``conv2.conv.*``, ...), the
names every head used before this block was shared, so converted official
checkpoints keep loading strictly.
"""
from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor


class UpFuseBlock(nn.Module):
    """Bilinear upsampling, concatenation with a skip map, two 3x3 ConvModules.

    With ``x`` the coarse map and ``s`` the skip::

        y = conv2(conv1(concat(up(x, size(s)), s)))      (skip given)
        y = conv2(conv1(up(x, 2 * size(x))))              (no skip)

    ``up`` is bilinear interpolation; the concatenation puts the upsampled map
    first (the order of AdaBins' ``UpSampleBN``, DenseDepth's ``UpSample`` and
    Swin-Depth's decoder).

    Args:
        in_channels (int): Channels of the coarse input ``x``.
        skip_channels (int): Channels of the skip map (0: none, then ``x`` is
            upsampled x2).
        out_channels (int): Output channels.
        norm_cfg (dict, optional): Norm config of both convs; None for none.
        act_cfg (dict): Activation config of both convs. Defaults to ReLU.
        align_corners (bool): Of the bilinear upsampling. Defaults to False.
        conv_bias (bool | str): ``bias`` of both convs: ``'auto'`` (default,
            mmcv's rule: a bias only without norm) or True to keep the bias
            before the norm (AdaBins, whose ``nn.Conv2d`` have one).
    """

    def __init__(self,
                 in_channels: int,
                 skip_channels: int,
                 out_channels: int,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU'),
                 align_corners: bool = False,
                 conv_bias: Union[bool, str] = 'auto') -> None:
        super().__init__()
        self.skip_channels = skip_channels
        self.align_corners = align_corners
        conv = dict(kernel_size=3, padding=1, bias=conv_bias, norm_cfg=norm_cfg,
                    act_cfg=act_cfg)
        self.conv1 = ConvModule(in_channels + skip_channels, out_channels, **conv)
        self.conv2 = ConvModule(out_channels, out_channels, **conv)

    def forward(self, x: Tensor, skip: Optional[Tensor] = None) -> Tensor:
        """Upsample ``x`` to the skip map's size (or x2 without skip) and fuse.

        Args:
            x (Tensor): (B, in_channels, h, w) coarse map.
            skip (Tensor, optional): (B, skip_channels, H, W) skip features.

        Returns:
            Tensor: (B, out_channels, H, W), or (B, out_channels, 2h, 2w)
            without skip.
        """
        size = skip.shape[2:] if skip is not None else (x.shape[2] * 2, x.shape[3] * 2)
        x = F.interpolate(x, size=size, mode='bilinear', align_corners=self.align_corners)
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        return self.conv2(self.conv1(x))
