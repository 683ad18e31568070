"""Key mappings of official DepthFormer checkpoints onto this project's modules.

Li et al.'s DepthFormer (zhyever/Monocular-Depth-Estimation-Toolbox, mmcv
checkpoints ``{'state_dict': ..., 'meta': ...}``) was written in mmseg 0.x:
its backbone keys (``backbone.patch_embed.projection``, ``backbone.stages.*``,
``backbone.norm<i>``, the stem ``backbone.conv1``/``backbone.bn1``) are
already those of :class:`~mmdepth_dgr.models.backbones.DepthFormerSwin`.
:func:`convert_depthformer_hahi` renames the few neck/head modules that are
named differently here:

========================================  ==========================================
official                                  here
========================================  ==========================================
``neck.multi_att.*``                      ``neck.cross_attn.*``
``neck.conv_proj.0.*``                    ``neck.conv_proj.*``
``neck.conv_fusion.0.*``                  ``neck.conv_fusion.*``
``decode_head.conv_list.0.*``             ``decode_head.top_conv.*``
``decode_head.conv_list.<k>.convA.*``     ``decode_head.up_blocks.<k-1>.conv1.*``
``decode_head.conv_list.<k>.convB.*``     ``decode_head.up_blocks.<k-1>.conv2.*``
========================================  ==========================================

All other keys keep their names.

Agarwal and Arora's ICIP'22 DepthFormer (ashutosh1807/Depthformer, checkpoints
``{'model': state_dict, ...}``) is mapped by :func:`convert_depthformer_transbins`:
the SegFormer MiT-b4 encoder ``encoder.model1.*`` by
:func:`convert_official_mit` onto mmseg's ``MixVisionTransformer``, the decoder
``decoder.*``, Transbins ``adaptive_bins_layer.*`` and ``conv_out.0`` onto
:class:`DepthFormerTransbinsHead`.
"""
import re
from typing import Optional

import torch

from .utils import StateDict, add_prefix, strip_prefix, sub_state_dict

_HAHI_RULES = (
    (re.compile(r'^neck\.multi_att\.'), 'neck.cross_attn.'),
    (re.compile(r'^neck\.conv_proj\.0\.'), 'neck.conv_proj.'),
    (re.compile(r'^neck\.conv_fusion\.0\.'), 'neck.conv_fusion.'),
    (re.compile(r'^decode_head\.conv_list\.0\.'), 'decode_head.top_conv.'),
)
_DENSE_UP = re.compile(r'^decode_head\.conv_list\.(\d+)\.conv([AB])\.(.+)$')
_KNOWN_PREFIXES = ('backbone.', 'neck.', 'decode_head.')


def convert_depthformer_hahi(state_dict: StateDict, neck_prefix: str = 'neck.') -> StateDict:
    """Map an official (Li et al.) DepthFormer ``state_dict`` onto this project's keys.

    Args:
        state_dict (dict[str, Tensor]): ``checkpoint['state_dict']`` of the
            toolbox (``module.`` prefixes are removed).
        neck_prefix (str): Prefix of the HAHI neck keys in the target model:
            ``'neck.'`` (default) for the baseline configs, ``'neck.necks.1.'``
            for the DGR configs, whose neck is
            ``SequentialNeck([DGRNeck, DepthFormerHAHINeck])``.

    Returns:
        dict[str, Tensor]: Keys of a ``DepthEstimator`` with
        :class:`DepthFormerSwin`, :class:`DepthFormerHAHINeck` and
        :class:`DepthFormerDenseHead`.

    Raises:
        KeyError: A key outside ``backbone.``/``neck.``/``decode_head.``.
    """
    out: StateDict = {}
    for key, value in strip_prefix(state_dict).items():
        if not key.startswith(_KNOWN_PREFIXES):
            raise KeyError(f'convert_depthformer_hahi: unknown key {key!r}')
        new = key
        for pattern, repl in _HAHI_RULES:
            new = pattern.sub(repl, new)
        if (m := _DENSE_UP.match(new)) is not None:
            index, which, rest = m.groups()
            conv = 'conv1' if which == 'A' else 'conv2'
            new = f'decode_head.up_blocks.{int(index) - 1}.{conv}.{rest}'
        if new.startswith('neck.'):
            new = neck_prefix + new[len('neck.'):]
        out[new] = value
    return out


_MIT_BLOCK = re.compile(r'^block(\d+)\.(\d+)\.(.+)$')
_MIT_EMBED = re.compile(r'^patch_embed(\d+)\.(proj|norm)\.(weight|bias)$')
_MIT_NORM = re.compile(r'^norm(\d+)\.(weight|bias)$')
_MIT_MLP = {'mlp.fc1.': 'ffn.layers.0.', 'mlp.dwconv.dwconv.': 'ffn.layers.1.',
            'mlp.fc2.': 'ffn.layers.4.'}


def convert_official_mit(state_dict: StateDict) -> StateDict:
    """Map SegFormer's MiT keys (without prefix) onto mmseg's ``MixVisionTransformer``.

    ``patch_embed<i>.proj`` -> ``layers.<i-1>.0.projection``, ``block<i>.<j>``
    -> ``layers.<i-1>.1.<j>`` (``attn.q`` and ``attn.kv`` concatenated into
    ``attn.attn.in_proj_*``, ``attn.proj`` -> ``attn.attn.out_proj``,
    ``mlp.fc1``/``mlp.dwconv.dwconv``/``mlp.fc2`` -> ``ffn.layers.0/1/4`` with
    the linear weights as 1x1 convs), ``norm<i>`` -> ``layers.<i-1>.2``;
    ``head.*`` is dropped.

    Args:
        state_dict (dict[str, Tensor]): Official MiT keys.

    Returns:
        dict[str, Tensor]: mmseg keys.

    Raises:
        KeyError: An unknown key, or an ``attn.q`` without its ``attn.kv``.
    """
    out: StateDict = {}
    for key, value in state_dict.items():
        if key.startswith('head.'):
            continue
        if (m := _MIT_EMBED.match(key)) is not None:
            stage, layer, kind = m.groups()
            layer = 'projection' if layer == 'proj' else 'norm'
            out[f'layers.{int(stage) - 1}.0.{layer}.{kind}'] = value
        elif (m := _MIT_NORM.match(key)) is not None:
            out[f'layers.{int(m.group(1)) - 1}.2.{m.group(2)}'] = value
        elif (m := _MIT_BLOCK.match(key)) is not None:
            stage, block, rest = m.groups()
            prefix = f'layers.{int(stage) - 1}.1.{block}.'
            if rest.startswith('attn.kv.'):
                continue  # merged with attn.q below
            if rest.startswith('attn.q.'):
                kind = rest[len('attn.q.'):]
                kv_key = f'block{stage}.{block}.attn.kv.{kind}'
                if kv_key not in state_dict:
                    raise KeyError(f'convert_official_mit: {key!r} without {kv_key!r}')
                out[prefix + f'attn.attn.in_proj_{kind}'] = torch.cat(
                    [value, state_dict[kv_key]], dim=0)
            elif rest.startswith('attn.proj.'):
                out[prefix + 'attn.attn.out_proj.' + rest[len('attn.proj.'):]] = value
            elif rest.startswith(('attn.sr.', 'attn.norm.', 'norm1.', 'norm2.')):
                out[prefix + rest] = value
            else:
                for src, dst in _MIT_MLP.items():
                    if rest.startswith(src):
                        linear = src != 'mlp.dwconv.dwconv.' and rest.endswith('weight')
                        out[prefix + dst + rest[len(src):]] = (
                            value[:, :, None, None] if linear else value)
                        break
                else:
                    raise KeyError(f'convert_official_mit: unknown block key {key!r}')
        else:
            raise KeyError(f'convert_official_mit: unknown key {key!r}')
    return out


def _transbins_key(key: str) -> Optional[str]:
    """Head key of one official ICIP'22 decoder/Transbins key (None: dropped, unused)."""
    seq = {'0': 'conv1.conv', '1': 'conv1.bn', '3': 'conv2.conv', '4': 'conv2.bn'}
    if (m := re.match(r'^decoder\.conv1\.([01])\.(.+)$', key)) is not None:
        return f'conv1.{"conv" if m.group(1) == "0" else "bn"}.{m.group(2)}'
    if (m := re.match(r'^decoder\.up([123])\.(_net\.(\d)|conv_transpose)\.(.+)$', key)):
        block = int(m.group(1)) - 1
        if m.group(2) == 'conv_transpose':
            return f'up_blocks.{block}.upsample.{m.group(4)}'
        if m.group(3) in seq:
            return f'up_blocks.{block}.{seq[m.group(3)]}.{m.group(4)}'
    if (m := re.match(r'^decoder\.conv_transpose1\.(.+)$', key)) is not None:
        return f'up_blocks.3.upsample.{m.group(1)}'
    if (m := re.match(r'^decoder\.conv2\.(\d)\.(.+)$', key)) is not None and m.group(1) in seq:
        return f'up_blocks.3.{seq[m.group(1)]}.{m.group(2)}'
    if re.match(r'^decoder\.(conv_transpose2|conv3|conv4|regressor)\.', key):
        return None  # defined but unused by the official forward
    vit = (('adaptive_bins_layer.patch_transformer.embedding_convPxP.', 'minivit.patch_embed.'),
           ('adaptive_bins_layer.patch_transformer.positional_encodings', 'minivit.pos_embed'),
           ('adaptive_bins_layer.patch_transformer.transformer_encoder.', 'minivit.transformer.'),
           ('adaptive_bins_layer.conv3x3.', 'minivit.conv3x3.'),
           ('adaptive_bins_layer.regressor.', 'minivit.regressor.'),
           ('conv_out.0.', 'conv_out.'))
    for src, dst in vit:
        if key.startswith(src):
            return dst + key[len(src):]
    raise KeyError(f'convert_depthformer_transbins: unknown key {key!r}')


def convert_depthformer_transbins(state_dict: StateDict) -> StateDict:
    """Map an official ICIP'22 DepthFormer ``state_dict`` onto this project's keys.

    Args:
        state_dict (dict[str, Tensor]): ``checkpoint['model']`` of
            ashutosh1807/Depthformer (``module.`` prefixes are removed).

    Returns:
        dict[str, Tensor]: Keys ``backbone.*`` (mmseg ``MixVisionTransformer``)
        and ``decode_head.*`` (:class:`DepthFormerTransbinsHead`).

    Raises:
        KeyError: A key of no known module.
    """
    state_dict = strip_prefix(state_dict)
    out = add_prefix(convert_official_mit(sub_state_dict(state_dict, 'encoder.model1.')),
                     'backbone.')
    for key, value in state_dict.items():
        if key.startswith('encoder.model1.'):
            continue
        new = _transbins_key(key)
        if new is not None:
            out[f'decode_head.{new}'] = value
    return out
