"""Data transforms for depth estimation (registered in mmseg's TRANSFORMS)."""
from .color_aug import DepthColorAug
from .kb_crop import KBCrop
from .loading import LoadDepthMap
from .nyu_border_crop import NYUBorderCrop
from .random_rotate import DepthRandomRotate

__all__ = ['LoadDepthMap', 'KBCrop', 'DepthRandomRotate', 'DepthColorAug', 'NYUBorderCrop']
