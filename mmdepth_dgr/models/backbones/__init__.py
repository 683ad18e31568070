"""Backbones (wrappers around mmseg/mmpretrain backbones)."""
from .depthformer_swin import DepthFormerSwin
from .dgr_backbone import DGRBackbone, backbone_kind, stage_channels
from .efficientnet_encoder import EfficientNetEncoder
from .segformer_mit import SegFormerMiT
from .vit_hybrid import ViTHybrid

__all__ = ['DGRBackbone', 'backbone_kind', 'stage_channels']
__all__ += ['ViTHybrid']
__all__ += ['DepthFormerSwin']
__all__ += ['EfficientNetEncoder']
__all__ += ['SegFormerMiT']
