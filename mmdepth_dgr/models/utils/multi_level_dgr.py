"""MultiLevelDGR: one :class:`DGRBlock` per selected feature level (Sec. 3.2).

The shared core of :class:`~mmdepth_dgr.models.necks.DGRNeck` (DGR on the
features the head sees) and :class:`~mmdepth_dgr.models.backbones.DGRBackbone`
(DGR after every encoder stage). The blocks live in ``self.blocks``, a
``ModuleDict`` keyed by the level index, so the state-dict keys are
``blocks.<i>.*`` under whatever prefix the owner gives this module
(``neck.blocks.<i>.*`` for the neck, ``backbone.dgr.blocks.<i>.*`` for the
backbone wrapper).
"""
from typing import List, Optional, Sequence

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from .dgr_block import DGRBlock


def check_levels(in_channels: Sequence[int], levels: Optional[Sequence[int]],
                 owner: str) -> List[int]:
    """Validate ``in_channels``/``levels`` and return the sorted refined levels.

    Args:
        in_channels (Sequence[int]): Channels of every input level.
        levels (Sequence[int], optional): Indices of the refined levels; None
            selects all.
        owner (str): Class name used in the error messages.

    Returns:
        list[int]: The selected level indices, sorted.

    Raises:
        ValueError: ``in_channels`` is not a non-empty list of positive ints,
            or ``levels`` has an index out of range or a duplicate.
    """
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


class MultiLevelDGR(BaseModule):
    """Depth Gradient Refinement of multi-level features, ``x_i + DGR_i(x_i)`` (Eq. 9-14).

    Takes the list of multi-level features and returns a list of the same
    length, shapes and channels: refined levels are ``x + DGR(x)`` (see
    :class:`DGRBlock`), the others pass through unchanged. With ``zero_init``
    (default) the untrained module is the identity.

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
        self.levels = check_levels(in_channels, levels, type(self).__name__)
        self.in_channels = list(in_channels)
        self.blocks = nn.ModuleDict({
            str(i): DGRBlock(self.in_channels[i], reduction=reduction, rank=rank,
                             norm_cfg=norm_cfg, act_cfg=act_cfg, zero_init=zero_init,
                             spatial_kernel=spatial_kernel)
            for i in self.levels
        })

    def refines(self, index: int) -> bool:
        """Whether level ``index`` has a block.

        Args:
            index (int): Level index.

        Returns:
            bool: True when the level is refined.
        """
        return str(index) in self.blocks

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
            raise ValueError(f'{type(self).__name__}: got {len(inputs)} levels, in_channels '
                             f'{self.in_channels} expects {len(self.in_channels)}')
        return [self.refine(i, x) for i, x in enumerate(inputs)]
