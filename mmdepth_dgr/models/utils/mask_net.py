"""MaskNet: the mask network G of the sparse-pixel probe (paper Sec. 3.1, Eq. 6)."""
from typing import List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class MaskNet(BaseModule):
    """Small U-Net-like encoder-decoder predicting a soft pixel mask ``G(I)``.

    Encoder: ``num_stages`` stages of ``num_convs`` 3x3 conv-norm-act blocks,
    the first conv of every stage but the first with stride 2; widths
    ``base_channels * 2**i``. Decoder: from the deepest stage, bilinear
    upsampling to the next shallower stage's size, concatenation with its
    features and ``num_convs`` blocks. A 1x1 conv and a sigmoid give the mask
    at the input resolution (any input size works), values in (0, 1) as Eq. 6
    requires.

    The last conv starts with small weights (std 0.01) and bias ``init_bias``,
    so the initial mask is close to ``sigmoid(init_bias)`` everywhere.

    Args:
        in_channels (int): Input channels (3 for RGB). Defaults to 3.
        base_channels (int): Width of the first stage. Defaults to 16.
        num_stages (int): Encoder stages (resolutions). Defaults to 4.
        num_convs (int): Conv blocks per stage. Defaults to 2.
        norm_cfg (dict, optional): Norm layer config. Defaults to BN.
        act_cfg (dict): Activation config. Defaults to ReLU.
        init_bias (float): Initial bias of the output conv (mask logit).
            Defaults to 0.0 (mask 0.5).
        init_cfg (dict, optional): Initialisation config of mmengine.
    """

    def __init__(self,
                 in_channels: int = 3,
                 base_channels: int = 16,
                 num_stages: int = 4,
                 num_convs: int = 2,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 act_cfg: dict = dict(type='ReLU'),
                 init_bias: float = 0.0,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_stages < 1 or num_convs < 1 or base_channels < 1 or in_channels < 1:
            raise ValueError('MaskNet: in_channels, base_channels, num_stages and num_convs '
                             f'must be >= 1, got {in_channels}, {base_channels}, {num_stages}, '
                             f'{num_convs}')
        self.init_bias = float(init_bias)
        widths = [base_channels * 2**i for i in range(num_stages)]
        self.widths = widths

        def block(cin: int, cout: int, stride: int = 1) -> ConvModule:
            return ConvModule(cin, cout, 3, stride=stride, padding=1, norm_cfg=norm_cfg,
                              act_cfg=act_cfg)

        self.encoder = nn.ModuleList()
        cin = in_channels
        for i, width in enumerate(widths):
            layers = [block(cin, width, stride=1 if i == 0 else 2)]
            layers += [block(width, width) for _ in range(num_convs - 1)]
            self.encoder.append(nn.Sequential(*layers))
            cin = width
        self.decoder = nn.ModuleList()
        for i in range(num_stages - 2, -1, -1):
            layers = [block(widths[i + 1] + widths[i], widths[i])]
            layers += [block(widths[i], widths[i]) for _ in range(num_convs - 1)]
            self.decoder.append(nn.Sequential(*layers))
        self.conv_mask = nn.Conv2d(widths[0], 1, kernel_size=1)

    def init_weights(self) -> None:
        """Initialise the conv blocks (mmcv defaults), then the output conv."""
        super().init_weights()
        nn.init.normal_(self.conv_mask.weight, std=0.01)
        nn.init.constant_(self.conv_mask.bias, self.init_bias)

    def forward_logits(self, x: Tensor) -> Tensor:
        """Mask logits (before the sigmoid).

        Args:
            x (Tensor): ``(B, in_channels, H, W)`` normalised image.

        Returns:
            Tensor: ``(B, 1, H, W)`` logits.
        """
        skips = []
        for stage in self.encoder:
            x = stage(x)
            skips.append(x)
        x = skips.pop()
        for stage in self.decoder:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode='bilinear', align_corners=False)
            x = stage(torch.cat([x, skip], dim=1))
        return self.conv_mask(x)

    def forward(self, x: Tensor) -> Tensor:
        """Soft mask ``G(I) = sigmoid(logits)`` in (0, 1).

        Args:
            x (Tensor): ``(B, in_channels, H, W)`` normalised image.

        Returns:
            Tensor: ``(B, 1, H, W)`` mask at the input resolution.
        """
        return torch.sigmoid(self.forward_logits(x))
