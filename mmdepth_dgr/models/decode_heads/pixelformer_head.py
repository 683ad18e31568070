"""PixelFormer decoder: Skip Attention Modules and the Bin Center Predictor.

Agarwal and Arora, "Attention Attention Everywhere: Monocular Depth
Prediction with Skip Attention", WACV 2023 (ashutosh1807/PixelFormer), ref.
[3] of the paper. On a Swin-L encoder the decoder

1. pools the coarsest level with a pyramid pooling module (PPM, PSPNet) into
   the initial pixel queries ``Q_4`` (512 channels at 1/32);
2. predicts per-image adaptive bin centres from ``Q_4`` with the Bin Center
   Predictor (BCP: global average pool, MLP, softmax bin widths);
3. refines the queries coarse to fine with a Skip Attention Module (SAM) per
   encoder level, a window cross-attention whose queries are the decoder
   features and whose keys/values are the encoder features of that level,
   followed by a x2 pixel shuffle;
4. turns the finest queries (1/4) into per-pixel probabilities over the bins
   and outputs the expected bin centre.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model.weight_init import trunc_normal_
from mmseg.models.decode_heads.psp_head import PPM
from mmseg.registry import MODELS
from torch import Tensor

from .depth_base_head import DepthBaseHead


def window_partition(x: Tensor, window_size: int) -> Tensor:
    """Split a (B, H, W, C) map into non-overlapping windows.

    Args:
        x (Tensor): (B, H, W, C) with H and W multiples of ``window_size``.
        window_size (int): Window side.

    Returns:
        Tensor: (B * num_windows, window_size**2, C), windows in row-major order.
    """
    b, h, w, c = x.shape
    x = x.view(b, h // window_size, window_size, w // window_size, window_size, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window_size * window_size, c)


def window_reverse(windows: Tensor, window_size: int, height: int, width: int) -> Tensor:
    """Inverse of :func:`window_partition`.

    Args:
        windows (Tensor): (B * num_windows, window_size**2, C).
        window_size (int): Window side.
        height (int): H (a multiple of ``window_size``).
        width (int): W (a multiple of ``window_size``).

    Returns:
        Tensor: (B, H, W, C).
    """
    nh, nw = height // window_size, width // window_size
    b = windows.shape[0] // (nh * nw)
    x = windows.view(b, nh, nw, window_size, window_size, -1)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, height, width, -1)


def relative_position_index(window_size: int) -> Tensor:
    """Swin's relative position index of a square window.

    For tokens ``a = (ya, xa)`` and ``b = (yb, xb)`` of a window (row-major),
    the index into the ``(2w-1)**2`` bias table is
    ``(ya - yb + w - 1) * (2w - 1) + (xa - xb + w - 1)``.

    Args:
        window_size (int): Window side ``w``.

    Returns:
        Tensor: (w*w, w*w) long tensor.
    """
    coords = torch.stack(torch.meshgrid(torch.arange(window_size), torch.arange(window_size),
                                        indexing='ij')).flatten(1)  # 2, w*w
    rel = coords[:, :, None] - coords[:, None, :] + window_size - 1  # 2, w*w, w*w
    return rel[0] * (2 * window_size - 1) + rel[1]


def bin_centers(bin_probs: Tensor, min_depth: float, max_depth: float) -> Tensor:
    """Centres of adaptive bins whose normalised widths are ``bin_probs``.

    The widths ``(max_depth - min_depth) * p_k`` are laid out from ``min_depth``
    (AdaBins Eq. 2): ``c_k = min_depth + (max_depth - min_depth) *
    (sum_{j<k} p_j + p_k / 2)``.

    Args:
        bin_probs (Tensor): (B, N) non-negative widths summing to 1 per row.
        min_depth (float): Start of the depth range.
        max_depth (float): End of the depth range.

    Returns:
        Tensor: (B, N) increasing centres in ``(min_depth, max_depth)``.
    """
    widths = (max_depth - min_depth) * bin_probs
    edges = min_depth + torch.cumsum(F.pad(widths, (1, 0)), dim=1)
    return 0.5 * (edges[:, :-1] + edges[:, 1:])


def sam_projections(in_channels: int, query_channels: int, embed_dims: int,
                    proj_when_equal: bool = False) -> Tuple[bool, bool]:
    """Which 3x3 projections a SAM has: ``(proj_e, proj_q)``.

    The official rule (``SAM.__init__`` of ashutosh1807/PixelFormer): a
    projection exists only where its input channels differ from
    ``embed_dims``; ``proj_when_equal=True`` builds both in any case.

    Args:
        in_channels (int): Channels of the encoder level.
        query_channels (int): Channels of the decoder queries.
        embed_dims (int): Channels of the SAM.
        proj_when_equal (bool): Build both whatever the channels. Defaults to False.

    Returns:
        tuple[bool, bool]: Whether ``proj_e`` and ``proj_q`` are built.
    """
    if proj_when_equal:
        return True, True
    return in_channels != embed_dims, query_channels != embed_dims


class WindowCrossAttention(nn.Module):
    """Window attention with Swin's relative position bias; queries and keys differ.

    ``q = Linear(x)``, ``(k, v) = Linear(y)`` per window of ``N`` tokens,
    ``softmax(q k^T / sqrt(d) + B) v`` per head, then an output projection.

    Args:
        embed_dims (int): Channels.
        num_heads (int): Heads.
        window_size (int): Window side.
        qkv_bias (bool): Bias of the q/kv projections. Defaults to True.
    """

    def __init__(self, embed_dims: int, num_heads: int, window_size: int,
                 qkv_bias: bool = True) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'WindowCrossAttention: embed_dims {embed_dims} not divisible by '
                             f'num_heads {num_heads}')
        self.num_heads = num_heads
        self.window_size = window_size
        self.scale = (embed_dims // num_heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window_size - 1) ** 2, num_heads))
        self.register_buffer('relative_position_index', relative_position_index(window_size),
                             persistent=False)
        self.q = nn.Linear(embed_dims, embed_dims, bias=qkv_bias)
        self.kv = nn.Linear(embed_dims, 2 * embed_dims, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)
        trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """Attend from the windows of ``x`` to the windows of ``y``.

        Args:
            x (Tensor): (B_, N, C) query windows.
            y (Tensor): (B_, N, C) key/value windows.

        Returns:
            Tensor: (B_, N, C).
        """
        b, n, c = x.shape
        q = self.q(x).view(b, n, self.num_heads, -1).transpose(1, 2)
        k, v = self.kv(y).view(b, n, 2, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        attn = attn + bias.view(n, n, -1).permute(2, 0, 1).unsqueeze(0)
        out = attn.softmax(dim=-1) @ v
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    """``fc2(GELU(fc1(x)))``."""

    def __init__(self, in_features: int, hidden_features: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the MLP."""
        return self.fc2(self.act(self.fc1(x)))


class SkipAttentionBlock(nn.Module):
    """Pre-norm Transformer block with window cross-attention (no shift)::

        x = x + WCA(LN_q(x), LN_kv(y))
        x = x + MLP(LN_ffn(x))

    Both maps are zero-padded (after their norms) to multiples of the window,
    and padded tokens take part in the attention unmasked, as in the official
    code.

    Args:
        embed_dims (int): Channels.
        num_heads (int): Heads.
        window_size (int): Window side. Defaults to 7.
        mlp_ratio (float): MLP expansion. Defaults to 4.
    """

    def __init__(self, embed_dims: int, num_heads: int, window_size: int = 7,
                 mlp_ratio: float = 4.0) -> None:
        super().__init__()
        self.window_size = window_size
        self.norm_q = nn.LayerNorm(embed_dims)
        self.norm_kv = nn.LayerNorm(embed_dims)
        self.attn = WindowCrossAttention(embed_dims, num_heads, window_size)
        self.norm_ffn = nn.LayerNorm(embed_dims)
        self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio))

    def forward(self, x: Tensor, y: Tensor, hw_shape: Tuple[int, int]) -> Tensor:
        """Run the block.

        Args:
            x (Tensor): (B, H*W, C) query tokens (decoder).
            y (Tensor): (B, H*W, C) key/value tokens (encoder).
            hw_shape (tuple[int, int]): (H, W).

        Returns:
            Tensor: (B, H*W, C).
        """
        h, w = hw_shape
        b, n, c = x.shape
        ws = self.window_size
        pad_b, pad_r = (ws - h % ws) % ws, (ws - w % ws) % ws
        xq = F.pad(self.norm_q(x).view(b, h, w, c), (0, 0, 0, pad_r, 0, pad_b))
        yk = F.pad(self.norm_kv(y).view(b, h, w, c), (0, 0, 0, pad_r, 0, pad_b))
        hp, wp = h + pad_b, w + pad_r
        out = self.attn(window_partition(xq, ws), window_partition(yk, ws))
        out = window_reverse(out, ws, hp, wp)[:, :h, :w].reshape(b, n, c)
        x = x + out
        return x + self.mlp(self.norm_ffn(x))


class SkipAttentionModule(nn.Module):
    """SAM: decoder queries attend to one encoder level inside local windows.

    With ``E = proj_e(e)`` and ``Q = proj_q(q)`` (3x3 convs to ``embed_dims``)::

        out = LN(SkipAttentionBlock(Q, E)) + E + Q

    The official SAM (``networks/SAM.py``) builds ``proj_e`` only when the
    encoder level's channels differ from ``embed_dims`` and ``proj_q`` only
    when the query channels do, and otherwise uses the map as it is: that is
    ``proj_when_equal=False`` (:func:`sam_projections`). Its 'large' versions
    need every projection, its 'base' versions (Swin-B widths 128..1024 equal
    the SAM widths) none of the four ``proj_e``. ``proj_when_equal=True``
    (the default, kept for existing configs) always builds both.

    Args:
        in_channels (int): Channels of the encoder level.
        query_channels (int): Channels of the incoming decoder queries.
        embed_dims (int): Channels of the module.
        num_heads (int): Attention heads.
        window_size (int): Window side. Defaults to 7.
        proj_when_equal (bool): Build the projections also where the channel
            counts already match. Defaults to True.
    """

    def __init__(self, in_channels: int, query_channels: int, embed_dims: int, num_heads: int,
                 window_size: int = 7, proj_when_equal: bool = True) -> None:
        super().__init__()
        self.embed_dims = embed_dims
        with_e, with_q = sam_projections(in_channels, query_channels, embed_dims,
                                         proj_when_equal)
        self.proj_e = nn.Conv2d(in_channels, embed_dims, 3, padding=1) if with_e else None
        self.proj_q = nn.Conv2d(query_channels, embed_dims, 3, padding=1) if with_q else None
        self.block = SkipAttentionBlock(embed_dims, num_heads, window_size)
        self.norm_out = nn.LayerNorm(embed_dims)

    def forward(self, e: Tensor, q: Tensor) -> Tensor:
        """Refine the queries with the encoder features.

        Args:
            e (Tensor): (B, in_channels, H, W) encoder level.
            q (Tensor): (B, query_channels, H, W) decoder queries.

        Returns:
            Tensor: (B, embed_dims, H, W).
        """
        if e.shape[2:] != q.shape[2:]:
            raise ValueError(f'SkipAttentionModule: encoder map {tuple(e.shape)} and queries '
                             f'{tuple(q.shape)} differ in size (pad inputs to a multiple of 32)')
        if self.proj_e is not None:
            e = self.proj_e(e)
        if self.proj_q is not None:
            q = self.proj_q(q)
        b, c, h, w = q.shape
        out = self.block(q.flatten(2).transpose(1, 2), e.flatten(2).transpose(1, 2), (h, w))
        out = self.norm_out(out).transpose(1, 2).reshape(b, c, h, w)
        return out + e + q


class BinCenterPredictor(nn.Module):
    """BCP: adaptive bin centres from the global context of the initial queries.

    ``p = softmax(fc2(GELU(fc1(GAP(Q_4)))))``, centres by :func:`bin_centers`.

    Args:
        in_channels (int): Channels of ``Q_4``.
        hidden_channels (int): MLP width.
        num_bins (int): Number of bins.
        min_depth (float): Start of the bins.
        max_depth (float): End of the bins.
    """

    def __init__(self, in_channels: int, hidden_channels: int, num_bins: int, min_depth: float,
                 max_depth: float) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_channels, hidden_channels)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_channels, num_bins)
        self.min_depth = min_depth
        self.max_depth = max_depth

    def forward(self, x: Tensor) -> Tensor:
        """Predict the centres.

        Args:
            x (Tensor): (B, C, H, W) queries.

        Returns:
            Tensor: (B, num_bins) centres in metres.
        """
        probs = self.fc2(self.act(self.fc1(x.mean(dim=(2, 3))))).softmax(dim=1)
        return bin_centers(probs, self.min_depth, self.max_depth)


@MODELS.register_module()
class PixelFormerHead(DepthBaseHead):
    """PixelFormer's decoder (PPM queries, four SAMs, BCP, bin-weighted depth).

    For encoder levels ``e_0..e_3`` (1/4 .. 1/32)::

        Q_4 = bottleneck(concat(e_3, PPM(e_3)))                  channels (512)
        c   = BCP(Q_4)                                           num_bins centres
        Q_i = SAM_i(e_i, shuffle(Q_{i+1}))   i = 3..0  (no shuffle before SAM_3)
        depth = sum_k softmax(conv_depth(Q_0))_k * c_k            at 1/4

    ``shuffle`` is a x2 pixel shuffle (channels / 4). The released model:
    Swin-L levels ``[192, 384, 768, 1536]``, ``channels=512``, SAM widths
    ``[128, 256, 512, 1024]`` with ``[4, 8, 16, 32]`` heads and window 7,
    256 bins, BCP hidden width 2048, BN in the PPM bottleneck and GroupNorm
    (256 groups) in every PPM branch, bins from ``min_depth=0.1``. The
    official module also defines a 3x3 conv ``proj`` in every SAM that its
    forward never uses (12.5 M parameters for Swin-L); it is not built here
    and the checkpoint converter drops it.

    Since the depth is a convex combination of bin centres it lies in
    ``[min_depth, max_depth]`` without an activation (``depth_act`` is
    ``'identity'``).

    Args:
        in_channels (Sequence[int]): Channels of the four encoder levels.
        channels (int): Width of the PPM output ``Q_4``. Defaults to 512.
        sam_dims (Sequence[int]): Width of SAM_0..SAM_3.
        sam_heads (Sequence[int]): Heads of SAM_0..SAM_3.
        window_size (int): SAM window. Defaults to 7.
        num_bins (int): Bins. Defaults to 256.
        bcp_hidden (int): BCP MLP width. Defaults to 2048.
        pool_scales (Sequence[int]): PPM scales. Defaults to (1, 2, 3, 6).
        norm_cfg (dict): Norm of the PPM bottleneck. Defaults to BN.
        ppm_norm_cfg (dict): Norm of the PPM branches. Defaults to GN(256).
        act_cfg (dict): Activation of the PPM convs. Defaults to ReLU.
        loss_min_depth (float, optional): Extra lower bound of the ground
            truth used by the loss (the official KITTI training uses
            ``gt > 1.0``, NYU ``gt > 0.1``). Defaults to None (``min_depth``).
        min_depth (float): Start of the bins (and of the valid ground truth).
            Defaults to 0.1 (official).
        depth_act (str): Output activation; 'identity' (default), since the
            bins already bound the depth.
        sam_proj_when_equal (bool): Give every SAM both 3x3 projections even
            where the channel counts already match (default, kept for
            existing configs); False builds exactly the official modules,
            which drop them there (:func:`sam_projections`; the official
            'base' versions have no ``proj_e``).
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (PyTorch's default initialisation, as the official model).
        **kwargs: :class:`DepthBaseHead` arguments (``max_depth``,
            ``loss_decode``, ``align_corners``).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int = 512,
                 sam_dims: Sequence[int] = (128, 256, 512, 1024),
                 sam_heads: Sequence[int] = (4, 8, 16, 32),
                 window_size: int = 7,
                 num_bins: int = 256,
                 bcp_hidden: int = 2048,
                 pool_scales: Sequence[int] = (1, 2, 3, 6),
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 ppm_norm_cfg: Optional[dict] = dict(type='GN', num_groups=256,
                                                     requires_grad=True),
                 act_cfg: dict = dict(type='ReLU'),
                 loss_min_depth: Optional[float] = None,
                 min_depth: float = 0.1,
                 depth_act: str = 'identity',
                 sam_proj_when_equal: bool = True,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        in_channels = list(in_channels)
        sam_dims, sam_heads = list(sam_dims), list(sam_heads)
        if not len(in_channels) == len(sam_dims) == len(sam_heads):
            raise ValueError(f'PixelFormerHead: in_channels {in_channels}, sam_dims {sam_dims} '
                             f'and sam_heads {sam_heads} need one entry per level')
        query_dims = [d // 4 for d in sam_dims[1:]] + [channels]  # after the pixel shuffles
        if any(d % 4 for d in sam_dims[1:]):
            raise ValueError(f'PixelFormerHead: sam_dims[1:] {sam_dims[1:]} must be divisible '
                             'by 4 (x2 pixel shuffle)')
        super().__init__(in_channels=in_channels, channels=channels, min_depth=min_depth,
                         in_index=list(range(len(in_channels))),
                         input_transform='multiple_select', depth_act=depth_act,
                         init_cfg=init_cfg, **kwargs)
        self.loss_min_depth = loss_min_depth
        self.psp_modules = PPM(tuple(pool_scales), in_channels[-1], channels, conv_cfg=None,
                               norm_cfg=ppm_norm_cfg, act_cfg=act_cfg,
                               align_corners=self.align_corners)
        self.bottleneck = ConvModule(in_channels[-1] + len(pool_scales) * channels, channels, 3,
                                     padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.sams = nn.ModuleList(
            SkipAttentionModule(c, q, d, n, window_size, proj_when_equal=sam_proj_when_equal)
            for c, q, d, n in zip(in_channels, query_dims, sam_dims, sam_heads, strict=True))
        self.bin_predictor = BinCenterPredictor(channels, bcp_hidden, num_bins, self.min_depth,
                                                self.max_depth)
        self.conv_depth = nn.Conv2d(sam_dims[0], num_bins, kernel_size=3, padding=1)

    def initial_queries(self, x: Tensor) -> Tensor:
        """``Q_4 = bottleneck(concat(x, PPM(x)))`` on the coarsest level."""
        return self.bottleneck(torch.cat([x] + self.psp_modules(x), dim=1))

    def forward(self, inputs: Tuple[Tensor]) -> Tensor:
        """Predict depth at 1/4 of the input resolution.

        Args:
            inputs (tuple[Tensor]): The four encoder levels, finest first.

        Returns:
            Tensor: (B, 1, H/4, W/4) depth in metres.
        """
        feats: List[Tensor] = self._transform_inputs(inputs)
        q = self.initial_queries(feats[-1])
        centers = self.bin_predictor(q)
        for level in reversed(range(len(feats))):
            if level < len(feats) - 1:
                q = F.pixel_shuffle(q, 2)
            q = self.sams[level](feats[level], q)
        probs = self.conv_depth(q).softmax(dim=1)
        return (probs * centers[:, :, None, None]).sum(dim=1, keepdim=True)

    def valid_mask(self, gt: Tensor) -> Tensor:
        """:meth:`DepthBaseHead.valid_mask`, also requiring ``gt > loss_min_depth`` if set."""
        mask = super().valid_mask(gt)
        if self.loss_min_depth is not None:
            mask = mask & (gt > self.loss_min_depth)
        return mask


__all__ = ['PixelFormerHead', 'SkipAttentionModule', 'BinCenterPredictor', 'bin_centers',
           'relative_position_index', 'sam_projections', 'window_partition', 'window_reverse']
