"""Key mapping of official AdaBins checkpoints (shariqfarooq123/AdaBins) onto this project.

The released ``AdaBins_nyu.pt`` / ``AdaBins_kitti.pt`` hold
``{'model': state_dict, 'optimizer': ..., 'epoch': ...}`` of
``UnetAdaptiveBins`` (possibly with a ``module.`` prefix):

* ``encoder.original_model.*``: gen-efficientnet's ``tf_efficientnet_b5_ap``
  (``conv_stem``, ``bn1``, ``blocks.<stage>.<block>.*``, ``conv_head``,
  ``bn2``) -> ``backbone.layers.*`` of
  :class:`~mmdepth_dgr.models.backbones.EfficientNetEncoder` (mmpretrain
  names). mmpretrain groups the seven block stages into five layers: a stage
  whose first block has stride 1 (stages 4 and 6 of EfficientNet-B) is
  appended to the previous layer. Depthwise-separable blocks (stage 0) map
  ``conv_dw/bn1, se, conv_pw/bn2`` to ``depthwise_conv, se, linear_conv``;
  inverted residuals map ``conv_pw/bn1, conv_dw/bn2, se, conv_pwl/bn3`` to
  ``expand_conv, depthwise_conv, se, linear_conv``.
* ``decoder.*`` (``DecoderBN``: ``conv2``, ``up1..up4._net``, ``conv3``) ->
  ``decode_head.bottleneck``, ``.up_blocks.<0..3>.conv{1,2}``,
  ``.conv_decoder_out`` of :class:`~mmdepth_dgr.models.decode_heads.AdaBinsHead`.
* ``adaptive_bins_layer.*`` (``mViT``) -> ``decode_head.minivit.*``
  (``patch_embed``, ``pos_embed``, ``transformer``, ``conv3x3``,
  ``regressor``); the older names ``embedding_conv`` / ``embedding_encoder``
  that the official loader renames are accepted too.
* ``conv_out.0`` -> ``decode_head.conv_out``.

Dropped on purpose: the encoder's ``bn2`` (the BatchNorm after ``conv_head``,
whose output AdaBins never reads).
"""
import re
from typing import Dict, List, Optional, Sequence, Tuple

from torch import Tensor

from .utils import StateDict, replace_prefix, strip_prefix

#: Blocks per stage of EfficientNet-B5 (ceil(2.2 * (1, 2, 2, 3, 3, 4, 1))).
EFFICIENTNET_B5_REPEATS = (3, 5, 5, 7, 7, 9, 3)
#: Stride of the first block of each EfficientNet-B stage.
EFFICIENTNET_STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)

_DS_NAMES = {'conv_dw': 'depthwise_conv.conv', 'bn1': 'depthwise_conv.bn',
             'conv_pw': 'linear_conv.conv', 'bn2': 'linear_conv.bn'}
_IR_NAMES = {'conv_pw': 'expand_conv.conv', 'bn1': 'expand_conv.bn',
             'conv_dw': 'depthwise_conv.conv', 'bn2': 'depthwise_conv.bn',
             'conv_pwl': 'linear_conv.conv', 'bn3': 'linear_conv.bn'}
_SE_NAMES = {'se.conv_reduce': 'se.conv1.conv', 'se.conv_expand': 'se.conv2.conv'}
_LEGACY = (('adaptive_bins_layer.embedding_conv.', 'adaptive_bins_layer.conv3x3.'),
           ('adaptive_bins_layer.patch_transformer.embedding_encoder.',
            'adaptive_bins_layer.patch_transformer.embedding_convPxP.'))


def efficientnet_block_map(
        repeats: Sequence[int] = EFFICIENTNET_B5_REPEATS,
        strides: Sequence[int] = EFFICIENTNET_STAGE_STRIDES) -> Dict[Tuple[int, int],
                                                                     Tuple[int, int]]:
    """Where each gen-efficientnet block lives in mmpretrain's ``EfficientNet``.

    Layer 0 is the stem; stage ``s`` starts a new layer unless ``s > 0`` and
    its first block has stride 1, in which case it continues the previous one.

    Args:
        repeats (Sequence[int]): Blocks per stage.
        strides (Sequence[int]): First-block stride per stage.

    Returns:
        dict: ``(stage, block) -> (layer, index in layer)``.
    """
    if len(repeats) != len(strides):
        raise ValueError(f'repeats {list(repeats)} and strides {list(strides)} differ in length')
    mapping = {}
    layer, offset = 0, 0
    for stage, (n, stride) in enumerate(zip(repeats, strides, strict=True)):
        if stage == 0 or stride != 1:
            layer, offset = layer + 1, 0
        for block in range(n):
            mapping[(stage, block)] = (layer, offset + block)
        offset += n
    return mapping


def _convert_encoder(rest: str, value: Tensor, block_map: dict, head_layer: int,
                     inverted: set) -> Tuple[Optional[str], Tensor]:
    """Map one ``encoder.original_model.<rest>`` key (None name = dropped)."""
    if rest.startswith('conv_stem.'):
        return 'backbone.layers.0.conv.' + rest[len('conv_stem.'):], value
    if rest.startswith('bn1.'):
        return 'backbone.layers.0.bn.' + rest[len('bn1.'):], value
    if rest.startswith('conv_head.'):
        return f'backbone.layers.{head_layer}.conv.' + rest[len('conv_head.'):], value
    if rest.startswith('bn2.'):
        return None, value
    match = re.match(r'^blocks\.(\d+)\.(\d+)\.(.+)\.([a-z_]+)$', rest)
    if match is None:
        raise KeyError(f'unexpected AdaBins encoder key {rest!r}')
    stage, block, name, param = int(match[1]), int(match[2]), match[3], match[4]
    if (stage, block) not in block_map:
        raise KeyError(f'AdaBins encoder block {stage}.{block} is not in EfficientNet-B5')
    names = dict(_IR_NAMES if (stage, block) in inverted else _DS_NAMES, **_SE_NAMES)
    if name not in names:
        raise KeyError(f'unexpected AdaBins encoder key {rest!r}')
    layer, index = block_map[(stage, block)]
    return f'backbone.layers.{layer}.{index}.{names[name]}.{param}', value


def _convert_head(key: str) -> str:
    """Map one decoder / mini-ViT / output key."""
    rules = [
        (r'^decoder\.conv2\.', 'decode_head.bottleneck.'),
        (r'^decoder\.conv3\.', 'decode_head.conv_decoder_out.'),
        (r'^adaptive_bins_layer\.patch_transformer\.embedding_convPxP\.',
         'decode_head.minivit.patch_embed.'),
        (r'^adaptive_bins_layer\.patch_transformer\.positional_encodings$',
         'decode_head.minivit.pos_embed'),
        (r'^adaptive_bins_layer\.patch_transformer\.transformer_encoder\.',
         'decode_head.minivit.transformer.'),
        (r'^adaptive_bins_layer\.conv3x3\.', 'decode_head.minivit.conv3x3.'),
        (r'^adaptive_bins_layer\.regressor\.', 'decode_head.minivit.regressor.'),
        (r'^conv_out\.0\.', 'decode_head.conv_out.'),
    ]
    for pattern, target in rules:
        if re.match(pattern, key):
            return re.sub(pattern, target, key)
    match = re.match(r'^decoder\.up(\d)\._net\.(\d)\.(.+)$', key)
    if match is not None and match[2] in '0134':
        conv = 'conv1' if match[2] in '01' else 'conv2'
        part = 'conv' if match[2] in '03' else 'bn'
        return f'decode_head.up_blocks.{int(match[1]) - 1}.{conv}.{part}.{match[3]}'
    raise KeyError(f'unexpected AdaBins key {key!r}')


def convert_adabins(state: StateDict,
                    repeats: Sequence[int] = EFFICIENTNET_B5_REPEATS) -> Tuple[StateDict,
                                                                               List[str]]:
    """Map an official AdaBins state dict onto ``EfficientNetEncoder`` + ``AdaBinsHead``.

    Args:
        state (dict[str, Tensor]): ``UnetAdaptiveBins`` state dict (the
            checkpoint's ``'model'`` entry; ``module.`` prefixes are removed).
        repeats (Sequence[int]): Blocks per EfficientNet stage. Defaults to B5's.

    Returns:
        tuple[dict[str, Tensor], list[str]]: The converted state dict and the
        official keys dropped on purpose (the encoder's unused ``bn2``).

    Raises:
        KeyError: A key that no rule maps.
    """
    state = strip_prefix(state)
    for old, new in _LEGACY:
        state = replace_prefix(state, old, new)
    block_map = efficientnet_block_map(repeats)
    head_layer = max(layer for layer, _ in block_map.values()) + 1
    enc = 'encoder.original_model.'
    inverted = {(int(m[1]), int(m[2])) for m in (
        re.match(r'^blocks\.(\d+)\.(\d+)\.conv_pwl\.', k[len(enc):]) for k in state
        if k.startswith(enc)) if m is not None}
    out: StateDict = {}
    dropped: List[str] = []
    for key, value in state.items():
        if key.startswith(enc):
            name, value = _convert_encoder(key[len(enc):], value, block_map, head_layer,
                                           inverted)
        else:
            name = _convert_head(key)
        if name is None:
            dropped.append(key)
        else:
            out[name] = value
    return out, dropped
