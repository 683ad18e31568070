"""Converters from official dataset releases to the layouts the datasets read."""
from .check import (
    SplitCheck,
    check_split,
    check_splits,
    format_split_check,
    prefixes_from_config,
)
from .kitti import KITTI_DEPTH_PREFIX, KITTI_IMG_PREFIX, link_kitti
from .nyu import (
    NYU_FOCAL,
    NYUConversionSummary,
    NYULabeledMatError,
    convert_nyu_official,
    read_splits_mat,
)

__all__ = [
    'NYU_FOCAL', 'NYUConversionSummary', 'NYULabeledMatError', 'convert_nyu_official',
    'read_splits_mat', 'SplitCheck', 'check_split', 'check_splits', 'format_split_check',
    'prefixes_from_config', 'KITTI_DEPTH_PREFIX', 'KITTI_IMG_PREFIX', 'link_kitti'
]
