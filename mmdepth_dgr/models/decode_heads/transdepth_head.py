"""TransDepth decode head (Yang et al., "Transformer-Based Attention Networks for Continuous
Pixel-Wise Prediction", ICCV'21; official code ygjwd12345/TransDepth).

TransDepth = R50+ViT-B/16 hybrid encoder (:class:`~mmdepth_dgr.models.backbones.ViTHybrid`)
+ this head, which holds, in the order of the official forward pass:

1. The two "reassembling" convolutions that the official code keeps inside its
   encoder (TransUNet's ``DecoderCup.conv_more``/``conv_more_``): ViT tokens
   (768 ch, 1/16) -> 1024 ch at 1/16 -> 2048 ch at 1/32 (3x3 conv, BN, ReLU).
2. The Attention Gate Decoder (AGD, :class:`AttentionGateDecoder`): attention-
   gated multi-scale message passing from the 1/8, 1/16 and 1/32 maps to the
   1/32 map, computed at 1/8 and brought back to 1/32 by two strided convs.
3. The BTS decoder (Lee et al., arXiv:1907.10326) with dense ASPP and local
   planar guidance (:func:`local_planar_guidance`) at 1/8, 1/4 and 1/2,
   ending in ``max_depth * sigmoid(conv(x))``.

The loss is BTS's SILog, ``10 * sqrt(mean(d^2) - 0.85 mean(d)^2)`` over the
valid pixels of the batch (``ScaleInvariantLoss(lamb=0.85, use_sqrt=True,
scale=10, reduction='batch')``).
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmseg.registry import MODELS
from torch import Tensor

from .depth_base_head import DepthBaseHead

DILATIONS = (1, 4, 8)


def structured_attention(att: Tensor, rank: int, generator: Optional[torch.Generator] = None
                         ) -> Tensor:
    """TransDepth's structured (channel x spatial) attention with random channel mixing.

    For ``rank = R > 0``::

        out = sum_{i=1..R} sigmoid(sum_c a_i[c] * att[c]) * a_i * att,
        a_i = softmax(z_i),  z_i ~ N(0, I_C) drawn per sample and call

    (the official ``struc_att``); ``rank = 0`` returns ``att`` unchanged. The
    official code trains with rank 3 and tests with rank 5.

    Args:
        att (Tensor): (B, C, H, W) attention logits.
        rank (int): Number of random channel mixtures R (>= 0).
        generator (torch.Generator, optional): RNG for ``z_i``.

    Returns:
        Tensor: (B, C, H, W).
    """
    if rank < 0:
        raise ValueError(f'structured_attention: rank must be >= 0, got {rank}')
    if rank == 0:
        return att
    b, c = att.shape[:2]
    out = torch.zeros_like(att)
    for _ in range(rank):
        z = torch.randn(b, c, device=att.device, dtype=att.dtype, generator=generator)
        channel = torch.softmax(z, dim=1)[:, :, None, None]
        spatial = torch.sigmoid((channel * att).sum(dim=1, keepdim=True))
        out = out + spatial * channel * att
    return out


def unfold_neighbours(x: Tensor, dilation: int) -> Tensor:
    """The 3x3 (dilated, zero-padded) neighbourhood of every pixel.

    Args:
        x (Tensor): (B, C, H, W).
        dilation (int): Dilation of the 3x3 window.

    Returns:
        Tensor: (B, C, 9, H, W); index 4 of dim 2 is the centre pixel.
    """
    b, c, h, w = x.shape
    return F.unfold(x, 3, dilation=dilation, padding=dilation).view(b, c, 9, h, w)


def apply_pixel_kernels(kernels: Tensor, neighbours: Tensor) -> Tensor:
    """Per-pixel 3x3 filtering: ``sum_k kernels[:, k] * neighbours[:, :, k]``.

    Args:
        kernels (Tensor): (B, 9, H, W), one kernel per pixel shared by all channels.
        neighbours (Tensor): (B, C, 9, H, W) from :func:`unfold_neighbours`.

    Returns:
        Tensor: (B, C, H, W).
    """
    return (kernels.unsqueeze(1) * neighbours).sum(dim=2)


class AttentionGatedMessage(nn.Module):
    """Attention-gated message from a sender map ``s`` to a receiver map ``r`` (AGD).

    For each dilation ``d`` in (1, 4, 8), with ``N_d(x)`` the 3x3 dilated
    neighbourhood and per-pixel kernels predicted by 3x3 convs::

        M_d = K_d([s, r]) * N_d(s)                         (conditional-kernel message)
        A_d = r . M_d + Ks_d(s) * N_d(s) + Kr_d(r) * N_d(r) (attention logits)
        A_d = structured_attention(A_d, rank)
        out = ReLU(Conv1x1([A_1 . M_1, A_4 . M_4, A_8 . M_8]))

    where ``*`` is :func:`apply_pixel_kernels` and ``.`` the element-wise product.

    Args:
        channels (int): Width C of ``s`` and ``r``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.kernel_pred = nn.ModuleList(
            nn.Conv2d(2 * channels, 9, 3, padding=d, dilation=d) for d in DILATIONS)
        self.kernel_send = nn.ModuleList(
            nn.Conv2d(channels, 9, 3, padding=d, dilation=d) for d in DILATIONS)
        self.kernel_recv = nn.ModuleList(
            nn.Conv2d(channels, 9, 3, padding=d, dilation=d) for d in DILATIONS)
        self.fuse = nn.Sequential(nn.Conv2d(3 * channels, channels, 1), nn.ReLU(inplace=True))

    def forward(self, receiver: Tensor, sender: Tensor, rank: int) -> Tensor:
        """Compute the message.

        Args:
            receiver (Tensor): (B, C, H, W) receiving map ``r``.
            sender (Tensor): (B, C, H, W) sending map ``s``.
            rank (int): Rank of :func:`structured_attention`.

        Returns:
            Tensor: (B, C, H, W) fused message.
        """
        pair = torch.cat([sender, receiver], dim=1)
        gated = []
        for i, d in enumerate(DILATIONS):
            n_send = unfold_neighbours(sender, d)
            n_recv = unfold_neighbours(receiver, d)
            message = apply_pixel_kernels(self.kernel_pred[i](pair), n_send)
            logits = (receiver * message + apply_pixel_kernels(self.kernel_send[i](sender), n_send)
                      + apply_pixel_kernels(self.kernel_recv[i](receiver), n_recv))
            gated.append(structured_attention(logits, rank) * message)
        return self.fuse(torch.cat(gated, dim=1))


class AttentionGateDecoder(nn.Module):
    """TransDepth's Attention Gate Decoder (AGD) on the 1/8, 1/16 and 1/32 maps.

    Each map is projected to ``channels`` by a 3x3 conv + BN + ReLU and resized
    (nearest) to the 1/8 grid; the 1/32 map receives one
    :class:`AttentionGatedMessage` from each of the three maps (itself
    included); ``[m_8, m_16, m_32, f_32]`` (4C) then goes back to 1/32 through
    two 3x3/2 convs + BN + ReLU, giving 4C channels.

    Args:
        in_channels (Sequence[int]): Channels of the 1/8, 1/16, 1/32 maps.
        channels (int): Message width C. Defaults to 512.
        norm_cfg (dict): Norm of the convs.
    """

    def __init__(self, in_channels: Sequence[int], channels: int = 512,
                 norm_cfg: dict = dict(type='BN', requires_grad=True)) -> None:
        super().__init__()
        if len(in_channels) != 3:
            raise ValueError(f'AttentionGateDecoder: needs the 1/8, 1/16, 1/32 channels, got '
                             f'{in_channels}')
        self.lateral_convs = nn.ModuleList(
            ConvModule(c, channels, 3, padding=1, norm_cfg=norm_cfg) for c in in_channels)
        self.messages = nn.ModuleList(AttentionGatedMessage(channels) for _ in in_channels)
        self.down_convs = nn.Sequential(
            ConvModule(4 * channels, 4 * channels, 3, stride=2, padding=1, bias=True,
                       norm_cfg=norm_cfg),
            ConvModule(4 * channels, 4 * channels, 3, stride=2, padding=1, bias=True,
                       norm_cfg=norm_cfg))

    def forward(self, feats: Sequence[Tensor], rank: int) -> Tensor:
        """Fuse the three maps into a new 1/32 map.

        Args:
            feats (Sequence[Tensor]): The 1/8, 1/16 and 1/32 maps.
            rank (int): Rank of the structured attention.

        Returns:
            Tensor: (B, 4C, H/32, W/32).
        """
        size = feats[0].shape[2:]
        lat = [F.interpolate(conv(x), size=size, mode='nearest')
               for conv, x in zip(self.lateral_convs, feats, strict=True)]
        receiver = lat[2]
        msgs = [msg(receiver, sender, rank) for msg, sender in zip(self.messages, lat,
                                                                   strict=True)]
        return self.down_convs(torch.cat(msgs + [receiver], dim=1))


def plane_params_to_equation(raw: Tensor, max_depth: float) -> Tensor:
    """BTS plane coefficients from three raw channels.

    ``theta = sigmoid(r0) * pi / 3``, ``phi = sigmoid(r1) * 2 pi``,
    ``dist = sigmoid(r2) * max_depth``; returns the unit normal
    ``(sin(theta) cos(phi), sin(theta) sin(phi), cos(theta))`` and ``dist``.

    Args:
        raw (Tensor): (B, 3, H, W).
        max_depth (float): Largest depth.

    Returns:
        Tensor: (B, 4, H, W) = (n1, n2, n3, n4).
    """
    theta = torch.sigmoid(raw[:, 0]) * math.pi / 3
    phi = torch.sigmoid(raw[:, 1]) * math.pi * 2
    dist = torch.sigmoid(raw[:, 2]) * max_depth
    normal = torch.stack([torch.sin(theta) * torch.cos(phi), torch.sin(theta) * torch.sin(phi),
                          torch.cos(theta)], dim=1)
    return torch.cat([F.normalize(normal, p=2, dim=1), dist.unsqueeze(1)], dim=1)


def local_planar_guidance(plane_eq: Tensor, upratio: int) -> Tensor:
    """BTS local planar guidance (Lee et al., Eq. 1): a depth plane per coarse cell.

    Every coarse pixel is expanded to a ``k x k`` patch (``k = upratio``) whose
    depth follows its local plane::

        d(u, v) = n4 / (n1 * u + n2 * v + n3),  u, v in {(i - (k - 1) / 2) / k}

    with ``u`` the normalised column and ``v`` the normalised row offset inside
    the patch.

    Args:
        plane_eq (Tensor): (B, 4, H, W) plane coefficients.
        upratio (int): Expansion k.

    Returns:
        Tensor: (B, 1, kH, kW) depth.
    """
    eq = plane_eq.repeat_interleave(upratio, dim=2).repeat_interleave(upratio, dim=3)
    offsets = (torch.arange(upratio, device=plane_eq.device, dtype=plane_eq.dtype)
               - (upratio - 1) * 0.5) / upratio
    h, w = eq.shape[2:]
    u = offsets.repeat(w // upratio).view(1, 1, w)
    v = offsets.repeat(h // upratio).view(1, h, 1)
    depth = eq[:, 3] / (eq[:, 0] * u + eq[:, 1] * v + eq[:, 2])
    return depth.unsqueeze(1)


class BTSReduction(nn.Module):
    """BTS ``reduction_1x1``: 1x1 convs + ELU halving the width down to 8, then an output conv.

    Widths: ``in -> out -> out/2 -> ... -> 8`` (each 1x1 conv without bias and
    ELU), then a 1x1 conv to 3 plane channels (converted by
    :func:`plane_params_to_equation`) or, with ``final``, to 1 channel + sigmoid.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Width of the first conv (>= 8).
        max_depth (float): For the plane distance.
        final (bool): Output a sigmoid map instead of a plane.
    """

    def __init__(self, in_channels: int, out_channels: int, max_depth: float,
                 final: bool = False) -> None:
        super().__init__()
        if out_channels < 8:
            raise ValueError(f'BTSReduction: out_channels must be >= 8, got {out_channels}')
        self.max_depth = max_depth
        self.final = final
        convs = []
        while out_channels >= 8:
            convs += [nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.ELU()]
            in_channels, out_channels = out_channels, out_channels // 2
        self.convs = nn.Sequential(*convs)
        self.out_conv = nn.Conv2d(in_channels, 1 if final else 3, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        """(B, 1, H, W) sigmoid map when ``final``, else (B, 4, H, W) plane coefficients."""
        x = self.out_conv(self.convs(x))
        return torch.sigmoid(x) if self.final else plane_params_to_equation(x, self.max_depth)


class DenseASPPBranch(nn.Module):
    """One BTS dense-ASPP branch.

    ``[BN] -> ReLU -> 1x1 conv (2C) -> BN -> ReLU -> 3x3 dilated conv (C)``.

    The two norms differ in BTS (and TransDepth): the input norm has the TF-style
    ``eps=1.1e-5`` of the other BTS norms, the one after the 1x1 conv PyTorch's
    default ``eps=1e-5`` (``mid_norm_cfg``).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels C.
        dilation (int): Dilation of the 3x3 conv.
        first_norm (bool): Normalise the input first.
        norm_cfg (dict): Norm config of the input norm.
        mid_norm_cfg (dict, optional): Norm config after the 1x1 conv.
            Defaults to ``norm_cfg``.
    """

    def __init__(self, in_channels: int, out_channels: int, dilation: int, first_norm: bool,
                 norm_cfg: dict, mid_norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        self.norm_in = build_norm_layer(norm_cfg, in_channels)[1] if first_norm else None
        self.reduce = ConvModule(in_channels, 2 * out_channels, 1, bias=False,
                                 norm_cfg=norm_cfg if mid_norm_cfg is None else mid_norm_cfg)
        self.conv = nn.Conv2d(2 * out_channels, out_channels, 3, padding=dilation,
                              dilation=dilation, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the branch."""
        if self.norm_in is not None:
            x = self.norm_in(x)
        return self.conv(self.reduce(F.relu(x)))


@MODELS.register_module()
class TransDepthHead(DepthBaseHead):
    """TransDepth head: reassembling convs, AGD and the BTS decoder (see module doc).

    Inputs (``in_index`` of the backbone): the 1/2, 1/4 and 1/8 trunk maps and
    the 1/16 ViT map of :class:`ViTHybrid` (64, 256, 512, 768 channels).

    Args:
        in_channels (Sequence[int]): Channels of the four inputs.
        channels (int): BTS width (``bts_size``). Defaults to 512.
        reassemble_channels (Sequence[int]): Widths of the 1/16 and 1/32 maps
            made from the ViT map. Defaults to (1024, 2048).
        agd_channels (int): AGD message width. Defaults to 512.
        attention_rank (int): Structured-attention rank in training (official 3).
        test_attention_rank (int): Rank at inference (official 5).
        norm_cfg (dict): Norm of the reassembling and AGD convs.
        bts_norm_cfg (dict): Norm of the BTS decoder (TF-style momentum 0.01,
            eps 1.1e-5 as in BTS).
        daspp_mid_eps (float): ``eps`` of the norm after each dense-ASPP 1x1
            conv (``bts_norm_cfg`` otherwise). Defaults to 1e-5, as in BTS and
            TransDepth, whose ``atrous_conv`` leaves that norm at PyTorch's
            default while giving the others 1.1e-5.
        **kwargs: :class:`DepthBaseHead` arguments (``max_depth``, ``loss_decode``, ...);
            ``depth_act`` must be ``'sigmoid'`` (``max_depth * sigmoid``).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (64, 256, 512, 768),
                 channels: int = 512,
                 reassemble_channels: Sequence[int] = (1024, 2048),
                 agd_channels: int = 512,
                 attention_rank: int = 3,
                 test_attention_rank: int = 5,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 bts_norm_cfg: dict = dict(type='BN', momentum=0.01, eps=1.1e-5,
                                           requires_grad=True),
                 daspp_mid_eps: float = 1e-5,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 init_cfg: Optional[dict] = dict(type='Xavier', distribution='uniform',
                                                 layer='Conv2d'),
                 **kwargs) -> None:
        if len(in_channels) != 4 or len(in_index) != 4:
            raise ValueError(f'TransDepthHead: needs 4 inputs (1/2, 1/4, 1/8, 1/16), got '
                             f'in_channels {list(in_channels)} and in_index {list(in_index)}')
        if kwargs.get('depth_act', 'sigmoid') != 'sigmoid':
            raise ValueError('TransDepthHead: depth_act must be sigmoid, got '
                             f'{kwargs["depth_act"]}')
        if channels % 32 or channels < 256:
            raise ValueError('TransDepthHead: channels must be a multiple of 32 >= 256 (the '
                             f'last BTS reduction starts at channels / 32 >= 8), got {channels}')
        if attention_rank < 0 or test_attention_rank < 0:
            raise ValueError('TransDepthHead: attention ranks must be >= 0, got '
                             f'{attention_rank}, {test_attention_rank}')
        super().__init__(in_channels=list(in_channels), channels=channels,
                         in_index=list(in_index), input_transform='multiple_select',
                         depth_channels=channels // 16, init_cfg=init_cfg, **kwargs)
        self.conv_depth = nn.Conv2d(channels // 16, 1, 3, padding=1, bias=False)
        self.attention_rank = attention_rank
        self.test_attention_rank = test_attention_rank
        c_half, c_quarter, c_trunk, c_vit = in_channels
        c16, c32 = reassemble_channels
        self.reassemble = nn.Sequential(
            ConvModule(c_vit, c16, 3, padding=1, norm_cfg=norm_cfg),
            ConvModule(c16, c32, 3, stride=2, padding=1, norm_cfg=norm_cfg))
        self.agd = AttentionGateDecoder([c_trunk, c16, c32], agd_channels, norm_cfg)
        nf = channels
        after_act = dict(norm_cfg=bts_norm_cfg, act_cfg=dict(type='ELU'),
                         order=('conv', 'act', 'norm'), bias=False)
        plain = dict(norm_cfg=None, act_cfg=dict(type='ELU'), bias=False)
        self.upconv5 = ConvModule(4 * agd_channels, nf, 3, padding=1, **after_act)
        self.conv5 = ConvModule(nf + c16, nf, 3, padding=1, **plain)
        self.upconv4 = ConvModule(nf, nf // 2, 3, padding=1, **after_act)
        self.conv4 = ConvModule(nf // 2 + c_trunk, nf // 2, 3, padding=1, **after_act)
        concat4 = nf // 2 + c_trunk
        mid = dict(bts_norm_cfg, eps=daspp_mid_eps)
        self.daspp = nn.ModuleList([
            DenseASPPBranch(nf // 2, nf // 4, 3, False, bts_norm_cfg, mid),
            DenseASPPBranch(concat4 + nf // 4, nf // 4, 6, True, bts_norm_cfg, mid),
            DenseASPPBranch(concat4 + nf // 2, nf // 4, 12, True, bts_norm_cfg, mid),
            DenseASPPBranch(concat4 + 3 * nf // 4, nf // 4, 18, True, bts_norm_cfg, mid),
            DenseASPPBranch(concat4 + nf, nf // 4, 24, True, bts_norm_cfg, mid)])
        self.daspp_conv = ConvModule(nf // 2 + 5 * nf // 4, nf // 4, 3, padding=1, **plain)
        max_depth = self.max_depth
        self.reduc8x8 = BTSReduction(nf // 4, nf // 4, max_depth)
        self.upconv3 = ConvModule(nf // 4, nf // 4, 3, padding=1, **after_act)
        self.conv3 = ConvModule(nf // 4 + c_quarter + 1, nf // 4, 3, padding=1, **plain)
        self.reduc4x4 = BTSReduction(nf // 4, nf // 8, max_depth)
        self.upconv2 = ConvModule(nf // 4, nf // 8, 3, padding=1, **after_act)
        self.conv2 = ConvModule(nf // 8 + c_half + 1, nf // 8, 3, padding=1, **plain)
        self.reduc2x2 = BTSReduction(nf // 8, nf // 16, max_depth)
        self.upconv1 = ConvModule(nf // 8, nf // 16, 3, padding=1, **plain)
        self.reduc1x1 = BTSReduction(nf // 16, nf // 32, max_depth, final=True)
        self.conv1 = ConvModule(nf // 16 + 4, nf // 16, 3, padding=1, **plain)

    @property
    def current_rank(self) -> int:
        """int: The structured-attention rank for the current mode."""
        return self.attention_rank if self.training else self.test_attention_rank

    def _planar_depth(self, reduction: BTSReduction, feat: Tensor, upratio: int) -> Tensor:
        """Full-resolution LPG depth of ``feat`` divided by ``max_depth``."""
        return local_planar_guidance(reduction(feat), upratio) / self.max_depth

    def forward_bts(self, skips: List[Tensor], dense: Tensor) -> Tuple[Tensor, ...]:
        """BTS decoder.

        Args:
            skips (list[Tensor]): 1/2, 1/4, 1/8 and 1/16 maps.
            dense (Tensor): 1/32 map from the AGD.

        Returns:
            tuple[Tensor, ...]: Last features (B, channels/16, H, W) and the
            LPG depths (scaled by ``1/max_depth``) at 1/8, 1/4 and 1/2.
        """
        skip0, skip1, skip2, skip3 = skips

        def up(x: Tensor) -> Tensor:
            return F.interpolate(x, scale_factor=2, mode='nearest')

        iconv5 = self.conv5(torch.cat([self.upconv5(up(F.relu(dense))), skip3], dim=1))
        concat4 = torch.cat([self.upconv4(up(iconv5)), skip2], dim=1)
        iconv4 = self.conv4(concat4)
        branches = [self.daspp[0](iconv4)]
        dense_in = torch.cat([concat4, branches[0]], dim=1)
        for branch in self.daspp[1:]:
            branches.append(branch(dense_in))
            dense_in = torch.cat([dense_in, branches[-1]], dim=1)
        daspp_feat = self.daspp_conv(torch.cat([iconv4] + branches, dim=1))

        depth_8x8 = self._planar_depth(self.reduc8x8, daspp_feat, 8)
        iconv3 = self.conv3(torch.cat([
            self.upconv3(up(daspp_feat)), skip1,
            F.interpolate(depth_8x8, scale_factor=0.25, mode='nearest')], dim=1))
        depth_4x4 = self._planar_depth(self.reduc4x4, iconv3, 4)
        iconv2 = self.conv2(torch.cat([
            self.upconv2(up(iconv3)), skip0,
            F.interpolate(depth_4x4, scale_factor=0.5, mode='nearest')], dim=1))
        depth_2x2 = self._planar_depth(self.reduc2x2, iconv2, 2)
        upconv1 = self.upconv1(up(iconv2))
        iconv1 = self.conv1(torch.cat(
            [upconv1, self.reduc1x1(upconv1), depth_2x2, depth_4x4, depth_8x8], dim=1))
        return iconv1, depth_8x8, depth_4x4, depth_2x2

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Predict depth.

        Args:
            inputs (Sequence[Tensor]): Backbone (or neck) levels.

        Returns:
            Tensor: (B, 1, H, W) depth in metres at the input resolution.
        """
        half, quarter, eighth, vit = self._transform_inputs(inputs)
        map16 = self.reassemble[0](vit)
        map32 = self.reassemble[1](map16)
        dense = self.agd([eighth, map16, map32], self.current_rank)
        iconv1 = self.forward_bts([half, quarter, eighth, map16], dense)[0]
        return self.depth_pred(iconv1)
