"""DGRBlock: the per-level Depth Gradient Refinement block (Sec. 3.2, Eq. 9-14, Fig. 4)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from .derivative_filters import (
    depthwise_derivatives,
    depthwise_weight,
    laplacian_kernel,
    third_order_kernel,
)


def outer_product(u: Tensor, v: Tensor) -> Tensor:
    """Per-pixel outer product of two feature maps, flattened to channels.

    Args:
        u (Tensor): (B, r1, H, W).
        v (Tensor): (B, r2, H, W).

    Returns:
        Tensor: (B, r1 * r2, H, W) with channel ``i * r2 + j`` = ``u_i * v_j``.
    """
    if u.shape[0] != v.shape[0] or u.shape[2:] != v.shape[2:]:
        raise ValueError(f'outer_product: shapes {tuple(u.shape)} and {tuple(v.shape)} differ '
                         'in batch or spatial size')
    return torch.einsum('bihw,bjhw->bijhw', u, v).flatten(1, 2)


def _check_norm_groups(norm_cfg: Optional[dict], channels: int, what: str) -> None:
    """Raise a clear error when a GroupNorm config cannot normalise ``channels``."""
    if norm_cfg is not None and norm_cfg.get('type') == 'GN':
        groups = norm_cfg.get('num_groups')
        if groups is None or channels % groups:
            raise ValueError(f'DGRBlock: GN num_groups={groups} must divide the {channels} '
                             f'channels of {what} (3 x the level channels)')


class DGRBlock(BaseModule):
    """Depth Gradient Refinement of one feature level (Eq. 9-14).

    With ``F`` the (B, C, H, W) input features::

        L, H   = fixed depthwise Laplacian / third-order filters of F        (Eq. 9-10)
        M      = Concat(F, L, H)                              3C channels   (Eq. 11)
        w      = sigmoid(FC2(ReLU(FC1(GAP(M)))))              3C weights    (Eq. 12)
        S      = Conv(ReLU(M * w))                            3C channels   (Eq. 13)
        U, V   = P_s(S), P_m(Norm(M))                         r channels each
        I      = Conv1x1(U (x) V)          per-pixel r x r outer product -> C (Eq. 14)
        out    = F + I

    Design choices (the paper gives no sizes):

    * The fixed filters are non-trainable, non-persistent buffers (not in the
      state dict): they are constants defined by
      :mod:`.derivative_filters`, so checkpoints do not depend on them.
    * FC1/FC2 are 1x1 convs with bias and no norm (a norm on a GAP vector
      fails for batch 1 in training); the hidden width is
      ``max(C // reduction, 8)`` where ``C`` is the level's input channels
      (so ``reduction=4`` gives a 3C -> C/4 -> 3C bottleneck, 12x w.r.t. the
      3C merged channels). Parameters ``1.5 C^2`` at ``reduction=4``: this
      is the block's dominant cost and what keeps Swin-L within +3 %.
    * Eq. 13's Conv is depthwise ``spatial_kernel x spatial_kernel`` (3x3 by
      default) on the 3C channels, then norm and ``act_cfg``. A dense 3x3 conv
      on 3C channels would cost ``27 C^2`` parameters (64 M at Swin-L's 1536
      channel level, a third of the whole backbone); its channel-mixing part
      is provided by the low-rank projection ``P_s`` that follows, so the pair
      is a depthwise-separable conv 3C -> r.
    * Eq. 14's outer product ``S (x) M`` of two 3C-channel maps would have
      ``9 C^2`` channels per pixel; both are first projected by 1x1 convs to
      ``rank`` channels (``P_s`` on S, ``P_m`` on M after a norm layer since
      the raw derivative channels have arbitrary scale), the ``rank^2``
      outer-product channels are reduced back to C by the final 1x1 conv.
      The projections have a bias, so the bilinear map also contains the
      linear terms in U and V.
    * Residual output; the final 1x1 conv is zero-initialised when
      ``zero_init`` (default), so the block starts as the identity while every
      other layer keeps its normal initialisation (the last layer receives a
      non-zero gradient at once, the others after the first update).

    Args:
        channels (int): Input (= output) channels C.
        reduction (int): Channel-attention bottleneck ratio w.r.t. C. Defaults to 4.
        rank (int): Low-rank dimension r of the outer product. Defaults to 8.
        norm_cfg (dict, optional): Norm config (BN, SyncBN, GN, ...) for the
            spatial conv and the projection of M. GN's ``num_groups`` must
            divide 3C.
        act_cfg (dict, optional): Activation after the spatial conv's norm.
        zero_init (bool): Zero-initialise the final 1x1 conv. Defaults to True.
        spatial_kernel (int): Odd kernel size of the depthwise spatial conv (Eq. 13).
        init_cfg (dict, optional): Initialisation config (applied before the
            zero init of the last layer, which it cannot override).
    """

    def __init__(self,
                 channels: int,
                 reduction: int = 4,
                 rank: int = 8,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 zero_init: bool = True,
                 spatial_kernel: int = 3,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('channels', channels), ('reduction', reduction), ('rank', rank)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'DGRBlock: {name} must be a positive int, got {value!r}')
        if not isinstance(spatial_kernel, int) or spatial_kernel < 1 or spatial_kernel % 2 == 0:
            raise ValueError(f'DGRBlock: spatial_kernel must be a positive odd int, got '
                             f'{spatial_kernel!r}')
        merged = 3 * channels
        _check_norm_groups(norm_cfg, merged, 'the merged features')
        self.channels = channels
        self.rank = rank
        self.zero_init = zero_init
        self.hidden = max(channels // reduction, 8)
        self.register_buffer('lap_weight', depthwise_weight(laplacian_kernel(), channels),
                             persistent=False)
        self.register_buffer('third_weight', depthwise_weight(third_order_kernel(), channels),
                             persistent=False)
        # Eq. 12
        self.fc1 = nn.Conv2d(merged, self.hidden, 1)
        self.fc2 = nn.Conv2d(self.hidden, merged, 1)
        # Eq. 13
        self.spatial_conv = ConvModule(merged, merged, spatial_kernel, padding=spatial_kernel // 2,
                                       groups=merged, norm_cfg=norm_cfg, act_cfg=act_cfg)
        # Eq. 14, low-rank
        self.proj_spatial = nn.Conv2d(merged, rank, 1)
        self.merged_norm = (build_norm_layer(norm_cfg, merged)[1]
                            if norm_cfg is not None else nn.Identity())
        self.proj_merged = nn.Conv2d(merged, rank, 1)
        self.reduce = nn.Conv2d(rank * rank, channels, 1)
        if zero_init:
            self._zero_last_layer()

    def _zero_last_layer(self) -> None:
        nn.init.zeros_(self.reduce.weight)
        nn.init.zeros_(self.reduce.bias)

    def init_weights(self) -> None:
        """Apply ``init_cfg`` (if any), then zero the last layer when ``zero_init``."""
        super().init_weights()
        if self.zero_init:
            self._zero_last_layer()

    def merge(self, x: Tensor) -> Tensor:
        """Eq. 9-11: ``Concat(F, L * F, H * F)``.

        Args:
            x (Tensor): (B, C, H, W).

        Returns:
            Tensor: (B, 3C, H, W).
        """
        lap, third = depthwise_derivatives(x, self.lap_weight, self.third_weight)
        return torch.cat([x, lap, third], dim=1)

    def channel_weights(self, merged: Tensor) -> Tensor:
        """Eq. 12: ``sigmoid(FC2(ReLU(FC1(GAP(M)))))``.

        Args:
            merged (Tensor): (B, 3C, H, W).

        Returns:
            Tensor: (B, 3C, 1, 1) weights in (0, 1).
        """
        pooled = F.adaptive_avg_pool2d(merged, 1)
        return torch.sigmoid(self.fc2(F.relu(self.fc1(pooled))))

    def recalibrate(self, merged: Tensor) -> Tuple[Tensor, Tensor]:
        """Eq. 12-14 without the residual.

        Args:
            merged (Tensor): (B, 3C, H, W).

        Returns:
            tuple[Tensor, Tensor]: ``F_spatial`` (B, 3C, H, W) and
            ``F_interaction`` (B, C, H, W).
        """
        spatial = self.spatial_conv(F.relu(merged * self.channel_weights(merged)))
        u = self.proj_spatial(spatial)
        v = self.proj_merged(self.merged_norm(merged))
        return spatial, self.reduce(outer_product(u, v))

    def forward(self, x: Tensor) -> Tensor:
        """Refine one level.

        Args:
            x (Tensor): (B, C, H, W) features.

        Returns:
            Tensor: (B, C, H, W), ``x + F_interaction``.
        """
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f'DGRBlock: expected (B, {self.channels}, H, W) features, got '
                             f'{tuple(x.shape)}')
        _, interaction = self.recalibrate(self.merge(x))
        return x + interaction
