"""EfficientNet multi-level encoder (mmpretrain's ``EfficientNet``, registered in mmseg).

AdaBins (Bhat et al., CVPR'21) encodes with ``tf_efficientnet_b5_ap`` of
gen-efficientnet-pytorch and reads its skip features after blocks 0, 1, 2 and
4 and the output of the 1x1 head convolution *before* that convolution's
BatchNorm and Swish. mmpretrain's ``EfficientNet`` builds the same network
(TensorFlow "SAME" padding, BN eps 1e-3, Swish, squeeze-excitation; 28.34 M
parameters without the classifier for ``arch='b5'``) with the stages grouped
as ``layers``:

====  =========================================  ========  ======
index  content (gen-efficientnet name)            channels  stride
====  =========================================  ========  ======
0      stem conv + BN + Swish (``conv_stem``)       48        2
1      block stage 0 (3 depthwise-separable)        24        2
2      block stage 1 (5 inverted residuals)         40        4
3      block stage 2 (5)                            64        8
4      block stages 3 + 4 (7 + 7)                   176       16
5      block stages 5 + 6 (9 + 3)                   512       32
6      1x1 head conv (``conv_head``) + BN + Swish    2048      32
====  =========================================  ========  ======

(channels and strides for ``b5``). This subclass only adds
``head_norm_act=False``, which removes the BN (and skips the Swish) of the
head layer so that ``layers.6`` returns the raw head convolution as AdaBins
uses it; the parameter names stay mmpretrain's, so mmpretrain's ImageNet
checkpoints load with ``prefix='backbone.'`` (their head BN entries are then
reported as unexpected keys and ignored).
"""
from typing import Sequence

from mmpretrain.models.backbones import EfficientNet
from mmseg.registry import MODELS


@MODELS.register_module()
class EfficientNetEncoder(EfficientNet):
    """mmpretrain ``EfficientNet`` returning the layers of ``out_indices``.

    Args:
        arch (str): ``'b0'`` ... ``'b8'``, ``'l2'``, ``'es'``, ``'em'``, ``'el'``.
            Defaults to 'b5'.
        out_indices (Sequence[int]): Layers to return (see the module table).
            Defaults to (1, 2, 3, 4, 6), the AdaBins skips and head.
        head_norm_act (bool): Keep the BN and activation of the last (head)
            layer. ``False`` returns the head convolution's raw output, as
            AdaBins reads it. Defaults to True.
        **kwargs: Other ``EfficientNet`` arguments (``norm_cfg``,
            ``drop_path_rate``, ``frozen_stages``, ``init_cfg``, ...).
    """

    def __init__(self,
                 arch: str = 'b5',
                 out_indices: Sequence[int] = (1, 2, 3, 4, 6),
                 head_norm_act: bool = True,
                 **kwargs) -> None:
        super().__init__(arch=arch, out_indices=tuple(out_indices), **kwargs)
        self.head_norm_act = head_norm_act
        if not head_norm_act:
            head = self.layers[-1]
            delattr(head, head.norm_name)
            head.with_norm = False
            head.with_activation = False

    @property
    def level_channels(self) -> list:
        """list[int]: Channels of the returned layers, in ``out_indices`` order."""
        channels = []
        for i in self.out_indices:
            layer = self.layers[i]
            last = layer[-1] if hasattr(layer, '__getitem__') else layer
            channels.append(_out_channels(last))
        return channels


def _out_channels(module) -> int:
    """Output channels of an EfficientNet layer (ConvModule or residual block)."""
    for name in ('linear_conv', 'conv2'):
        if hasattr(module, name):
            return getattr(module, name).conv.out_channels
    return module.conv.out_channels
