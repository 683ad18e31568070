"""AdaBins decode head (Bhat et al., "AdaBins: Depth Estimation using Adaptive Bins", CVPR'21)."""
from typing import List, Optional, Sequence, Tuple

import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import UpFuseBlock
from .bins_depth_head import BinsDepthHead


@MODELS.register_module()
class AdaBinsHead(BinsDepthHead):
    """AdaBins decoder, adaptive bins and depth (Bhat et al., CVPR'21).

    The head is the official ``UnetAdaptiveBins`` minus its encoder:

    1. U-Net decoder (``DecoderBN``): a 1x1 conv of the deepest features to
       ``decoder_channels`` (with ``padding=1`` as in the official code, which
       adds a one-pixel border that the next upsampling absorbs), four
       :class:`~mmdepth_dgr.models.utils.UpFuseBlock` s (AdaBins'
       ``UpSampleBN``: upsample to the skip, concatenate, two 3x3
       conv-BN-LeakyReLU whose convs keep their bias) fusing the skips from
       coarse to fine and halving the width, and a 3x3 conv to ``channels``
       (128) at the resolution of the finest skip (1/2 of the input for
       EfficientNet).
    2. :class:`AdaBinsMiniViT` (``minivit``): bin widths ``w`` (B, n_bins) and
       range-attention maps ``R``.
    3. ``p = softmax(conv_out(R))`` over ``n_bins`` channels, edges
       ``e = bin_edges_from_widths(w, min_depth, max_depth)``, centres
       ``c`` and depth ``d = sum_i p_i c_i``.

    :meth:`forward` returns ``(depth, bin_edges)``. Training adds ``loss_bins``
    (the chamfer loss between the bin centres and the valid ground-truth
    depths) to the depth losses of ``loss_decode`` (SILog in AdaBins).
    The prediction stays in ``[min_depth, max_depth]`` by construction.

    Args:
        in_channels (Sequence[int]): Channels of the selected levels, fine to
            coarse: four skips then the deepest map. Defaults to
            EfficientNet-B5's (24, 40, 64, 176, 2048).
        channels (int): Decoder output channels (the mini-ViT input). Defaults to 128.
        in_index (Sequence[int]): Backbone levels used. Defaults to (0, 1, 2, 3, 4).
        decoder_channels (int): Width after the first 1x1 conv, halved by
            every upsampling block. Defaults to 2048.
        init_cfg (dict, optional): Initialisation config.
        **kwargs: :class:`BinsDepthHead` arguments (``n_bins``, ``minivit_cfg``,
            ``norm_cfg`` and ``act_cfg`` of the decoder blocks, ``loss_bins``,
            ``align_corners``) and :class:`DepthBaseHead` ones (``min_depth``,
            ``max_depth``, ``loss_decode``).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (24, 40, 64, 176, 2048),
                 channels: int = 128,
                 in_index: Sequence[int] = (0, 1, 2, 3, 4),
                 decoder_channels: int = 2048,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        if len(in_channels) != 5 or len(in_index) != 5:
            raise ValueError(f'AdaBinsHead: needs 4 skips and 1 deepest level, got in_channels '
                             f'{list(in_channels)} and in_index {list(in_index)}')
        super().__init__(in_channels=list(in_channels), channels=channels,
                         in_index=list(in_index), input_transform='multiple_select',
                         init_cfg=init_cfg, **kwargs)
        self.bottleneck = nn.Conv2d(in_channels[-1], decoder_channels, 1, padding=1)
        widths = [decoder_channels // 2**i for i in range(5)]
        # the convolutions keep their bias before BN, as AdaBins' nn.Conv2d do
        self.up_blocks = nn.ModuleList(
            UpFuseBlock(widths[i], in_channels[3 - i], widths[i + 1], self.norm_cfg,
                        self.act_cfg, self.align_corners, conv_bias=True) for i in range(4))
        self.conv_decoder_out = nn.Conv2d(widths[-1], channels, 3, padding=1)
        self.build_minivit(channels)
        self.conv_out = nn.Conv2d(self.minivit.n_queries, self.n_bins, 1)

    def decode(self, feats: List[Tensor]) -> Tensor:
        """Run the U-Net decoder.

        Args:
            feats (list[Tensor]): Four skips (fine to coarse) and the deepest map.

        Returns:
            Tensor: (B, channels, H0, W0) at the finest skip's resolution.
        """
        x = self.bottleneck(feats[4])
        for i, block in enumerate(self.up_blocks):
            x = block(x, feats[3 - i])
        return self.conv_decoder_out(x)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """Predict depth and bins.

        Args:
            inputs (Sequence[Tensor]): Backbone (or neck) levels.

        Returns:
            tuple[Tensor, Tensor]: (B, 1, H0, W0) depth in metres and
            (B, n_bins + 1) bin edges.
        """
        x = self.decode(self._transform_inputs(inputs))
        widths, attention = self.minivit(x)
        return self.depth_and_edges(widths, self.conv_out(attention))
