"""DGRBackbone: Depth Gradient Refinement inside a hierarchical backbone.

The paper places DGR "after each encoder block" (Sec. 3.2). :class:`DGRNeck`
refines only what the head sees; this wrapper refines the output of every
stage of a hierarchical backbone so that the refined features both leave the
backbone and feed the next stage. It re-runs the backbone's own stage loop
(the stage modules themselves are called unchanged) and inserts
``MultiLevelDGR.refine(i, x)`` (the per-level logic DGRNeck is built on) at
the point below:

* mmseg ``ResNet`` and subclasses that keep its ``forward`` (``ResNetV1c``,
  ``ResNetV1d``, ``ResNeXt``): on the output of ``layer{i+1}``.
* mmseg ``MixVisionTransformer`` (SegFormer): on the NCHW map after the
  stage's blocks and its LayerNorm, i.e. exactly the stage output, which is
  also the input of the next patch embedding.
* mmseg ``SwinTransformer``: on the token map after the stage's last Swin
  block, before ``PatchMerging`` (which feeds the next stage) and before the
  output norm ``norm{i}`` (which makes the returned feature), so both see the
  refined map.
* mmpretrain ``SwinTransformer`` (``type='mmpretrain.SwinTransformer'``): the
  same point; with ``out_after_downsample=True`` the stage output is taken
  after ``PatchMerging``, and the refinement is applied there instead.

Stages that are not in ``dgr['levels']`` run unchanged. Any other backbone
type raises ``TypeError`` naming it.

Weights: the wrapped backbone is ``self.backbone``, so inside a segmentor its
keys are ``backbone.backbone.*`` and the DGR blocks ``backbone.dgr.blocks.<i>.*``.
ImageNet weights are loaded exactly as before through the inner backbone's
``init_cfg`` (``backbone=dict(type='SwinTransformer', ...,
init_cfg=dict(type='Pretrained', checkpoint=URL))``). A checkpoint of the
model without DGR (keys ``backbone.*``) loads into the wrapped model with
``load_checkpoint(model, path, strict=False)`` (e.g. ``load_from``): a
state-dict pre-hook maps keys under the wrapper's prefix that are not
``backbone.``/``dgr.`` onto the inner backbone, and the missing DGR keys keep
their zero initialisation, so the loaded model predicts as the original.
"""
from typing import Callable, Dict, List, Optional, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.models.backbones import MixVisionTransformer, ResNet
from mmseg.models.backbones import SwinTransformer as MMSegSwin
from mmseg.models.utils import nlc_to_nchw
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import MultiLevelDGR

_OWN_KEYS = ('backbone.', 'dgr.')


def _keeps_forward(module: nn.Module, base: type) -> bool:
    """Whether ``module`` is a ``base`` whose ``forward`` is ``base.forward``."""
    return isinstance(module, base) and type(module).forward is base.forward


def _mmpretrain_swin() -> Optional[type]:
    """mmpretrain's SwinTransformer class, or None when mmpretrain is absent."""
    try:
        from mmpretrain.models.backbones import SwinTransformer
    except ImportError:  # pragma: no cover - mmpretrain is a dependency here
        return None
    return SwinTransformer


def backbone_kind(backbone: nn.Module) -> str:
    """Name of the stage loop :class:`DGRBackbone` uses for ``backbone``.

    Args:
        backbone (nn.Module): A built backbone.

    Returns:
        str: ``'resnet'``, ``'mit'``, ``'swin'`` or ``'mmpretrain_swin'``.

    Raises:
        TypeError: For an unsupported type (or a subclass that overrides ``forward``).
    """
    if _keeps_forward(backbone, ResNet):
        return 'resnet'
    if _keeps_forward(backbone, MixVisionTransformer):
        return 'mit'
    if _keeps_forward(backbone, MMSegSwin):
        return 'swin'
    if type(backbone).__module__.startswith('mmpretrain'):
        swin = _mmpretrain_swin()
        if swin is not None and _keeps_forward(backbone, swin):
            return 'mmpretrain_swin'
    raise TypeError(
        f'DGRBackbone: unsupported backbone type {type(backbone).__module__}.'
        f'{type(backbone).__name__}; supported: mmseg ResNet (ResNetV1c/V1d/ResNeXt), '
        'MixVisionTransformer, SwinTransformer and mmpretrain SwinTransformer '
        '(use DGRNeck for other backbones)')


def stage_channels(backbone: nn.Module) -> List[int]:
    """Channels of the refined map of every stage (see the module docstring).

    Args:
        backbone (nn.Module): A supported backbone.

    Returns:
        list[int]: One entry per stage.
    """
    kind = backbone_kind(backbone)
    if kind == 'resnet':
        return [backbone.block.expansion * backbone.base_channels * 2**i
                for i in range(len(backbone.res_layers))]
    if kind == 'mit':
        return [backbone.embed_dims * backbone.num_heads[i] for i in range(len(backbone.layers))]
    if kind == 'swin':
        return [int(n) for n in backbone.num_features]
    if backbone.out_after_downsample:  # mmpretrain Swin
        return [stage.out_channels for stage in backbone.stages]
    return [stage.embed_dims for stage in backbone.stages]


@MODELS.register_module()
class DGRBackbone(BaseModule):
    """Wrap a hierarchical backbone and refine every stage output with a DGRBlock.

    See the module docstring for the exact insertion point per backbone and
    for loading weights.

    Args:
        backbone (dict): Config of the wrapped backbone (its ``init_cfg``
            still loads pretrained weights).
        dgr (dict): :class:`~mmdepth_dgr.models.utils.MultiLevelDGR` (the
            same as :class:`DGRNeck`) keyword arguments (``levels``,
            ``reduction``, ``rank``, ``norm_cfg``, ``act_cfg``, ``zero_init``,
            ``spatial_kernel``). ``levels`` are stage indices. ``in_channels``
            is taken from the backbone; if given it must match.
        init_cfg (dict, optional): Initialisation config of the wrapper.
        pretrained (str, optional): Legacy ``pretrained`` path that mmseg's
            segmentors set on ``model.backbone`` when ``model.pretrained`` is
            given; passed on to the wrapped backbone config.
    """

    def __init__(self, backbone: dict, dgr: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, pretrained: Optional[str] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(backbone, dict) or 'type' not in backbone:
            raise ValueError(f'DGRBackbone: backbone must be a config dict, got {backbone!r}')
        if pretrained is not None:
            if backbone.get('pretrained') is not None:
                raise ValueError('DGRBackbone: pretrained is set both on the wrapper and on the '
                                 'wrapped backbone')
            backbone = dict(backbone, pretrained=pretrained)
        self.backbone = MODELS.build(backbone)
        self.kind = backbone_kind(self.backbone)
        dgr = dict(dgr or {})
        dgr.pop('type', None)
        channels = stage_channels(self.backbone)
        given = dgr.pop('in_channels', None)
        if given is not None and list(given) != channels:
            raise ValueError(f'DGRBackbone: dgr.in_channels {list(given)} does not match the '
                             f'stage channels {channels} of {type(self.backbone).__name__}')
        self.dgr = MultiLevelDGR(in_channels=channels, **dgr)
        self._register_load_state_dict_pre_hook(self._map_plain_backbone_keys)

    @staticmethod
    def _map_plain_backbone_keys(state_dict: Dict, prefix: str, *args) -> None:
        """Move ``<prefix><key>`` of a plain-backbone checkpoint to ``<prefix>backbone.<key>``."""
        for key in list(state_dict.keys()):
            if key.startswith(prefix):
                rest = key[len(prefix):]
                if not rest.startswith(_OWN_KEYS):
                    state_dict[f'{prefix}backbone.{rest}'] = state_dict.pop(key)

    def _refine_tokens(self, index: int, x: Tensor, hw_shape: Tuple[int, int]) -> Tensor:
        """Refine a (B, H*W, C) token map of stage ``index`` (Swin)."""
        if not self.dgr.refines(index):
            return x
        refined = self.dgr.refine(index, nlc_to_nchw(x, hw_shape))
        return refined.flatten(2).transpose(1, 2).contiguous()

    def _forward_resnet(self, x: Tensor) -> Tuple[Tensor, ...]:
        bb = self.backbone
        if bb.deep_stem:
            x = bb.stem(x)
        else:
            x = bb.relu(bb.norm1(bb.conv1(x)))
        x = bb.maxpool(x)
        outs = []
        for i, name in enumerate(bb.res_layers):
            x = self.dgr.refine(i, getattr(bb, name)(x))
            if i in bb.out_indices:
                outs.append(x)
        return tuple(outs)

    def _forward_mit(self, x: Tensor) -> List[Tensor]:
        bb = self.backbone
        outs = []
        for i, (patch_embed, blocks, norm) in enumerate(bb.layers):
            x, hw_shape = patch_embed(x)
            for block in blocks:
                x = block(x, hw_shape)
            x = self.dgr.refine(i, nlc_to_nchw(norm(x), hw_shape))
            if i in bb.out_indices:
                outs.append(x)
        return outs

    def _swin_out(self, index: int, x: Tensor, hw_shape: Tuple[int, int]) -> Tensor:
        bb = self.backbone
        out = getattr(bb, f'norm{index}')(x)
        return out.view(-1, *hw_shape, bb.num_features[index]).permute(0, 3, 1, 2).contiguous()

    def _forward_swin(self, x: Tensor) -> List[Tensor]:
        bb = self.backbone
        x, hw_shape = bb.patch_embed(x)
        if bb.use_abs_pos_embed:
            x = x + bb.absolute_pos_embed
        x = bb.drop_after_pos(x)
        outs = []
        for i, stage in enumerate(bb.stages):
            for block in stage.blocks:
                x = block(x, hw_shape)
            x = self._refine_tokens(i, x, hw_shape)
            out, out_hw_shape = x, hw_shape
            if stage.downsample:
                x, hw_shape = stage.downsample(x, hw_shape)
            if i in bb.out_indices:
                outs.append(self._swin_out(i, out, out_hw_shape))
        return outs

    def _forward_mmpretrain_swin(self, x: Tensor) -> Tuple[Tensor, ...]:
        from mmpretrain.models.utils import resize_pos_embed
        bb = self.backbone
        x, hw_shape = bb.patch_embed(x)
        if bb.use_abs_pos_embed:
            x = x + resize_pos_embed(bb.absolute_pos_embed, bb.patch_resolution, hw_shape,
                                     bb.interpolate_mode, bb.num_extra_tokens)
        x = bb.drop_after_pos(x)
        outs = []
        for i, stage in enumerate(bb.stages):
            x, hw_shape = stage(x, hw_shape, do_downsample=bb.out_after_downsample)
            x = self._refine_tokens(i, x, hw_shape)
            if i in bb.out_indices:
                outs.append(self._swin_out(i, x, hw_shape))
            if stage.downsample is not None and not bb.out_after_downsample:
                x, hw_shape = stage.downsample(x, hw_shape)
        return tuple(outs)

    def forward(self, x: Tensor):
        """Run the backbone with DGR after the selected stages.

        Args:
            x (Tensor): (B, 3, H, W) images.

        Returns:
            list | tuple of Tensor: The backbone's ``out_indices`` levels (same
            container type as the wrapped backbone returns).
        """
        forward: Callable = getattr(self, f'_forward_{self.kind}')
        return forward(x)
