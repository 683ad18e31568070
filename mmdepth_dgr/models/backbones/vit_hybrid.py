"""R50+ViT-B/16 hybrid encoder (Dosovitskiy et al., ICLR'21, Sec. 3.1 "Hybrid Architecture").

The "R50" of the hybrid is the BiT ResNet-v2 trunk of Kolesnikov et al. (ECCV'20):
weight-standardised convolutions and GroupNorm, a 7x7/2 root conv, a 3x3/2
max-pool and three bottleneck stages of (3, 4, 9) units (the fourth ResNet-50
stage is dropped so the trunk ends at stride 16). A 1x1 "patch" projection
turns its 1024-channel 1/16 map into ViT tokens (patch size 1 on the trunk =
16 on the image), followed by ViT-B: 12 pre-norm layers, 768 dims, 12 heads.

Two published variants differ in padding, normalisation details and the
position embedding; both are options here:

* TransDepth (Yang et al., ICCV'21), built on TransUNet's code:
  ``padding='symmetric'`` (root conv padded by 3, max-pool without padding,
  skip maps zero-padded at the bottom/right to exactly 1/4 and 1/8 of the
  input), weight-standardisation eps 1e-5, projection GroupNorm with one group
  per channel (``proj_gn_per_channel=True``), no class token and no position
  embedding (``with_cls_token=False, use_pos_embed=False``), so any input
  whose sides are multiples of 16 works.
* timm ``vit_base_r50_s16_384`` (the DPT-Hybrid encoder): ``padding='tf_same'``
  (TensorFlow "SAME" padding for the root conv and the max-pool), eps 1e-8,
  32-group projection GroupNorm, class token and learned position embedding
  for a 24x24 grid, resized bicubically to other grids (timm's own rule).
  DPT (isl-org/DPT, which pins timm 0.4.5) differs in two places, both
  options: timm 0.4.5's ``StdConv2dSame`` standardises as
  ``(w - mean) / (std + 1e-5)`` (``ws_formula='std', ws_eps=1e-5``) and DPT's
  ``_resize_pos_embed`` resizes the position embedding bilinearly
  (``pos_embed_resize='bilinear'``); the DPT configs select both.
"""
import math
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from mmengine.runner.checkpoint import CheckpointLoader
from mmseg.models.backbones.vit import TransformerEncoderLayer
from mmseg.registry import MODELS
from torch import Tensor

PADDINGS = ('symmetric', 'tf_same')


def standardize_weight(weight: Tensor, eps: float) -> Tensor:
    """Weight standardisation of Qiao et al. (BiT): ``(w - mean) / sqrt(var + eps)``.

    Mean and (biased) variance are taken per output channel over the input
    channels and the kernel window. This is the formula of TransUNet's
    ``StdConv2d`` (TransDepth, eps 1e-5) and of timm releases after 0.4.x
    (``vit_base_r50_s16_384``, eps 1e-8).

    Args:
        weight (Tensor): (out, in, kh, kw) kernel.
        eps (float): Added to the variance.

    Returns:
        Tensor: The standardised kernel.
    """
    var, mean = torch.var_mean(weight, dim=(1, 2, 3), keepdim=True, unbiased=False)
    return (weight - mean) / torch.sqrt(var + eps)


def standardize_weight_std(weight: Tensor, eps: float) -> Tensor:
    """Weight standardisation with the eps on the deviation: ``(w - mean) / (std + eps)``.

    Mean and (biased) standard deviation per output channel, as in
    :func:`standardize_weight`. This is timm 0.4.5's ``StdConv2d`` /
    ``StdConv2dSame`` (eps 1e-5), the stem of DPT-Hybrid's encoder: it differs
    from :func:`standardize_weight` by a relative ``O(eps / std)`` per filter.

    Args:
        weight (Tensor): (out, in, kh, kw) kernel.
        eps (float): Added to the standard deviation.

    Returns:
        Tensor: The standardised kernel.
    """
    std, mean = torch.std_mean(weight, dim=(1, 2, 3), keepdim=True, unbiased=False)
    return (weight - mean) / (std + eps)


#: ``ws_formula`` name -> standardisation function (``'var'``: sqrt(var + eps), TransDepth and
#: current timm; ``'std'``: std + eps, timm 0.4.5 as pinned by DPT).
WS_FORMULAS = {'var': standardize_weight, 'std': standardize_weight_std}
#: ``pos_embed_resize`` modes: ``'bicubic'`` (timm), ``'bilinear'`` (DPT's ``_resize_pos_embed``).
POS_EMBED_RESIZE_MODES = ('bicubic', 'bilinear')


def tf_same_pad(x: Tensor, kernel_size: int, stride: int, value: float = 0.0) -> Tensor:
    """Pad like TensorFlow's ``padding='SAME'``: output size ``ceil(in / stride)``.

    The total padding ``max((ceil(n / s) - 1) * s + k - n, 0)`` is split with
    the extra pixel at the bottom/right.

    Args:
        x (Tensor): (B, C, H, W) input.
        kernel_size (int): Kernel size.
        stride (int): Stride.
        value (float): Padding value (``-inf`` before a max-pool).

    Returns:
        Tensor: The padded input.
    """
    pads = []
    for size in (x.shape[-1], x.shape[-2]):
        total = max((math.ceil(size / stride) - 1) * stride + kernel_size - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value) if any(pads) else x


class StdConv2d(nn.Conv2d):
    """Conv2d with weight standardisation (:data:`WS_FORMULAS`).

    Args:
        *args: ``nn.Conv2d`` arguments.
        eps (float): Standardisation epsilon. Defaults to 1e-5.
        tf_same (bool): Pad TensorFlow-"SAME" style instead of ``padding``.
        ws_formula (str): ``'var'`` (:func:`standardize_weight`, default) or
            ``'std'`` (:func:`standardize_weight_std`).
        **kwargs: ``nn.Conv2d`` keyword arguments.
    """

    def __init__(self, *args, eps: float = 1e-5, tf_same: bool = False, ws_formula: str = 'var',
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if ws_formula not in WS_FORMULAS:
            raise ValueError(f'StdConv2d: ws_formula must be one of {sorted(WS_FORMULAS)}, '
                             f'got {ws_formula!r}')
        self.eps = eps
        self.tf_same = tf_same
        self.ws_formula = ws_formula

    def forward(self, x: Tensor) -> Tensor:
        """Convolve with the standardised kernel."""
        if self.tf_same:
            x = tf_same_pad(x, self.kernel_size[0], self.stride[0])
        weight = WS_FORMULAS[self.ws_formula](self.weight, self.eps)
        return F.conv2d(x, weight, self.bias, self.stride,
                        self.padding, self.dilation, self.groups)


class BiTBottleneck(nn.Module):
    """BiT bottleneck unit: 1x1 -> 3x3 (stride) -> 1x1, GroupNorm after each conv.

    ``y = relu(shortcut(x) + gn3(conv3(relu(gn2(conv2(relu(gn1(conv1(x)))))))))``
    with a 1x1/stride projection + GroupNorm as shortcut when the shape changes.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (4x the bottleneck width).
        stride (int): Stride of the 3x3 conv and the projection.
        ws_eps (float): Weight-standardisation epsilon.
        gn_eps (float): GroupNorm epsilon of the residual branch.
        proj_gn_per_channel (bool): Projection GroupNorm with one group per
            channel (TransUNet/TransDepth) instead of 32 groups.
        proj_gn_eps (float): GroupNorm epsilon of the projection.
        tf_same (bool): TensorFlow-"SAME" padding of the 3x3 conv (timm)
            instead of a symmetric padding of 1 (they differ for stride 2).
        ws_formula (str): Weight-standardisation formula, see :class:`StdConv2d`.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 ws_eps: float = 1e-5, gn_eps: float = 1e-6, proj_gn_per_channel: bool = False,
                 proj_gn_eps: float = 1e-5, tf_same: bool = False,
                 ws_formula: str = 'var') -> None:
        super().__init__()
        mid = out_channels // 4
        ws = dict(bias=False, eps=ws_eps, ws_formula=ws_formula)
        self.conv1 = StdConv2d(in_channels, mid, 1, **ws)
        self.gn1 = nn.GroupNorm(32, mid, eps=gn_eps)
        self.conv2 = StdConv2d(mid, mid, 3, stride=stride, padding=0 if tf_same else 1,
                               tf_same=tf_same, **ws)
        self.gn2 = nn.GroupNorm(32, mid, eps=gn_eps)
        self.conv3 = StdConv2d(mid, out_channels, 1, **ws)
        self.gn3 = nn.GroupNorm(32, out_channels, eps=gn_eps)
        self.relu = nn.ReLU(inplace=True)
        if stride != 1 or in_channels != out_channels:
            self.downsample = StdConv2d(in_channels, out_channels, 1, stride=stride, **ws)
            groups = out_channels if proj_gn_per_channel else 32
            self.gn_proj = nn.GroupNorm(groups, out_channels, eps=proj_gn_eps)
        else:
            self.downsample = None

    def forward(self, x: Tensor) -> Tensor:
        """Apply the unit."""
        shortcut = x if self.downsample is None else self.gn_proj(self.downsample(x))
        y = self.relu(self.gn1(self.conv1(x)))
        y = self.relu(self.gn2(self.conv2(y)))
        y = self.gn3(self.conv3(y))
        return self.relu(shortcut + y)


def pad_to(x: Tensor, size: Tuple[int, int]) -> Tensor:
    """Zero-pad a map at the bottom/right up to ``size`` (TransUNet's skip maps).

    Args:
        x (Tensor): (B, C, h, w) map with ``h <= size[0]`` and ``w <= size[1]``.
        size (tuple[int, int]): Target (H, W).

    Returns:
        Tensor: (B, C, H, W).
    """
    dh, dw = size[0] - x.shape[-2], size[1] - x.shape[-1]
    if dh < 0 or dw < 0:
        raise ValueError(f'cannot pad {tuple(x.shape[-2:])} to the smaller {tuple(size)}')
    return F.pad(x, (0, dw, 0, dh)) if dh or dw else x


def resize_pos_embed(pos_embed: Tensor, grid: Tuple[int, int], new_grid: Tuple[int, int],
                     num_extra_tokens: int, mode: str = 'bicubic') -> Tensor:
    """Resize a learned (1, extra + gh*gw, C) position embedding to a new grid.

    The grid tokens are interpolated as a (1, C, gh, gw) map with
    ``align_corners=False``: ``mode='bicubic'`` as timm, ``mode='bilinear'`` as
    DPT's ``_resize_pos_embed`` (isl-org/DPT ``dpt/vit.py``). A resize to the
    same grid returns the embedding unchanged (both interpolations are then
    the identity).

    Args:
        pos_embed (Tensor): Embedding; the first ``num_extra_tokens`` (class
            token) entries are kept as they are.
        grid (tuple[int, int]): Its grid (gh, gw).
        new_grid (tuple[int, int]): The token grid of the input.
        num_extra_tokens (int): 1 with a class token, else 0.
        mode (str): ``'bicubic'`` (default) or ``'bilinear'``.

    Returns:
        Tensor: (1, extra + new_h * new_w, C).
    """
    if mode not in POS_EMBED_RESIZE_MODES:
        raise ValueError(f'resize_pos_embed: mode must be one of {POS_EMBED_RESIZE_MODES}, '
                         f'got {mode!r}')
    if tuple(grid) == tuple(new_grid):
        return pos_embed
    extra, tokens = pos_embed[:, :num_extra_tokens], pos_embed[:, num_extra_tokens:]
    c = tokens.shape[-1]
    tokens = tokens.reshape(1, grid[0], grid[1], c).permute(0, 3, 1, 2)
    tokens = F.interpolate(tokens, size=tuple(new_grid), mode=mode, align_corners=False)
    return torch.cat([extra, tokens.flatten(2).transpose(1, 2)], dim=1)


@MODELS.register_module()
class ViTHybrid(BaseModule):
    """R50 (BiT) + ViT hybrid encoder, multi-level outputs.

    Outputs, in this order: the trunk maps selected by ``stem_out_indices``
    (0: root, 64 ch at 1/2; 1: stage 1, 256 ch at 1/4; 2: stage 2, 512 ch at
    1/8) then the ViT layer outputs selected by ``out_indices`` as
    (B, embed_dims, H/16, W/16) maps (after the final LayerNorm for the last
    layer when ``final_norm``); with ``output_cls_token`` each ViT output is
    ``[map, cls_token]`` as for mmseg's ``VisionTransformer``.

    Args:
        stage_blocks (Sequence[int]): Units per trunk stage. Defaults to (3, 4, 9).
        stem_width (int): Root conv channels. Defaults to 64.
        embed_dims (int): ViT width. Defaults to 768.
        num_layers (int): ViT layers. Defaults to 12.
        num_heads (int): Attention heads. Defaults to 12.
        mlp_ratio (float): FFN expansion. Defaults to 4.
        qkv_bias (bool): Bias of q/k/v. Defaults to True.
        drop_rate (float): Dropout after the token embedding, in the FFN and
            after the attention projection. Defaults to 0.
        attn_drop_rate (float): Attention-weight dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth (linearly increasing). Defaults to 0.
        with_cls_token (bool): Prepend a class token. Defaults to False.
        use_pos_embed (bool): Learned position embedding. Defaults to False.
        pos_embed_grid (tuple[int, int]): Grid of the stored position embedding
            (24x24 for 384 inputs). Defaults to (24, 24).
        out_indices (Sequence[int]): ViT layers to output (negative counts from
            the end). Defaults to (-1,), the last layer.
        stem_out_indices (Sequence[int]): Trunk maps to output. Defaults to (0, 1, 2).
        output_cls_token (bool): Output ``[map, cls_token]`` pairs. Defaults to False.
        final_norm (bool): LayerNorm after the last layer. Defaults to True.
        padding (str): ``'symmetric'`` (TransUNet) or ``'tf_same'`` (timm).
        ws_eps (float): Weight-standardisation epsilon. Defaults to 1e-5.
        ws_formula (str): ``'var'``: ``(w - mean) / sqrt(var + ws_eps)``
            (TransDepth, current timm; default) or ``'std'``:
            ``(w - mean) / (std + ws_eps)`` (timm 0.4.5, DPT).
        pos_embed_resize (str): Interpolation of the position embedding for
            other grids: ``'bicubic'`` (timm; default) or ``'bilinear'`` (DPT).
        gn_eps (float): GroupNorm epsilon of root and residual branches. Defaults to 1e-6.
        proj_gn_per_channel (bool): One GroupNorm group per channel in the
            projections (TransUNet). Defaults to False.
        ln_eps (float): LayerNorm epsilon. Defaults to 1e-6.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=...)``
            loads a checkpoint in this module's, timm's or Google's ``.npz``
            layout (see :mod:`mmdepth_dgr.models.converters.vit_hybrid`).
    """

    def __init__(self,
                 stage_blocks: Sequence[int] = (3, 4, 9),
                 stem_width: int = 64,
                 embed_dims: int = 768,
                 num_layers: int = 12,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.0,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.0,
                 attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0,
                 with_cls_token: bool = False,
                 use_pos_embed: bool = False,
                 pos_embed_grid: Tuple[int, int] = (24, 24),
                 out_indices: Sequence[int] = (-1, ),
                 stem_out_indices: Sequence[int] = (0, 1, 2),
                 output_cls_token: bool = False,
                 final_norm: bool = True,
                 padding: str = 'symmetric',
                 ws_eps: float = 1e-5,
                 ws_formula: str = 'var',
                 pos_embed_resize: str = 'bicubic',
                 gn_eps: float = 1e-6,
                 proj_gn_per_channel: bool = False,
                 ln_eps: float = 1e-6,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if padding not in PADDINGS:
            raise ValueError(f'ViTHybrid: padding must be one of {PADDINGS}, got {padding!r}')
        if ws_formula not in WS_FORMULAS:
            raise ValueError(f'ViTHybrid: ws_formula must be one of {sorted(WS_FORMULAS)}, '
                             f'got {ws_formula!r}')
        if pos_embed_resize not in POS_EMBED_RESIZE_MODES:
            raise ValueError(f'ViTHybrid: pos_embed_resize must be one of '
                             f'{POS_EMBED_RESIZE_MODES}, got {pos_embed_resize!r}')
        if len(stage_blocks) != 3:
            raise ValueError(f'ViTHybrid: stage_blocks needs 3 stages, got {stage_blocks}')
        for i in out_indices:
            if not -num_layers <= i < num_layers:
                raise ValueError(f'ViTHybrid: out_indices {out_indices} outside '
                                 f'-{num_layers}..{num_layers - 1}')
        for i in stem_out_indices:
            if not 0 <= i <= 2:
                raise ValueError(f'ViTHybrid: stem_out_indices {stem_out_indices} outside 0..2')
        if output_cls_token and not with_cls_token:
            raise ValueError('ViTHybrid: output_cls_token=True needs with_cls_token=True')
        self.padding = padding
        self.out_indices = tuple(i % num_layers for i in out_indices)
        self.stem_out_indices = tuple(stem_out_indices)
        self.with_cls_token = with_cls_token
        self.output_cls_token = output_cls_token
        self.final_norm = final_norm
        self.pos_embed_grid = tuple(pos_embed_grid)
        self.embed_dims = embed_dims
        self.pos_embed_resize = pos_embed_resize
        tf_same = padding == 'tf_same'

        self.stem_conv = StdConv2d(3, stem_width, 7, stride=2, padding=0 if tf_same else 3,
                                   bias=False, eps=ws_eps, tf_same=tf_same,
                                   ws_formula=ws_formula)
        self.stem_gn = nn.GroupNorm(32, stem_width, eps=gn_eps)
        unit = dict(ws_eps=ws_eps, gn_eps=gn_eps, proj_gn_per_channel=proj_gn_per_channel,
                    tf_same=tf_same, ws_formula=ws_formula)
        self.stages = nn.ModuleList()
        in_ch = stem_width
        for i, n in enumerate(stage_blocks):
            out_ch = stem_width * 4 * 2**i
            blocks = [BiTBottleneck(in_ch, out_ch, stride=1 if i == 0 else 2, **unit)]
            blocks += [BiTBottleneck(out_ch, out_ch, **unit) for _ in range(n - 1)]
            self.stages.append(nn.Sequential(*blocks))
            in_ch = out_ch
        self.stem_channels = (stem_width, stem_width * 4, stem_width * 8)
        self.patch_embed = nn.Conv2d(in_ch, embed_dims, kernel_size=1)

        num_extra = 1 if with_cls_token else 0
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dims)) if with_cls_token else None
        self.pos_embed = nn.Parameter(torch.zeros(
            1, num_extra + self.pos_embed_grid[0] * self.pos_embed_grid[1],
            embed_dims)) if use_pos_embed else None
        self.drop_after_pos = nn.Dropout(drop_rate)
        # linearly increasing stochastic depth (plain floats: buildable on the meta device)
        dpr = [drop_path_rate * i / max(num_layers - 1, 1) for i in range(num_layers)]
        self.layers = nn.ModuleList(
            TransformerEncoderLayer(
                embed_dims=embed_dims, num_heads=num_heads,
                feedforward_channels=int(mlp_ratio * embed_dims), drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate, drop_path_rate=dpr[i], qkv_bias=qkv_bias,
                norm_cfg=dict(type='LN', eps=ln_eps), attn_cfg=dict(), ffn_cfg=dict())
            for i in range(num_layers))
        self.norm = nn.LayerNorm(embed_dims, eps=ln_eps) if final_norm else None

    @property
    def out_channels(self) -> List[int]:
        """list[int]: Channels of the outputs, in output order."""
        return [self.stem_channels[i] for i in self.stem_out_indices] + [
            self.embed_dims for _ in self.out_indices]

    def init_weights(self) -> None:
        """Load ``init_cfg``'s checkpoint (any supported layout) or initialise ViT-style."""
        if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
            from ..converters.vit_hybrid import convert_vit_hybrid_checkpoint
            state = load_any_checkpoint(self.init_cfg['checkpoint'])
            state = convert_vit_hybrid_checkpoint(state, self)
            missing, unexpected = self.load_state_dict(state, strict=False)
            print_log(f'ViTHybrid: loaded {self.init_cfg["checkpoint"]}; missing keys '
                      f'{missing}, unexpected keys {unexpected}', logger='current')
            return
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if self.pos_embed is not None:
            trunc_normal_(self.pos_embed, std=0.02)
        if self.cls_token is not None:
            trunc_normal_(self.cls_token, std=0.02)

    def forward_trunk(self, x: Tensor) -> Tuple[List[Tensor], Tensor]:
        """Run the BiT trunk.

        Args:
            x (Tensor): (B, 3, H, W) image.

        Returns:
            tuple[list[Tensor], Tensor]: The three skip maps (root, stage 1,
            stage 2) and the stage-3 map at 1/16 that is embedded as tokens.
        """
        h, w = x.shape[-2:]
        x = F.relu(self.stem_gn(self.stem_conv(x)))
        skips = [x]
        if self.padding == 'tf_same':
            x = F.max_pool2d(tf_same_pad(x, 3, 2, value=float('-inf')), 3, 2)
        else:
            x = F.max_pool2d(x, 3, 2)
        for i, stage in enumerate(self.stages[:-1]):
            x = stage(x)
            skips.append(pad_to(x, (h // (4 * 2**i), w // (4 * 2**i)))
                         if self.padding == 'symmetric' else x)
        return skips, self.stages[-1](x)

    def forward(self, x: Tensor) -> Tuple:
        """Encode an image.

        Args:
            x (Tensor): (B, 3, H, W) image, H and W multiples of 16.

        Returns:
            tuple: Trunk maps then ViT maps (or ``[map, cls]`` pairs), see class doc.
        """
        if x.shape[-2] % 16 or x.shape[-1] % 16:
            raise ValueError(f'ViTHybrid: input size {tuple(x.shape[-2:])} must be a multiple '
                             'of 16')
        skips, x = self.forward_trunk(x)
        x = self.patch_embed(x)
        b, c, gh, gw = x.shape
        x = x.flatten(2).transpose(1, 2)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(b, -1, -1), x], dim=1)
        if self.pos_embed is not None:
            x = x + resize_pos_embed(self.pos_embed, self.pos_embed_grid, (gh, gw),
                                     1 if self.cls_token is not None else 0,
                                     mode=self.pos_embed_resize)
        x = self.drop_after_pos(x)
        outs = [skips[i] for i in self.stem_out_indices]
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == len(self.layers) - 1 and self.norm is not None:
                x = self.norm(x)
            if i in self.out_indices:
                tokens = x[:, 1:] if self.cls_token is not None else x
                feat = tokens.transpose(1, 2).reshape(b, c, gh, gw).contiguous()
                outs.append([feat, x[:, 0]] if self.output_cls_token else feat)
        return tuple(outs)


def load_any_checkpoint(path: str) -> dict:
    """Load a ``.npz`` (Google ViT/BiT release) or a torch checkpoint from a path or URL.

    ``.npz`` URLs are cached in ``torch.hub``'s checkpoint directory.

    Args:
        path (str): Local path or ``http(s)://`` URL.

    Returns:
        dict: ``{name: Tensor}`` (npz arrays as tensors) or the torch state dict
        (``state_dict``/``model`` entries unwrapped).
    """
    if path.endswith('.npz'):
        if path.startswith(('http://', 'https://')):
            cache = osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(path))
            if not osp.isfile(cache):
                torch.hub.download_url_to_file(path, cache)
            path = cache
        with np.load(path) as arrays:
            return {k: torch.from_numpy(np.asarray(arrays[k])) for k in arrays.files}
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    for key in ('state_dict', 'model'):
        if isinstance(ckpt, dict) and key in ckpt and isinstance(ckpt[key], dict):
            return ckpt[key]
    return ckpt
