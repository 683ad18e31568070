"""Segmentors (mmseg's ``DepthEstimator`` is used as is) and the sparse-pixel probe."""
from .sparse_pixel_probe import SparsePixelProbe, load_target_model_config

__all__ = ['SparsePixelProbe', 'load_target_model_config']
