"""SequentialNeck: chain several necks (e.g. DGRNeck in front of a model's own neck)."""
from typing import List, Optional

import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS


@MODELS.register_module()
class SequentialNeck(BaseModule):
    """Apply necks one after the other; the output of one is the input of the next.

    Example::

        neck=dict(type='SequentialNeck', necks=[
            dict(type='DGRNeck', in_channels=[96, 192, 384, 768]),
            dict(type='FPN', in_channels=[96, 192, 384, 768], out_channels=256, num_outs=4)])

    The state-dict keys of the i-th neck are prefixed ``necks.<i>.``.

    Args:
        necks (list[dict]): Neck configs, applied in order.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, necks: List[dict], init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(necks, (list, tuple)) or not necks:
            raise ValueError(f'SequentialNeck: necks must be a non-empty list of configs, got '
                             f'{necks!r}')
        for i, cfg in enumerate(necks):
            if not isinstance(cfg, dict) or 'type' not in cfg:
                raise ValueError(f'SequentialNeck: necks[{i}] must be a config dict with a '
                                 f'type, got {cfg!r}')
        self.necks = nn.ModuleList(MODELS.build(cfg) for cfg in necks)

    def forward(self, inputs):
        """Run the necks in order.

        Args:
            inputs: Multi-level features (list/tuple of tensors).

        Returns:
            The output of the last neck.
        """
        x = inputs
        for neck in self.necks:
            x = neck(x)
        return x
