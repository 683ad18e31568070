"""HAHI neck of Li et al.'s DepthFormer (hierarchical aggregation, heterogeneous interaction).

Li, Chen, Liu and Jiang, "DepthFormer: Exploiting Long-Range Correlation and
Local Information for Accurate Monocular Depth Estimation" (arXiv:2203.14211,
Sec. 3.3). The neck takes the convolution-branch map (level 0) and the four
Transformer levels, and

* **HA** (hierarchical aggregation): flattens the projected Transformer
  levels into one token set and runs a multi-scale *deformable self-attention*
  over it, so every level exchanges information with all the others;
* **HI** (heterogeneous interaction): uses the projected convolution features
  as queries of a multi-scale *deformable cross-attention* over the aggregated
  Transformer tokens, with reference points predicted from the query's
  positional encoding;

then concatenates each level with its attention output and fuses the two with
a 3x3 ConvModule. Deformable attention is mmcv's
:class:`~mmcv.ops.MultiScaleDeformableAttention` (CUDA kernel on GPU, its
PyTorch implementation on CPU).
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmcv.ops import MultiScaleDeformableAttention
from mmengine.model import BaseModule
from mmengine.model.weight_init import xavier_init
from mmseg.registry import MODELS
from torch import Tensor


def sine_positional_encoding(height: int,
                             width: int,
                             num_feats: int,
                             temperature: float = 10000.0,
                             device: Optional[torch.device] = None,
                             dtype: torch.dtype = torch.float32) -> Tensor:
    """Unnormalised 2-D sine positional encoding (DETR style) of an unpadded map.

    With ``y = 1..H`` and ``x = 1..W`` (cumulative counts of valid pixels, no
    normalisation) and frequencies ``f_k = temperature ** (2 * (k // 2) / num_feats)``
    for ``k = 0..num_feats-1``, channel ``k`` of the y part is
    ``sin(y / f_k)`` for even ``k`` and ``cos(y / f_k)`` for odd ``k``; the x part
    is the same in ``x``. The output stacks the y part then the x part, which is
    mmcv 1.x's ``SinePositionalEncoding(num_feats)`` (``normalize=False``) for
    an all-valid mask, as Li et al.'s HAHI uses.

    Args:
        height (int): H.
        width (int): W.
        num_feats (int): Channels per axis (the output has ``2 * num_feats``).
        temperature (float): Frequency base. Defaults to 10000.
        device (torch.device, optional): Device of the result.
        dtype (torch.dtype): Dtype of the result. Defaults to float32.

    Returns:
        Tensor: (2 * num_feats, H, W).
    """
    if num_feats < 2 or num_feats % 2:
        raise ValueError(f'sine_positional_encoding: num_feats must be even and >= 2, '
                         f'got {num_feats}')
    k = torch.arange(num_feats, dtype=torch.float32, device=device)
    freq = temperature ** (2 * torch.div(k, 2, rounding_mode='floor') / num_feats)
    even = (k % 2 == 0)

    def encode(positions: Tensor) -> Tensor:
        angles = positions[:, None] / freq  # (n, num_feats)
        return torch.where(even, angles.sin(), angles.cos())

    pos_y = encode(torch.arange(1, height + 1, dtype=torch.float32, device=device))
    pos_x = encode(torch.arange(1, width + 1, dtype=torch.float32, device=device))
    pos = torch.cat([pos_y[:, None, :].expand(height, width, num_feats),
                     pos_x[None, :, :].expand(height, width, num_feats)], dim=-1)
    return pos.permute(2, 0, 1).to(dtype)


def level_reference_points(spatial_shapes: Sequence[Tuple[int, int]],
                           device: Optional[torch.device] = None) -> Tensor:
    """Normalised pixel centres of every level, flattened level after level.

    Pixel ``(i, j)`` of a level of size ``(h, w)`` has the point
    ``((j + 0.5) / w, (i + 0.5) / h)`` (x, y in [0, 1]), the reference points
    of Deformable DETR's encoder for unpadded maps.

    Args:
        spatial_shapes (Sequence[tuple[int, int]]): ``(h, w)`` per level.
        device (torch.device, optional): Device of the result.

    Returns:
        Tensor: (sum h*w, 2) points in (x, y) order.
    """
    points = []
    for h, w in spatial_shapes:
        ys = (torch.arange(h, dtype=torch.float32, device=device) + 0.5) / h
        xs = (torch.arange(w, dtype=torch.float32, device=device) + 0.5) / w
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
        points.append(torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=-1))
    return torch.cat(points, dim=0)


def _tokens(x: Tensor) -> Tensor:
    """(B, C, H, W) -> (B, H*W, C)."""
    return x.flatten(2).transpose(1, 2)


@MODELS.register_module()
class DepthFormerHAHINeck(BaseModule):
    """HAHI: deformable self-attention over the Transformer levels, cross-attention from CNN.

    Input: ``[conv, t_1, ..., t_L]`` (the :class:`DepthFormerSwin` outputs);
    output: the same number of maps with ``out_channels``. With ``P`` the
    ``embed_dims``-channel projections and ``pos`` the sine positional
    encoding (:func:`sine_positional_encoding`) plus a learned per-level
    embedding::

        f_i     = lateral_i(x_i)                                    (1x1 ConvModule)
        S       = concat_i tokens(trans_proj_i(f_i))                Transformer tokens
        S'      = S + MSDeformAttn(S + pos, refs = pixel centres, values = S)     (HA)
        Q       = tokens(conv_proj(f_0))
        Q'      = Q + MSDeformAttn(Q + pos_0, refs = sigmoid(Linear(pos_0)), values = S')  (HI)
        out_0   = conv_fusion([Q', f_0])                            (3x3 ConvModule)
        out_i   = trans_fusion_i([f_i, S'_i])                       (3x3 ConvModule)

    (The two residuals are those of mmcv's attention module, which also applies
    dropout 0.1 to the attention output.) The released configs use 5 levels
    ``[64, 192, 384, 768, 1536]`` in and out, ``embed_dims=512``, 8 heads and 8
    sampling points per head and level.

    Args:
        in_channels (Sequence[int]): Channels of the inputs, conv level first.
        out_channels (Sequence[int]): Channels of the outputs.
        embed_dims (int): Attention width. Defaults to 512.
        num_heads (int): Attention heads. Defaults to 8.
        num_points (int): Sampling points per head and level. Defaults to 8.
        self_attn (bool): Run the HA self-attention. Defaults to True.
        cross_attn (bool): Run the HI cross-attention. Defaults to True.
        pos_temperature (float): Temperature of the positional encoding.
        attn_dropout (float): Dropout of the attention outputs. Defaults to 0.1.
        norm_cfg (dict): Norm of the ConvModules. Defaults to BN.
        act_cfg (dict): Activation of the ConvModules. Defaults to ReLU.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: Sequence[int],
                 embed_dims: int = 512,
                 num_heads: int = 8,
                 num_points: int = 8,
                 self_attn: bool = True,
                 cross_attn: bool = True,
                 pos_temperature: float = 10000.0,
                 attn_dropout: float = 0.1,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 act_cfg: Optional[dict] = dict(type='ReLU', inplace=True),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(out_channels) or len(in_channels) < 2:
            raise ValueError(f'DepthFormerHAHINeck: in_channels {list(in_channels)} and '
                             f'out_channels {list(out_channels)} need the same length >= 2')
        if embed_dims % 2 or embed_dims % num_heads:
            raise ValueError(f'DepthFormerHAHINeck: embed_dims {embed_dims} must be even and '
                             f'divisible by num_heads {num_heads}')
        self.in_channels = list(in_channels)
        self.out_channels = list(out_channels)
        self.embed_dims = embed_dims
        self.num_levels = len(in_channels) - 1  # Transformer levels
        self.with_self_attn = self_attn
        self.with_cross_attn = cross_attn
        self.pos_temperature = pos_temperature
        conv = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.lateral_convs = nn.ModuleList(
            ConvModule(c_in, c_out, 1, **conv)
            for c_in, c_out in zip(self.in_channels, self.out_channels, strict=True))
        self.trans_proj = nn.ModuleList(
            ConvModule(c, embed_dims, 1, **conv) for c in self.out_channels[1:])
        self.trans_fusion = nn.ModuleList(
            ConvModule(c + embed_dims, c, 3, padding=1, **conv) for c in self.out_channels[1:])
        # the official code sizes these two by in_channels[0] (equal to out_channels[0] there)
        self.conv_proj = ConvModule(self.out_channels[0], embed_dims, 1, **conv)
        self.conv_fusion = ConvModule(self.out_channels[0] + embed_dims, self.out_channels[0], 3,
                                      padding=1, **conv)
        self.reference_points = nn.Linear(embed_dims, 2)
        self.level_embed = nn.Parameter(torch.zeros(self.num_levels, embed_dims))
        attn = dict(embed_dims=embed_dims, num_heads=num_heads, num_levels=self.num_levels,
                    num_points=num_points, dropout=attn_dropout, batch_first=True)
        self.self_attn = MultiScaleDeformableAttention(**attn)
        self.cross_attn = MultiScaleDeformableAttention(**attn)

    def init_weights(self) -> None:
        """Xavier-uniform weights, zero biases, N(0, 1) level embedding (as released)."""
        super().init_weights()
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                xavier_init(m, distribution='uniform')
        nn.init.xavier_uniform_(self.reference_points.weight, gain=1.0)
        nn.init.constant_(self.reference_points.bias, 0.0)
        nn.init.normal_(self.level_embed)
        self.self_attn.init_weights()
        self.cross_attn.init_weights()

    def _pos(self, h: int, w: int, ref: Tensor) -> Tensor:
        """(1, h*w, embed_dims) positional encoding tokens."""
        pos = sine_positional_encoding(h, w, self.embed_dims // 2, self.pos_temperature,
                                       device=ref.device, dtype=ref.dtype)
        return _tokens(pos[None])

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Fuse the levels.

        Args:
            inputs (Sequence[Tensor]): ``[conv, t_1, ..., t_L]`` maps.

        Returns:
            tuple[Tensor]: One (B, out_channels[i], H_i, W_i) map per input.
        """
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'DepthFormerHAHINeck: got {len(inputs)} levels, in_channels '
                             f'{self.in_channels} expects {len(self.in_channels)}')
        feats = [conv(x) for conv, x in zip(self.lateral_convs, inputs, strict=True)]
        conv_feat, trans_feats = feats[0], feats[1:]
        batch = conv_feat.shape[0]
        shapes = [tuple(f.shape[2:]) for f in trans_feats]
        src = torch.cat([_tokens(proj(f)) for proj, f in zip(self.trans_proj, trans_feats,
                                                              strict=True)], dim=1)
        pos = torch.cat([self._pos(h, w, src) + self.level_embed[i].view(1, 1, -1)
                         for i, (h, w) in enumerate(shapes)], dim=1).expand(batch, -1, -1)
        spatial_shapes = torch.as_tensor(shapes, dtype=torch.long, device=src.device)
        level_start_index = torch.cat([spatial_shapes.new_zeros(1),
                                       spatial_shapes.prod(1).cumsum(0)[:-1]])
        attn_kwargs = dict(spatial_shapes=spatial_shapes, level_start_index=level_start_index)

        if self.with_self_attn:  # HA: deformable self-attention over all Transformer levels
            refs = level_reference_points(shapes, device=src.device).to(src.dtype)
            refs = refs[None, :, None, :].expand(batch, -1, self.num_levels, -1)
            src = self.self_attn(src, query_pos=pos, reference_points=refs, **attn_kwargs)

        query_map = self.conv_proj(conv_feat)
        h0, w0 = query_map.shape[2:]
        query = _tokens(query_map)
        if self.with_cross_attn:  # HI: CNN queries attend to the Transformer tokens
            query_pos = self._pos(h0, w0, query).expand(batch, -1, -1)
            refs = self.reference_points(query_pos).sigmoid()
            refs = refs[:, :, None, :].expand(-1, -1, self.num_levels, -1)
            query = self.cross_attn(query, value=src, query_pos=query_pos,
                                    reference_points=refs, **attn_kwargs)
        query_map = query.transpose(1, 2).reshape(batch, self.embed_dims, h0, w0)
        outs = [self.conv_fusion(torch.cat([query_map, conv_feat], dim=1))]

        start = 0
        for fusion, feat, (h, w) in zip(self.trans_fusion, trans_feats, shapes, strict=True):
            tokens = src[:, start:start + h * w]
            start += h * w
            attended = tokens.transpose(1, 2).reshape(batch, self.embed_dims, h, w)
            outs.append(fusion(torch.cat([feat, attended], dim=1)))
        return tuple(outs)

