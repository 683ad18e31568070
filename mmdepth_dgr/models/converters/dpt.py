"""Key mapping of official DPT checkpoints (isl-org/DPT) onto this project.

The released DPT-Hybrid depth models (``dpt_hybrid_nyu-2ce69ec7.pt``,
``dpt_hybrid_kitti-cb926ef4.pt`` and the MiDaS model
``dpt_hybrid-midas-501f0c75.pt``) are plain state dicts of ``DPTDepthModel``
(backbone ``vitb_rn50_384``):

* ``pretrained.model.*``: timm 0.4.5's ``vit_base_resnet50_384`` -> the
  ``backbone.*`` of :class:`~mmdepth_dgr.models.backbones.ViTHybrid`, through
  :func:`~mmdepth_dgr.models.converters.vit_hybrid.timm_to_vit_hybrid`.
* ``pretrained.act_postprocess{3,4}``: readout projection (``.0.project.0``),
  1x1 projection (``.3``) and resampling (``.4``) -> ``<neck>readout_projects``,
  ``<neck>projects``, ``<neck>resize_layers`` of
  :class:`~mmdepth_dgr.models.necks.DPTReassemble` (levels 2 and 3; levels 0
  and 1 are the ResNet stages, identities in DPT).
* ``scratch.layer{1..4}_rn`` -> ``decode_head.convs.{0..3}``;
  ``scratch.refinenet{4..1}`` (``resConfUnit{1,2}.conv{1,2}``, ``out_conv``)
  -> ``decode_head.fusion_blocks.{0..3}`` (``res_conv_unit{1,2}.conv{1,2}.conv``,
  ``project``); ``scratch.output_conv.{0,2,4}`` -> ``decode_head.conv1``,
  ``.conv2``, ``.conv_depth``.

The NYU and KITTI models turn their output ``x`` into depth with
``1 / (scale * x + shift)`` (``run_monodepth.py``). With ``depth_scale`` the
scale is folded into ``conv_depth`` (exact: ``scale * relu(z) = relu(scale *
z)`` for ``scale > 0``), so :class:`~mmdepth_dgr.models.decode_heads.DPTDepthHead`
runs with ``inverse_scale=1`` and the model's ``inverse_shift`` (see
:data:`DPT_INVERSE_DEPTH`).

Dropped on purpose: the ViT's final ``norm`` and classification ``head``
(DPT reads the blocks before the final norm) and ``refinenet4.resConfUnit1``
(the coarsest fusion block has no skip input, so DPT never runs it).
"""
import re
from typing import List, Optional, Tuple

from .utils import StateDict, sub_state_dict
from .vit_hybrid import timm_to_vit_hybrid

# timm key prefixes that timm_to_vit_hybrid maps
_TIMM_MAPPED = ('patch_embed.backbone.stem.', 'patch_embed.backbone.stages.', 'patch_embed.proj.',
                'blocks.', 'norm.')

#: ``(scale, shift)`` of the released metric models, from DPT's ``run_monodepth.py``.
DPT_INVERSE_DEPTH = {'nyu': (0.000305, 0.1378), 'kitti': (0.00006016, 0.00579)}


def _convert_postprocess(key: str, neck_prefix: str) -> str:
    """Map ``pretrained.act_postprocess<l>.*`` onto :class:`DPTReassemble`."""
    match = re.match(r'^pretrained\.act_postprocess(\d)\.(0\.project\.0|3|4)\.(weight|bias)$',
                     key)
    if match is None:
        raise KeyError(f'unexpected DPT reassemble key {key!r}')
    level = int(match[1]) - 1
    part = {'0.project.0': f'readout_projects.{level}.0', '3': f'projects.{level}',
            '4': f'resize_layers.{level}'}[match[2]]
    return f'{neck_prefix}{part}.{match[3]}'


def _convert_scratch(key: str) -> Optional[str]:
    """Map ``scratch.*`` onto :class:`DPTDepthHead` (None = dropped)."""
    match = re.match(r'^scratch\.layer(\d)_rn\.weight$', key)
    if match is not None:
        return f'decode_head.convs.{int(match[1]) - 1}.weight'
    match = re.match(r'^scratch\.refinenet(\d)\.(resConfUnit(\d)\.conv(\d)|out_conv)\.'
                     r'(weight|bias)$', key)
    if match is not None:
        block = 4 - int(match[1])
        if match[2] == 'out_conv':
            return f'decode_head.fusion_blocks.{block}.project.{match[5]}'
        if block == 0 and match[3] == '1':
            return None
        return (f'decode_head.fusion_blocks.{block}.res_conv_unit{match[3]}.conv{match[4]}'
                f'.conv.{match[5]}')
    match = re.match(r'^scratch\.output_conv\.(0|2|4)\.(weight|bias)$', key)
    if match is not None:
        name = {'0': 'conv1', '2': 'conv2', '4': 'conv_depth'}[match[1]]
        return f'decode_head.{name}.{match[2]}'
    raise KeyError(f'unexpected DPT decoder key {key!r}')


def convert_dpt_hybrid(state: StateDict, depth_scale: Optional[float] = None,
                       neck_prefix: str = 'neck.') -> Tuple[StateDict, List[str]]:
    """Map an official DPT-Hybrid depth state dict onto ``ViTHybrid`` + ``DPTReassemble`` + head.

    Args:
        state (dict[str, Tensor]): ``DPTDepthModel`` state dict.
        depth_scale (float, optional): Scale of the inverse-depth output to
            fold into ``conv_depth`` (e.g. ``DPT_INVERSE_DEPTH['nyu'][0]``);
            None keeps the weights (MiDaS relative model). Must be > 0.
        neck_prefix (str): Where :class:`DPTReassemble` lives: ``'neck.'``
            (baseline configs) or ``'neck.necks.0.'`` (DGR configs, whose neck
            is ``SequentialNeck([DPTReassemble, DGRNeck])``).

    Returns:
        tuple[dict[str, Tensor], list[str]]: The converted state dict and the
        official keys dropped on purpose.

    Raises:
        KeyError: A key that no rule maps.
        ValueError: ``depth_scale <= 0``.
    """
    if depth_scale is not None and not depth_scale > 0:
        raise ValueError(f'convert_dpt_hybrid: depth_scale must be > 0, got {depth_scale}')
    vit_prefix = 'pretrained.model.'
    vit_state = sub_state_dict(state, vit_prefix)
    out: StateDict = {}
    dropped: List[str] = []
    converted = timm_to_vit_hybrid(vit_state)
    for key, value in converted.items():
        if key.startswith('norm.'):
            dropped.append(vit_prefix + key)
        else:
            out['backbone.' + key] = value
    for key in vit_state:
        if key.startswith('head.'):
            dropped.append(vit_prefix + key)
        elif not (key in ('pos_embed', 'cls_token') or key.startswith(_TIMM_MAPPED)):
            raise KeyError(f'unexpected DPT backbone key {vit_prefix + key!r}')
    for key, value in state.items():
        if key.startswith(vit_prefix):
            continue
        if key.startswith('pretrained.act_postprocess'):
            out[_convert_postprocess(key, neck_prefix)] = value
        elif key.startswith('scratch.'):
            name = _convert_scratch(key)
            if name is None:
                dropped.append(key)
                continue
            if name.startswith('decode_head.conv_depth.') and depth_scale is not None:
                value = value * depth_scale
            out[name] = value
        else:
            raise KeyError(f'unexpected DPT key {key!r}')
    return out, dropped
