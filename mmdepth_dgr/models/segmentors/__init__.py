"""Segmentors: :class:`SlidingDepthEstimator` (mmseg's ``DepthEstimator`` with working
``mode='slide'``), the flip test-time augmentation :class:`DepthTTAModel` and the sparse-pixel
probe."""
from .depth_estimator import SlidingDepthEstimator
from .depth_tta import DepthTTAModel, flip_average, view_is_flipped
from .sparse_pixel_probe import SparsePixelProbe, load_target_model_config

__all__ = [
    'DepthTTAModel', 'SlidingDepthEstimator', 'SparsePixelProbe', 'flip_average',
    'load_target_model_config', 'view_is_flipped'
]
