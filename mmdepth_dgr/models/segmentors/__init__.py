"""Segmentors (mmseg's ``DepthEstimator`` is used as is) and the sparse-pixel probe."""
from .mask_net import MaskNet
from .sparse_pixel_probe import SparsePixelProbe, load_target_model_config

__all__ = ['MaskNet', 'SparsePixelProbe', 'load_target_model_config']
