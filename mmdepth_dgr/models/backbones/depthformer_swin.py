"""DepthFormerSwin: the two-branch encoder of Li et al.'s DepthFormer (MIR 2023).

Li, Chen, Liu and Jiang, "DepthFormer: Exploiting Long-Range Correlation and
Local Information for Accurate Monocular Depth Estimation" (arXiv:2203.14211),
released in zhyever/Monocular-Depth-Estimation-Toolbox. The encoder has a
Transformer branch (Swin) for long-range correlation and a convolution branch
for local detail. In the released configs the convolution branch is only the
ResNet stem convolution (``num_stages=0``: 7x7/2 conv, BN, ReLU, no ResNet
stage), giving a 64-channel map at 1/2 resolution; this class builds exactly
that branch.
"""
from typing import List, Optional

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmseg.models.backbones import SwinTransformer
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class DepthFormerSwin(SwinTransformer):
    """Swin Transformer plus a convolutional stem branch (Li et al.'s DepthFormer).

    ``forward`` returns ``[stem, swin_0, swin_1, swin_2, swin_3]``: the stem
    map ``ReLU(BN(Conv7x7/2(img)))`` with ``stem_channels`` channels at 1/2
    resolution, then the Swin levels (1/4 ... 1/32). Since it subclasses
    mmseg's :class:`~mmseg.models.backbones.SwinTransformer`, the Swin keys
    (``patch_embed.*``, ``stages.*``, ``norm{i}.*``) and ImageNet weights via
    ``init_cfg`` are mmseg's; the stem adds ``conv1.weight`` and ``bn1.*``
    (the key names of the official checkpoints). The stem is not in the
    ImageNet checkpoint and keeps PyTorch's default initialisation, as in the
    official code ("scratched ResNet branch").

    Args:
        stem_channels (int): Output channels of the stem. Defaults to 64.
        stem_norm_cfg (dict): Norm of the stem. Defaults to BN (as released).
        **kwargs: :class:`~mmseg.models.backbones.SwinTransformer` arguments.
    """

    def __init__(self,
                 stem_channels: int = 64,
                 stem_norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if stem_channels < 1:
            raise ValueError(f'DepthFormerSwin: stem_channels must be >= 1, got {stem_channels}')
        in_channels = kwargs.get('in_channels', 3)
        self.stem_channels = stem_channels
        self.conv1 = nn.Conv2d(in_channels, stem_channels, kernel_size=7, stride=2, padding=3,
                               bias=False)
        self.stem_norm_name, norm = build_norm_layer(stem_norm_cfg, stem_channels, postfix=1)
        self.add_module(self.stem_norm_name, norm)
        self.stem_relu = nn.ReLU(inplace=True)

    def conv_stem(self, x: Tensor) -> Tensor:
        """Convolution branch: ``ReLU(BN(Conv7x7/2(x)))``.

        Args:
            x (Tensor): (B, 3, H, W) images.

        Returns:
            Tensor: (B, stem_channels, ceil(H/2), ceil(W/2)).
        """
        return self.stem_relu(getattr(self, self.stem_norm_name)(self.conv1(x)))

    def forward(self, x: Tensor) -> List[Tensor]:
        """Run both branches.

        Args:
            x (Tensor): (B, 3, H, W) images.

        Returns:
            list[Tensor]: The stem map followed by the Swin ``out_indices`` levels.
        """
        return [self.conv_stem(x)] + list(super().forward(x))
