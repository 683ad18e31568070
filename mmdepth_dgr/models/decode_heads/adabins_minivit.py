"""The mini-ViT "adaptive bins" block of AdaBins (Bhat et al., CVPR'21, Sec. 3.2, Fig. 2)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

BIN_NORMS = ('linear', 'softmax', 'sigmoid')


def normalize_bin_widths(y: Tensor, norm: str = 'linear', eps: float = 0.1) -> Tensor:
    """Turn the regressor output into bin widths that are positive and sum to 1.

    ``'linear'`` (AdaBins' default): ``w = (relu(y) + eps) / sum(relu(y) + eps)``;
    ``'softmax'``: ``softmax(y)``; ``'sigmoid'``: ``sigmoid(y) / sum(sigmoid(y))``.

    Args:
        y (Tensor): (B, N) raw regressor output.
        norm (str): One of :data:`BIN_NORMS`.
        eps (float): Offset of the ``'linear'`` normalisation. Defaults to 0.1.

    Returns:
        Tensor: (B, N) normalised widths.
    """
    if norm == 'linear':
        y = torch.relu(y) + eps
    elif norm == 'softmax':
        return torch.softmax(y, dim=1)
    elif norm == 'sigmoid':
        y = torch.sigmoid(y)
    else:
        raise ValueError(f'unknown bin-width norm {norm!r}, expected one of {BIN_NORMS}')
    return y / y.sum(dim=1, keepdim=True)


@MODELS.register_module()
class AdaBinsMiniViT(BaseModule):
    """Mini-ViT of AdaBins: global bin widths and range-attention maps.

    The decoder features ``x`` (B, C, h, w) are cut into ``patch_size``
    patches, embedded by a ``patch_size``-strided conv, given a learned
    position embedding and encoded by a post-norm Transformer encoder
    (``num_layers`` layers, ReLU FFN, dropout 0.1, PyTorch's
    ``nn.TransformerEncoderLayer``). The first output token is regressed by an
    MLP to ``n_bins`` widths (:func:`normalize_bin_widths`); the next
    ``n_queries`` tokens are 1x1 kernels applied to ``conv3x3(x)`` by a
    per-pixel dot product, giving the range-attention maps ``R`` (B,
    n_queries, h, w).

    The defaults are AdaBins' published hyper-parameters (embedding 128, 4
    layers, 4 heads, FFN 1024, patch 16, 128 queries, 256 bins, 'linear'
    norm, 500 learned positions).

    Args:
        in_channels (int): Channels of ``x``. Defaults to 128.
        n_queries (int): Range-attention queries. Defaults to 128.
        patch_size (int): Patch size. Defaults to 16.
        n_bins (int): Bins. Defaults to 256.
        embed_dims (int): Transformer width, also the channels of the query
            kernels (``conv3x3`` maps the input to it for the dot product).
            Defaults to 128.
        num_heads (int): Attention heads. Defaults to 4.
        num_layers (int): Encoder layers. Defaults to 4.
        feedforward_channels (int): FFN width. Defaults to 1024.
        dropout (float): Transformer dropout. Defaults to 0.1.
        regressor_channels (int): Hidden width of the bin-width MLP. Defaults to 256.
        norm (str): Bin-width normalisation, see :func:`normalize_bin_widths`.
            Defaults to 'linear'.
        max_patches (int): Size of the learned position table. Defaults to 500.
        pad_queries (bool): When the input has fewer than ``n_queries + 1``
            patches (decoder maps smaller than about 185x185, i.e. images
            smaller than about 370x370), use zero range-attention maps for the
            missing queries instead of raising ``ValueError`` (the official
            code fails with a shape error there). Defaults to False.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 128,
                 n_queries: int = 128,
                 patch_size: int = 16,
                 n_bins: int = 256,
                 embed_dims: int = 128,
                 num_heads: int = 4,
                 num_layers: int = 4,
                 feedforward_channels: int = 1024,
                 dropout: float = 0.1,
                 regressor_channels: int = 256,
                 norm: str = 'linear',
                 max_patches: int = 500,
                 pad_queries: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if norm not in BIN_NORMS:
            raise ValueError(f'AdaBinsMiniViT: norm must be one of {BIN_NORMS}, got {norm!r}')
        self.n_queries = n_queries
        self.patch_size = patch_size
        self.n_bins = n_bins
        self.norm = norm
        self.max_patches = max_patches
        self.pad_queries = pad_queries
        self.patch_embed = nn.Conv2d(in_channels, embed_dims, patch_size, stride=patch_size)
        # uniform [0, 1) initialisation, as in AdaBins
        self.pos_embed = nn.Parameter(torch.rand(max_patches, embed_dims))
        # sequence-first (S, B, E) as AdaBins; this also keeps PyTorch's fused
        # inference kernel (batch-first only) out, so FLOP tracers see the layers
        layer = nn.TransformerEncoderLayer(embed_dims, num_heads, feedforward_channels, dropout)
        self.transformer = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.conv3x3 = nn.Conv2d(in_channels, embed_dims, 3, padding=1)
        self.regressor = nn.Sequential(
            nn.Linear(embed_dims, regressor_channels), nn.LeakyReLU(),
            nn.Linear(regressor_channels, regressor_channels), nn.LeakyReLU(),
            nn.Linear(regressor_channels, n_bins))

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Compute bin widths and range-attention maps.

        Args:
            x (Tensor): (B, in_channels, h, w) decoder features.

        Returns:
            tuple[Tensor, Tensor]: (B, n_bins) normalised bin widths (positive,
            summing to 1) and (B, n_queries, h, w) range-attention maps.
        """
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)  # B, S, E
        num_patches = tokens.shape[1]
        if num_patches > self.max_patches:
            raise ValueError(f'AdaBinsMiniViT: {num_patches} patches of {self.patch_size} px '
                             f'in a {tuple(x.shape[-2:])} map exceed max_patches='
                             f'{self.max_patches}')
        if num_patches < self.n_queries + 1 and not self.pad_queries:
            raise ValueError(f'AdaBinsMiniViT: a {tuple(x.shape[-2:])} map has {num_patches} '
                             f'patches of {self.patch_size} px, fewer than n_queries + 1 = '
                             f'{self.n_queries + 1}; use a larger input or pad_queries=True')
        tokens = tokens + self.pos_embed[:num_patches].unsqueeze(0)
        tokens = self.transformer(tokens.transpose(0, 1)).transpose(0, 1)  # B, S, E
        widths = normalize_bin_widths(self.regressor(tokens[:, 0]), self.norm)
        queries = tokens[:, 1:self.n_queries + 1]  # B, Q, E
        if queries.shape[1] < self.n_queries:
            queries = F.pad(queries, (0, 0, 0, self.n_queries - queries.shape[1]))
        feats = self.conv3x3(x)
        attention = torch.einsum('bqe,behw->bqhw', queries, feats)
        return widths, attention
