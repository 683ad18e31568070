"""Key mapping of R50+ViT hybrid checkpoints onto :class:`ViTHybrid`.

Three published layouts are understood:

* Google's ``R50+ViT-B_16.npz`` (the ImageNet-21k weights TransDepth starts
  from): TensorFlow names (``conv_root/kernel``, ``block1/unit1/conv1/kernel``,
  ``Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel``,
  ...), HWIO conv kernels and per-head attention kernels.
* TransUNet's PyTorch modules (the encoder inside a TransDepth checkpoint):
  ``transformer.embeddings.hybrid_model.root.conv.weight``,
  ``transformer.encoder.layer.0.attn.query.weight``, ...
* timm's ``vit_base_r50_s16_384`` (DPT-Hybrid's encoder):
  ``patch_embed.backbone.stem.conv.weight``, ``blocks.0.attn.qkv.weight``, ...

All functions are pure: they take a ``{name: Tensor}`` dict and return a new
one in this project's layout (``stem_conv``, ``stages.<s>.<u>.*``,
``patch_embed``, ``layers.<i>.attn.attn.in_proj_weight``, ``norm``, ...).
"""
import re
from typing import Dict, Optional

import torch
from torch import Tensor

from .utils import StateDict, strip_prefix


def _hwio_to_oihw(kernel: Tensor) -> Tensor:
    """TensorFlow conv kernel (kh, kw, in, out) to PyTorch (out, in, kh, kw)."""
    return kernel.permute(3, 2, 0, 1).contiguous()


def npz_to_vit_hybrid(arrays: StateDict, num_layers: int = 12) -> StateDict:
    """Map Google's R50+ViT ``.npz`` arrays (as tensors) to :class:`ViTHybrid` keys.

    The classification head, ``pre_logits`` and (when ``with_cls_token`` is
    off) the class token are not part of the backbone and are dropped; the
    position embedding and class token are returned as ``pos_embed`` and
    ``cls_token`` and loaded only when the model has them.

    Args:
        arrays (dict[str, Tensor]): The ``.npz`` content.
        num_layers (int): ViT layers to map. Defaults to 12.

    Returns:
        dict[str, Tensor]: State dict in this project's layout.
    """
    out: StateDict = {}
    out['stem_conv.weight'] = _hwio_to_oihw(arrays['conv_root/kernel'])
    out['stem_gn.weight'] = arrays['gn_root/scale'].reshape(-1)
    out['stem_gn.bias'] = arrays['gn_root/bias'].reshape(-1)
    unit_re = re.compile(r'^block(\d+)/unit(\d+)/(conv1|conv2|conv3|conv_proj|gn1|gn2|gn3|'
                         r'gn_proj)/(kernel|scale|bias)$')
    for key, value in arrays.items():
        match = unit_re.match(key)
        if not match:
            continue
        block, unit, layer, kind = match.groups()
        name = 'downsample' if layer == 'conv_proj' else layer
        prefix = f'stages.{int(block) - 1}.{int(unit) - 1}.{name}'
        if kind == 'kernel':
            out[f'{prefix}.weight'] = _hwio_to_oihw(value)
        else:
            out[f'{prefix}.{"weight" if kind == "scale" else "bias"}'] = value.reshape(-1)
    out['patch_embed.weight'] = _hwio_to_oihw(arrays['embedding/kernel'])
    out['patch_embed.bias'] = arrays['embedding/bias']
    for i in range(num_layers):
        src = f'Transformer/encoderblock_{i}'
        dst = f'layers.{i}'
        attn = f'{src}/MultiHeadDotProductAttention_1'
        dims = arrays[f'{attn}/query/kernel'].shape[0]
        qkv_w = [arrays[f'{attn}/{n}/kernel'].reshape(dims, dims).t() for n in ('query', 'key',
                                                                               'value')]
        qkv_b = [arrays[f'{attn}/{n}/bias'].reshape(-1) for n in ('query', 'key', 'value')]
        out[f'{dst}.attn.attn.in_proj_weight'] = torch.cat(qkv_w, dim=0)
        out[f'{dst}.attn.attn.in_proj_bias'] = torch.cat(qkv_b, dim=0)
        out[f'{dst}.attn.attn.out_proj.weight'] = arrays[f'{attn}/out/kernel'].reshape(
            dims, dims).t()
        out[f'{dst}.attn.attn.out_proj.bias'] = arrays[f'{attn}/out/bias'].reshape(-1)
        out[f'{dst}.ln1.weight'] = arrays[f'{src}/LayerNorm_0/scale']
        out[f'{dst}.ln1.bias'] = arrays[f'{src}/LayerNorm_0/bias']
        out[f'{dst}.ln2.weight'] = arrays[f'{src}/LayerNorm_2/scale']
        out[f'{dst}.ln2.bias'] = arrays[f'{src}/LayerNorm_2/bias']
        out[f'{dst}.ffn.layers.0.0.weight'] = arrays[f'{src}/MlpBlock_3/Dense_0/kernel'].t()
        out[f'{dst}.ffn.layers.0.0.bias'] = arrays[f'{src}/MlpBlock_3/Dense_0/bias']
        out[f'{dst}.ffn.layers.1.weight'] = arrays[f'{src}/MlpBlock_3/Dense_1/kernel'].t()
        out[f'{dst}.ffn.layers.1.bias'] = arrays[f'{src}/MlpBlock_3/Dense_1/bias']
    out['norm.weight'] = arrays['Transformer/encoder_norm/scale']
    out['norm.bias'] = arrays['Transformer/encoder_norm/bias']
    if 'Transformer/posembed_input/pos_embedding' in arrays:
        out['pos_embed'] = arrays['Transformer/posembed_input/pos_embedding']
    if 'cls' in arrays:
        out['cls_token'] = arrays['cls']
    return {k: v.float() if v.is_floating_point() else v for k, v in out.items()}


def transunet_to_vit_hybrid(state: StateDict, prefix: str = '') -> StateDict:
    """Map TransUNet's hybrid encoder modules (TransDepth's ``encoder``) to :class:`ViTHybrid`.

    Keys outside ``<prefix>transformer.`` are ignored (TransUNet's decoder
    convolutions are handled by the caller).

    Args:
        state (dict[str, Tensor]): State dict with TransUNet names.
        prefix (str): Prefix of the encoder, e.g. ``'module.encoder.'``.

    Returns:
        dict[str, Tensor]: State dict in this project's layout.
    """
    out: StateDict = {}
    hybrid = f'{prefix}transformer.embeddings.hybrid_model.'
    layer_re = re.compile(r'^(\d+)\.(attention_norm|ffn_norm|ffn\.fc1|ffn\.fc2|'
                          r'attn\.query|attn\.key|attn\.value|attn\.out)\.(weight|bias)$')
    simple = {'attention_norm': 'ln1', 'ffn_norm': 'ln2', 'ffn.fc1': 'ffn.layers.0.0',
              'ffn.fc2': 'ffn.layers.1', 'attn.out': 'attn.attn.out_proj'}
    qkv: Dict[str, Dict[str, Tensor]] = {}
    for key, value in state.items():
        if key.startswith(hybrid + 'root.'):
            rest = key[len(hybrid + 'root.'):]
            out[rest.replace('conv.', 'stem_conv.').replace('gn.', 'stem_gn.')] = value
        elif key.startswith(hybrid + 'body.'):
            match = re.match(r'^block(\d+)\.unit(\d+)\.(.+)$', key[len(hybrid + 'body.'):])
            if match is None:
                raise KeyError(f'unexpected TransUNet trunk key {key!r}')
            block, unit, rest = match.groups()
            out[f'stages.{int(block) - 1}.{int(unit) - 1}.{rest}'] = value
        elif key.startswith(f'{prefix}transformer.embeddings.patch_embeddings.'):
            out['patch_embed.' + key.rsplit('.', 1)[1]] = value
        elif key.startswith(f'{prefix}transformer.encoder.encoder_norm.'):
            out['norm.' + key.rsplit('.', 1)[1]] = value
        elif key.startswith(f'{prefix}transformer.encoder.layer.'):
            match = layer_re.match(key[len(f'{prefix}transformer.encoder.layer.'):])
            if match is None:
                raise KeyError(f'unexpected TransUNet transformer key {key!r}')
            index, name, kind = match.groups()
            if name in simple:
                out[f'layers.{index}.{simple[name]}.{kind}'] = value
            else:
                qkv.setdefault(f'{index}.{kind}', {})[name.split('.')[1]] = value
    for index_kind, parts in qkv.items():
        index, kind = index_kind.split('.')
        if set(parts) != {'query', 'key', 'value'}:
            raise KeyError(f'layer {index}: incomplete q/k/v {kind}s {sorted(parts)}')
        out[f'layers.{index}.attn.attn.in_proj_{kind}'] = torch.cat(
            [parts['query'], parts['key'], parts['value']], dim=0)
    return out


def timm_to_vit_hybrid(state: StateDict) -> StateDict:
    """Map timm's ``vit_base_r50_s16_384`` state dict to :class:`ViTHybrid` keys.

    The classification head is dropped.

    Args:
        state (dict[str, Tensor]): timm state dict.

    Returns:
        dict[str, Tensor]: State dict in this project's layout.
    """
    out: StateDict = {}
    stem = 'patch_embed.backbone.'
    unit_names = {'conv1': 'conv1', 'conv2': 'conv2', 'conv3': 'conv3', 'norm1': 'gn1',
                  'norm2': 'gn2', 'norm3': 'gn3', 'downsample.conv': 'downsample',
                  'downsample.norm': 'gn_proj'}
    block_names = {'norm1': 'ln1', 'norm2': 'ln2', 'attn.qkv': 'attn.attn.in_proj',
                   'attn.proj': 'attn.attn.out_proj', 'mlp.fc1': 'ffn.layers.0.0',
                   'mlp.fc2': 'ffn.layers.1'}
    for key, value in state.items():
        if key.startswith(stem + 'stem.'):
            rest = key[len(stem + 'stem.'):]
            out[rest.replace('conv.', 'stem_conv.').replace('norm.', 'stem_gn.')] = value
        elif key.startswith(stem + 'stages.'):
            match = re.match(r'^(\d+)\.blocks\.(\d+)\.(.+)\.(weight|bias)$',
                             key[len(stem + 'stages.'):])
            if match is None or match.group(3) not in unit_names:
                raise KeyError(f'unexpected timm trunk key {key!r}')
            s, u, name, kind = match.groups()
            out[f'stages.{s}.{u}.{unit_names[name]}.{kind}'] = value
        elif key.startswith('patch_embed.proj.'):
            out['patch_embed.' + key.rsplit('.', 1)[1]] = value
        elif key.startswith('blocks.'):
            match = re.match(r'^(\d+)\.(.+)\.(weight|bias)$', key[len('blocks.'):])
            if match is None or match.group(2) not in block_names:
                raise KeyError(f'unexpected timm block key {key!r}')
            i, name, kind = match.groups()
            target = block_names[name]
            if target == 'attn.attn.in_proj':
                out[f'layers.{i}.{target}_{kind}'] = value
            else:
                out[f'layers.{i}.{target}.{kind}'] = value
        elif key.startswith('norm.') or key in ('pos_embed', 'cls_token'):
            out[key] = value
    return out


def detect_vit_hybrid_layout(state: StateDict) -> Optional[str]:
    """Name the layout of a hybrid checkpoint.

    Args:
        state (dict[str, Tensor]): Checkpoint state dict.

    Returns:
        str | None: ``'npz'``, ``'timm'``, ``'transunet'``, ``'mmdepth'`` or
        None when no known key is present.
    """
    keys = list(state)
    if 'conv_root/kernel' in state:
        return 'npz'
    if any(k.startswith('patch_embed.backbone.') for k in keys):
        return 'timm'
    if any('transformer.embeddings.hybrid_model.' in k for k in keys):
        return 'transunet'
    if any(k.startswith(('stem_conv.', 'backbone.stem_conv.')) for k in keys):
        return 'mmdepth'
    return None


def convert_vit_hybrid_checkpoint(state: StateDict, model=None) -> StateDict:
    """Convert any supported hybrid checkpoint to :class:`ViTHybrid` keys.

    Entries the model does not have (``pos_embed``/``cls_token`` of a model
    built without them) are dropped when ``model`` is given.

    Args:
        state (dict[str, Tensor]): Checkpoint state dict (or npz arrays).
        model (ViTHybrid, optional): Target model.

    Returns:
        dict[str, Tensor]: State dict for ``model.load_state_dict``.

    Raises:
        KeyError: The layout is not recognised.
    """
    layout = detect_vit_hybrid_layout(state)
    if layout == 'npz':
        num_layers = len(model.layers) if model is not None else 12
        out = npz_to_vit_hybrid(state, num_layers)
    elif layout == 'timm':
        out = timm_to_vit_hybrid(state)
    elif layout == 'transunet':
        key = next(k for k in state if 'transformer.embeddings.hybrid_model.' in k)
        out = transunet_to_vit_hybrid(state, key[:key.index('transformer.')])
    elif layout == 'mmdepth':
        out = strip_prefix(state, 'backbone.')
    else:
        raise KeyError('unknown R50+ViT hybrid checkpoint layout; first keys: '
                       f'{list(state)[:5]}')
    if model is not None:
        own = model.state_dict()
        out = {k: v for k, v in out.items() if k in own}
    return out
