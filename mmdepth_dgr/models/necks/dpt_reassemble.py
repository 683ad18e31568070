"""DPT "Reassemble" operation (Ranftl et al., ICCV'21, Sec. 3) as a neck."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

READOUT_TYPES = ('ignore', 'add', 'project')


def resize_layer(channels: int, scale_factor: float) -> nn.Module:
    """DPT's resampling layer for one level.

    Args:
        channels (int): Channels (kept).
        scale_factor (float): 4 or 2 (transposed conv with kernel = stride =
            factor), 1 (identity) or 0.5 (3x3 conv with stride 2).

    Returns:
        nn.Module: The layer.
    """
    if scale_factor in (2, 4):
        f = int(scale_factor)
        return nn.ConvTranspose2d(channels, channels, kernel_size=f, stride=f)
    if scale_factor == 1:
        return nn.Identity()
    if scale_factor == 0.5:
        return nn.Conv2d(channels, channels, kernel_size=3, stride=2, padding=1)
    raise ValueError(f'DPT resize: scale_factor must be 4, 2, 1 or 0.5, got {scale_factor}')


@MODELS.register_module()
class DPTReassemble(BaseModule):
    """Reassemble ViT tokens into an image-like feature pyramid (DPT).

    For every *token level* (a ViT layer output given as ``[map, cls_token]``
    like mmseg's ``VisionTransformer(output_cls_token=True)`` returns, or a
    plain (B, D, h, w) map for ``readout_type='ignore'``):

    1. Read: ``'project'`` concatenates the class token to every
       patch token and applies ``Linear(2D -> D) + GELU``; ``'add'`` adds the
       class token; ``'ignore'`` drops it.
    2. Concatenate/reshape to (B, D, H/p, W/p) (the input is already a map).
    3. Resample: a 1x1 conv to ``out_channels[i]`` then
       :func:`resize_layer` by ``scale_factors[i]``.

    Levels not in ``token_levels`` are convolutional feature maps (the ResNet
    stages of DPT-Hybrid) and pass through unchanged; their channels must be
    ``out_channels[i]``. The output is a list of plain maps, so DGR can
    follow this neck (``SequentialNeck``).

    DPT-Hybrid: ``embed_dims=768, out_channels=(256, 512, 768, 768),
    scale_factors=(4, 2, 1, 0.5), token_levels=(2, 3)``. DPT-Large (and
    DPT-Base): all four levels are tokens, ``out_channels=(256, 512, 1024,
    1024)`` (``(96, 192, 384, 768)``).

    Args:
        embed_dims (int): ViT width D. Defaults to 768.
        out_channels (Sequence[int]): Output channels per level.
        scale_factors (Sequence[float]): Resampling per level.
        token_levels (Sequence[int]): Levels that are ViT tokens. Defaults to (2, 3).
        readout_type (str): One of :data:`READOUT_TYPES`. Defaults to 'project'.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 768,
                 out_channels: Sequence[int] = (256, 512, 768, 768),
                 scale_factors: Sequence[float] = (4, 2, 1, 0.5),
                 token_levels: Sequence[int] = (2, 3),
                 readout_type: str = 'project',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if readout_type not in READOUT_TYPES:
            raise ValueError(f'DPTReassemble: readout_type must be one of {READOUT_TYPES}, got '
                             f'{readout_type!r}')
        if len(out_channels) != len(scale_factors):
            raise ValueError(f'DPTReassemble: out_channels {list(out_channels)} and '
                             f'scale_factors {list(scale_factors)} differ in length')
        for level in token_levels:
            if not 0 <= level < len(out_channels):
                raise ValueError(f'DPTReassemble: token level {level} outside 0..'
                                 f'{len(out_channels) - 1}')
        self.embed_dims = embed_dims
        self.out_channels = list(out_channels)
        self.token_levels = sorted(token_levels)
        self.readout_type = readout_type
        keys = [str(i) for i in self.token_levels]
        if readout_type == 'project':
            self.readout_projects = nn.ModuleDict({
                k: nn.Sequential(nn.Linear(2 * embed_dims, embed_dims), nn.GELU())
                for k in keys
            })
        self.projects = nn.ModuleDict({
            k: nn.Conv2d(embed_dims, out_channels[int(k)], kernel_size=1)
            for k in keys
        })
        self.resize_layers = nn.ModuleDict({
            k: resize_layer(out_channels[int(k)], scale_factors[int(k)])
            for k in keys
        })

    def read(self, level: int, x: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Apply the readout of one token level (step 1).

        Args:
            level (int): Level index.
            x (Tensor | Sequence[Tensor]): (B, D, h, w) map or ``[map, cls]``
                with a (B, D) class token.

        Returns:
            Tensor: (B, D, h, w) map.
        """
        if isinstance(x, Tensor):
            if self.readout_type != 'ignore':
                raise ValueError(f'DPTReassemble: level {level} needs [map, cls_token] for '
                                 f'readout_type={self.readout_type!r} (set the backbone\'s '
                                 'output_cls_token=True)')
            return x
        feat, cls_token = x
        if self.readout_type == 'ignore':
            return feat
        b, c, h, w = feat.shape
        if self.readout_type == 'add':
            return feat + cls_token[:, :, None, None]
        tokens = feat.flatten(2).transpose(1, 2)  # B, hw, D
        readout = cls_token.unsqueeze(1).expand_as(tokens)
        tokens = self.readout_projects[str(level)](torch.cat([tokens, readout], dim=-1))
        return tokens.transpose(1, 2).reshape(b, c, h, w)

    def forward(self, inputs: Sequence) -> List[Tensor]:
        """Reassemble all levels.

        Args:
            inputs (Sequence): One entry per level (maps or ``[map, cls]``).

        Returns:
            list[Tensor]: (B, out_channels[i], H_i, W_i) maps.
        """
        if len(inputs) != len(self.out_channels):
            raise ValueError(f'DPTReassemble: got {len(inputs)} levels, expected '
                             f'{len(self.out_channels)}')
        outs = []
        for i, x in enumerate(inputs):
            key = str(i)
            if key in self.projects:
                x = self.resize_layers[key](self.projects[key](self.read(i, x)))
            elif not isinstance(x, Tensor) or x.shape[1] != self.out_channels[i]:
                got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
                raise ValueError(f'DPTReassemble: pass-through level {i} must be a map with '
                                 f'{self.out_channels[i]} channels, got {got}')
            outs.append(x)
        return outs
