"""Datasets and transforms (registered in mmseg's DATASETS / TRANSFORMS)."""
from . import transforms  # noqa: F401
from .bts_dataset import dataset_focal
from .ibims import IBimsDataset
from .kitti import KITTIDepthDataset
from .nyu import NYUDepthDataset

__all__ = ['NYUDepthDataset', 'KITTIDepthDataset', 'IBimsDataset', 'dataset_focal']
