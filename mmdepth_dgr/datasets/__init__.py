"""Datasets and transforms (registered in mmseg's DATASETS / TRANSFORMS)."""
from . import transforms  # noqa: F401
from .bts_dataset import dataset_focal
from .custom import CustomDepthDataset
from .diode import DIODEDataset
from .ibims import IBimsDataset
from .kitti import KITTIDepthDataset
from .nyu import NYUDepthDataset
from .sunrgbd import SUNRGBDDataset

__all__ = ['NYUDepthDataset', 'KITTIDepthDataset', 'IBimsDataset', 'SUNRGBDDataset', 'DIODEDataset',
           'CustomDepthDataset', 'dataset_focal']
