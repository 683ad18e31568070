"""Key mapping of official PixelFormer checkpoints onto this project's modules.

The official release (ashutosh1807/PixelFormer, ``nyu.pth``/``kitti.pth``)
stores ``{'model': state_dict, 'optimizer': ..., 'global_step': ...}`` with
the keys of a ``DistributedDataParallel`` model (``module.`` prefix):

* ``backbone.*``: Microsoft's Swin layout (``patch_embed.proj``,
  ``layers.<i>.blocks.<j>.attn.qkv``, ``mlp.fc1``, ``downsample.reduction``,
  ``norm<i>``), mapped onto mmseg's ``SwinTransformer`` by
  :func:`convert_official_swin`;
* ``decoder.*`` (PPM + bottleneck), ``sam1..sam4``, ``bcp``, ``disp_head1``:
  mapped onto :class:`~mmdepth_dgr.models.decode_heads.PixelFormerHead`
  (``decode_head.psp_modules``, ``.bottleneck``, ``.sams.<0..3>``,
  ``.bin_predictor``, ``.conv_depth``) by :func:`convert_pixelformer`.

Dropped on purpose: Swin's ``relative_position_index``/``attn_mask`` buffers
are kept only where the target module has them (mmseg's Swin keeps
``relative_position_index``), the SAM ``relative_position_index`` buffers
(recomputed here), and each SAM's unused ``proj`` convolution.

The official model comes in versions ``PixelFormer(version='<size><window>')``
(``'base07'``, ``'large07'`` named by its scripts; the released ``nyu.pth`` /
``kitti.pth`` are ``'large07'``): :func:`pixelformer_version` gives their
encoder settings. The mapping is the same for all; a 'base' state dict simply
has no ``sam<i>.proj_e`` keys (its SAMs need none, see
:func:`~mmdepth_dgr.models.decode_heads.pixelformer_head.sam_projections`).
"""
import re
from typing import Dict

from torch import Tensor

from .utils import StateDict, add_prefix, strip_prefix, sub_state_dict


def unfold_reduction_order(weight: Tensor) -> Tensor:
    """Reorder a Swin patch-merging ``reduction`` weight from concat order to unfold order.

    Microsoft's PatchMerging concatenates the 2x2 neighbours as
    ``[x(0,0), x(1,0), x(0,1), x(1,1)]`` (row, col offsets) along channels;
    mmcv's ``PatchMerging`` uses ``nn.Unfold``, whose channel index is
    ``c * 4 + (row * 2 + col)``. The input columns are permuted accordingly.

    Args:
        weight (Tensor): (out, 4 * C) reduction weight.

    Returns:
        Tensor: The same weight for unfold-ordered inputs.
    """
    out_ch, in_ch = weight.shape
    weight = weight.reshape(out_ch, 4, in_ch // 4)[:, [0, 2, 1, 3], :]
    return weight.transpose(1, 2).reshape(out_ch, in_ch)


def unfold_norm_order(vector: Tensor) -> Tensor:
    """Reorder the 4*C patch-merging norm weight/bias like :func:`unfold_reduction_order`.

    Args:
        vector (Tensor): (4 * C,) LayerNorm weight or bias.

    Returns:
        Tensor: The reordered vector.
    """
    in_ch = vector.shape[0]
    return vector.reshape(4, in_ch // 4)[[0, 2, 1, 3], :].transpose(0, 1).reshape(in_ch)


#: Swin encoder of each official size (``networks/PixelFormer.py``); the SAM widths
#: (128, 256, 512, 1024), SAM window 7, PPM width 512 and 256 bins are the same for all.
PIXELFORMER_ENCODERS: Dict[str, dict] = {
    'tiny': dict(embed_dims=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24)),
    'base': dict(embed_dims=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32)),
    'large': dict(embed_dims=192, depths=(2, 2, 18, 2), num_heads=(6, 12, 24, 48)),
}


def pixelformer_version(version: str) -> dict:
    """Encoder settings of the official ``PixelFormer(version=...)``.

    The official constructor reads the size from the name and the Swin window
    from its last two digits (``'base07'``: Swin-B, window 7; ``'large12'``:
    Swin-L, window 12); the SAMs use window 7 in every version.

    Args:
        version (str): ``'tiny'``, ``'base'`` or ``'large'`` followed by two
            digits.

    Returns:
        dict: ``embed_dims``, ``depths``, ``num_heads``, ``window_size`` (of the
        Swin encoder, mmseg's ``SwinTransformer`` names) and ``in_channels``
        (the four encoder widths, i.e. the head's ``in_channels``).

    Raises:
        ValueError: A name of no official version.
    """
    size, window = version[:-2], version[-2:]
    if size not in PIXELFORMER_ENCODERS or not window.isdigit():
        raise ValueError(f'pixelformer_version: {version!r} is not one of '
                         f'{sorted(PIXELFORMER_ENCODERS)} followed by a two-digit window')
    enc = PIXELFORMER_ENCODERS[size]
    return dict(embed_dims=enc['embed_dims'], depths=list(enc['depths']),
                num_heads=list(enc['num_heads']), window_size=int(window),
                in_channels=[enc['embed_dims'] * 2**i for i in range(4)])


_SWIN_BLOCK = re.compile(r'^layers\.(\d+)\.blocks\.(\d+)\.(.+)$')
_SWIN_DOWN = re.compile(r'^layers\.(\d+)\.downsample\.(reduction|norm)\.(weight|bias)$')


def convert_official_swin(state_dict: StateDict) -> StateDict:
    """Map Microsoft-layout Swin keys (without the ``backbone.`` prefix) to mmseg's.

    ``patch_embed.proj`` -> ``patch_embed.projection``; ``layers.i`` ->
    ``stages.i``; ``attn.*`` -> ``attn.w_msa.*``; ``mlp.fc1``/``mlp.fc2`` ->
    ``ffn.layers.0.0``/``ffn.layers.1``; patch-merging weights reordered for
    ``nn.Unfold`` (:func:`unfold_reduction_order`); ``norm<i>`` kept; ``head.*``
    (classifier) and ``attn_mask`` buffers dropped.

    Args:
        state_dict (dict[str, Tensor]): Official Swin keys.

    Returns:
        dict[str, Tensor]: mmseg ``SwinTransformer`` keys.

    Raises:
        KeyError: A key of no known Swin layout.
    """
    out: StateDict = {}
    for key, value in state_dict.items():
        if key.startswith('head.') or key.endswith('attn_mask'):
            continue
        if key.startswith('patch_embed.'):
            out[key.replace('patch_embed.proj.', 'patch_embed.projection.')] = value
        elif re.match(r'^norm\d*\.(weight|bias)$', key):
            out[key] = value
        elif (m := _SWIN_DOWN.match(key)) is not None:
            stage, layer, kind = m.groups()
            reorder = unfold_reduction_order if layer == 'reduction' else unfold_norm_order
            out[f'stages.{stage}.downsample.{layer}.{kind}'] = reorder(value)
        elif (m := _SWIN_BLOCK.match(key)) is not None:
            stage, block, rest = m.groups()
            if rest.startswith('attn.'):
                rest = 'attn.w_msa.' + rest[len('attn.'):]
            elif rest.startswith('mlp.fc1.'):
                rest = 'ffn.layers.0.0.' + rest[len('mlp.fc1.'):]
            elif rest.startswith('mlp.fc2.'):
                rest = 'ffn.layers.1.' + rest[len('mlp.fc2.'):]
            elif not rest.startswith(('norm1.', 'norm2.')):
                raise KeyError(f'convert_official_swin: unknown block key {key!r}')
            out[f'stages.{stage}.blocks.{block}.{rest}'] = value
        else:
            raise KeyError(f'convert_official_swin: unknown key {key!r}')
    return out


# official SAM sub-key -> this project's SkipAttentionModule sub-key (None: dropped)
_SAM_KEYS = (
    ('proj_e.', 'proj_e.'),
    ('proj_q.', 'proj_q.'),
    ('proj.', None),  # defined but unused by the official forward
    ('sam_block.attn.relative_position_index', None),  # recomputed buffer
    ('sam_block.norm1.', 'block.norm_q.'),
    ('sam_block.normv.', 'block.norm_kv.'),
    ('sam_block.norm2.', 'block.norm_ffn.'),
    ('sam_block.attn.', 'block.attn.'),
    ('sam_block.mlp.', 'block.mlp.'),
    ('norm_sam.', 'norm_out.'),
)


def _convert_sam(rest: str, full_key: str):
    for src, dst in _SAM_KEYS:
        if rest.startswith(src):
            return None if dst is None else dst + rest[len(src):]
    raise KeyError(f'convert_pixelformer: unknown SAM key {full_key!r}')


def convert_pixelformer(state_dict: StateDict) -> StateDict:
    """Map an official PixelFormer ``state_dict`` onto ``DepthEstimator`` keys.

    Args:
        state_dict (dict[str, Tensor]): The official model's state dict
            (``checkpoint['model']``), with or without the ``module.`` prefix.

    Returns:
        dict[str, Tensor]: Keys ``backbone.*`` (mmseg Swin) and
        ``decode_head.*`` (:class:`PixelFormerHead`).

    Raises:
        KeyError: A key of no known PixelFormer module.
    """
    state_dict = strip_prefix(state_dict)
    out = add_prefix(convert_official_swin(sub_state_dict(state_dict, 'backbone.')), 'backbone.')
    for key, value in state_dict.items():
        if key.startswith('backbone.'):
            continue
        if key.startswith('decoder.'):
            out['decode_head.' + key[len('decoder.'):]] = value
        elif (m := re.match(r'^sam([1-9])\.(.+)$', key)) is not None:
            new = _convert_sam(m.group(2), key)
            if new is not None:
                out[f'decode_head.sams.{int(m.group(1)) - 1}.{new}'] = value
        elif key.startswith('bcp.'):
            out['decode_head.bin_predictor.' + key[len('bcp.'):]] = value
        elif key.startswith('disp_head1.conv1.'):
            out['decode_head.conv_depth.' + key[len('disp_head1.conv1.'):]] = value
        else:
            raise KeyError(f'convert_pixelformer: unknown key {key!r}')
    return out
