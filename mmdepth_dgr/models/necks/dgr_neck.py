"""DGRNeck: Depth Gradient Refinement of multi-level features (Sec. 3.2)."""
from typing import List, Optional, Sequence

import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from .dgr_block import DGRBlock


def _check_levels(in_channels: Sequence[int], levels: Optional[Sequence[int]],
                  owner: str) -> List[int]:
    """Validate ``in_channels``/``levels`` and return the sorted refined levels."""
    if not isinstance(in_channels, (list, tuple)) or not in_channels:
        raise ValueError(f'{owner}: in_channels must be a non-empty list of ints, got '
                         f'{in_channels!r}')
    for c in in_channels:
        if not isinstance(c, int) or c < 1:
            raise ValueError(f'{owner}: in_channels must be positive ints, got {list(in_channels)}')
    if levels is None:
        return list(range(len(in_channels)))
    levels = list(levels)
    for level in levels:
        if not isinstance(level, int) or not 0 <= level < len(in_channels):
            raise ValueError(f'{owner}: levels {levels} must be ints in [0, {len(in_channels)}) '
                             f'for in_channels {list(in_channels)}')
    if len(set(levels)) != len(levels):
        raise ValueError(f'{owner}: levels {levels} has duplicates')
    return sorted(levels)


@MODELS.register_module()
class DGRNeck(BaseModule):
    """Depth Gradient Refinement neck: one :class:`DGRBlock` per selected level.

    Takes the list of multi-level features and returns a list of the same
    length, shapes and channels (refined levels are ``x + DGR(x)``, the others
    pass through unchanged), so it can be put in front of any head or neck
    (chain it with :class:`SequentialNeck`). With ``zero_init`` (default) the
    untrained neck is the identity, so it can be inserted into a pretrained
    model without changing its predictions.

    Args:
        in_channels (list[int]): Channels of every input level.
        levels (Sequence[int], optional): Indices of the refined levels;
            None (default) refines all.
        reduction (int): Channel-attention ratio, hidden width
            ``max(C // reduction, 8)`` for a level of C channels. Defaults to 4.
        rank (int): Low-rank dimension r of the outer product (Eq. 14): the
            r*r per-pixel outer-product map is reduced by a 1x1 conv back to C.
            Defaults to 8.
        norm_cfg (dict, optional): Norm config (BN, SyncBN, GN).
        act_cfg (dict, optional): Activation after the spatial conv.
        zero_init (bool): Zero-initialise the last layer of every block.
        init_cfg (dict, optional): Initialisation config.
        spatial_kernel (int): Kernel size of the depthwise spatial conv (Eq. 13).
    """

    def __init__(self,
                 in_channels: List[int],
                 levels: Optional[Sequence[int]] = None,
                 reduction: int = 4,
                 rank: int = 8,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 zero_init: bool = True,
                 init_cfg: Optional[dict] = None,
                 spatial_kernel: int = 3) -> None:
        super().__init__(init_cfg=init_cfg)
        self.levels = _check_levels(in_channels, levels, 'DGRNeck')
        self.in_channels = list(in_channels)
        self.blocks = nn.ModuleDict({
            str(i): DGRBlock(self.in_channels[i], reduction=reduction, rank=rank,
                             norm_cfg=norm_cfg, act_cfg=act_cfg, zero_init=zero_init,
                             spatial_kernel=spatial_kernel)
            for i in self.levels
        })

    def refine(self, index: int, x: Tensor) -> Tensor:
        """Refine level ``index`` if it is selected, else return it unchanged.

        Args:
            index (int): Level index.
            x (Tensor): (B, C, H, W) features of that level.

        Returns:
            Tensor: The (possibly) refined features.
        """
        key = str(index)
        return self.blocks[key](x) if key in self.blocks else x

    def forward(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """Refine the selected levels.

        Args:
            inputs (Sequence[Tensor]): One (B, C_i, H_i, W_i) map per level.

        Returns:
            list[Tensor]: Same length and shapes.
        """
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'DGRNeck: got {len(inputs)} levels, in_channels '
                             f'{self.in_channels} expects {len(self.in_channels)}')
        return [self.refine(i, x) for i, x in enumerate(inputs)]
