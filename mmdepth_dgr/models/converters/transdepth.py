"""Map official TransDepth checkpoints (ygjwd12345/TransDepth) onto this project's model.

The official ``BtsModel`` (saved as ``{'model': state_dict, ...}`` from a
``DataParallel``/``DistributedDataParallel`` wrapper, hence ``module.``) has
three parts; they map onto ``DepthEstimator(backbone=ViTHybrid,
decode_head=TransDepthHead)`` as follows:

========================================================  =================================
official                                                  this project
========================================================  =================================
``encoder.transformer.*`` (TransUNet R50+ViT-B/16)        ``backbone.*`` (see vit_hybrid)
``encoder.decoder.conv_more{,_}.{0,1}``                   ``decode_head.reassemble.{0,1}.{conv,bn}``
``encoder.decoder.blocks.*`` (built, never run)           dropped
``AttentionGraphCondKernel.conv{3,4,5}.{0,1}``            ``decode_head.agd.lateral_convs.{0,1,2}``
``AttentionGraphCondKernel.attention_MSG_{35,45,55}``     ``decode_head.agd.messages.{0,1,2}``
``AttentionGraphCondKernel.combination_msgs_5{1,2}``      ``decode_head.agd.down_convs.{0,1}``
``decoder.*`` (BTS decoder)                               ``decode_head.*``
========================================================  =================================
"""
import re
from typing import Dict, List, Tuple

from .utils import StateDict, add_prefix, strip_prefix
from .vit_hybrid import transunet_to_vit_hybrid

_CONV_BN = {'0': 'conv', '1': 'bn'}
_MSG_INDEX = {'35': '0', '45': '1', '55': '2'}
_KERNEL_NAMES = {'kernel_prediction': 'kernel_pred', 'kernel_se': 'kernel_send',
                 'kernel_sr': 'kernel_recv'}
_DASPP_INDEX = {'3': '0', '6': '1', '12': '2', '18': '3', '24': '4'}
# BTS decoder modules whose ``<name>.conv`` / ``<name>.0`` conv is a ConvModule here
_BTS_CONVS = ('upconv5', 'upconv4', 'upconv3', 'upconv2', 'upconv1', 'conv5', 'conv4', 'conv3',
              'conv2', 'conv1', 'daspp_conv')
_BTS_NORMS = {'bn5': 'upconv5.bn', 'bn4': 'upconv4.bn', 'bn4_2': 'conv4.bn', 'bn3': 'upconv3.bn',
              'bn2': 'upconv2.bn'}


def _map_agd(rest: str) -> str:
    """Official ``AttentionGraphCondKernel.<rest>`` -> ``agd.<...>``."""
    match = re.match(r'^conv([345])\.([01])\.(.+)$', rest)
    if match:
        level, part, tail = match.groups()
        return f'agd.lateral_convs.{int(level) - 3}.{_CONV_BN[part]}.{tail}'
    match = re.match(r'^combination_msgs_5([12])\.([01])\.(.+)$', rest)
    if match:
        index, part, tail = match.groups()
        return f'agd.down_convs.{int(index) - 1}.{_CONV_BN[part]}.{tail}'
    match = re.match(r'^attention_MSG_(35|45|55)\.(.+)$', rest)
    if match:
        pair, tail = match.groups()
        prefix = f'agd.messages.{_MSG_INDEX[pair]}'
        kernel = re.match(r'^(kernel_prediction|kernel_se|kernel_sr)_([123])\.(weight|bias)$',
                          tail)
        if kernel:
            name, dil, kind = kernel.groups()
            return f'{prefix}.{_KERNEL_NAMES[name]}.{int(dil) - 1}.{kind}'
        if tail.startswith('combination_msgs.0.'):
            return f'{prefix}.fuse.0.{tail[len("combination_msgs.0."):]}'
    raise KeyError(f'unexpected TransDepth AGD key AttentionGraphCondKernel.{rest}')


def _reduction_indices(state: StateDict) -> Dict[str, int]:
    """Index of every ``decoder.reduc*.reduc.inter_<in>_<out>`` conv inside its stack.

    The stack runs from the widest input down, i.e. sorted by (-in, -out).
    """
    stacks: Dict[str, List[Tuple[int, int, str]]] = {}
    for key in state:
        match = re.match(r'^decoder\.(reduc\w+)\.reduc\.(inter_(\d+)_(\d+))\.', key)
        if match:
            stack, name, c_in, c_out = match.groups()
            entry = (-int(c_in), -int(c_out), name)
            if entry not in stacks.setdefault(stack, []):
                stacks[stack].append(entry)
    return {f'{stack}.{name}': i for stack, entries in stacks.items()
            for i, (_, _, name) in enumerate(sorted(entries))}


def _map_bts(rest: str, reduc_index: Dict[str, int]) -> str:
    """Official ``decoder.<rest>`` (BTS decoder) -> ``<...>`` inside the head."""
    name, _, tail = rest.partition('.')
    if name in _BTS_NORMS:
        return f'{_BTS_NORMS[name]}.{tail}'
    if name in _BTS_CONVS:
        match = re.match(r'^(?:conv|0)\.weight$', tail)
        if match:
            return f'{name}.conv.weight'
    if name == 'get_depth' and tail == '0.weight':
        return 'conv_depth.weight'
    match = re.match(r'^daspp_(\d+)$', name)
    if match and match.group(1) in _DASPP_INDEX:
        prefix = f'daspp.{_DASPP_INDEX[match.group(1)]}'
        parts = {'atrous_conv.first_bn.': 'norm_in.',
                 'atrous_conv.aconv_sequence.1.': 'reduce.conv.',
                 'atrous_conv.aconv_sequence.2.': 'reduce.bn.',
                 'atrous_conv.aconv_sequence.4.': 'conv.'}
        for src, dst in parts.items():
            if tail.startswith(src):
                return f'{prefix}.{dst}{tail[len(src):]}'
    if name.startswith('reduc'):
        match = re.match(r'^reduc\.(inter_\d+_\d+)\.0\.weight$', tail)
        if match:
            return f'{name}.convs.{2 * reduc_index[f"{name}.{match.group(1)}"]}.weight'
        if tail in ('reduc.plane_params.weight', 'reduc.final.0.weight'):
            return f'{name}.out_conv.weight'
    raise KeyError(f'unexpected TransDepth decoder key decoder.{rest}')


def convert_transdepth_checkpoint(state: StateDict) -> Tuple[StateDict, List[str]]:
    """Convert an official TransDepth state dict to this project's ``DepthEstimator`` keys.

    Args:
        state (dict[str, Tensor]): ``checkpoint['model']`` of an official
            checkpoint (with or without the ``module.`` prefix).

    Returns:
        tuple[dict[str, Tensor], list[str]]: The converted state dict
        (``backbone.*``, ``decode_head.*``) and the official keys that were
        dropped on purpose (TransUNet's unused ``encoder.decoder.blocks``).

    Raises:
        KeyError: A key of no known TransDepth module.
    """
    state = strip_prefix(state)
    out = add_prefix(transunet_to_vit_hybrid(state, prefix='encoder.'), 'backbone.')
    reduc_index = _reduction_indices(state)
    dropped = []
    for key, value in state.items():
        if key.startswith('encoder.transformer.'):
            continue  # mapped above
        if key.startswith('encoder.decoder.blocks.'):
            dropped.append(key)
            continue
        match = re.match(r'^encoder\.decoder\.conv_more(_?)\.([01])\.(.+)$', key)
        if match:
            second, part, tail = match.groups()
            out[f'decode_head.reassemble.{1 if second else 0}.{_CONV_BN[part]}.{tail}'] = value
        elif key.startswith('AttentionGraphCondKernel.'):
            out['decode_head.' + _map_agd(key[len('AttentionGraphCondKernel.'):])] = value
        elif key.startswith('decoder.'):
            out['decode_head.' + _map_bts(key[len('decoder.'):], reduc_index)] = value
        else:
            raise KeyError(f'unexpected TransDepth key {key!r}')
    return out, dropped
