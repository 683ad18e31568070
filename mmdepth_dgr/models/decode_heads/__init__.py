"""Depth decode heads (registered in mmseg's MODELS)."""
from .depth_base_head import DEPTH_ACTIVATIONS, DepthBaseHead, depth_activation
from .multiscale_depth_head import MultiScaleDepthHead

__all__ = ['DepthBaseHead', 'MultiScaleDepthHead', 'DEPTH_ACTIVATIONS', 'depth_activation']
