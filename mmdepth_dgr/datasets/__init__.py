"""Datasets and transforms (registered in mmseg's DATASETS / TRANSFORMS)."""
from . import transforms  # noqa: F401
from .kitti import KITTIDepthDataset
from .nyu import NYUDepthDataset

__all__ = ['NYUDepthDataset', 'KITTIDepthDataset']
