"""Data transforms for depth estimation (registered in mmseg's TRANSFORMS)."""
from .color_aug import DepthColorAug
from .ibims_loading import LoadIBimsAnnotations
from .kb_crop import KBCrop
from .loading import LoadDepthEdgeMap, LoadDepthMap
from .nyu_border_crop import NYUBorderCrop
from .random_rotate import DepthRandomRotate
from .zeroshot_loading import LoadDIODEDepth, LoadSUNRGBDDepth, MaskDepthOutsideWindow

__all__ = [
    'LoadDepthMap', 'LoadDepthEdgeMap', 'LoadIBimsAnnotations', 'KBCrop', 'DepthRandomRotate',
    'DepthColorAug', 'NYUBorderCrop', 'LoadSUNRGBDDepth', 'LoadDIODEDepth',
    'MaskDepthOutsideWindow'
]
