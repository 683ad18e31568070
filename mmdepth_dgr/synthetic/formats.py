"""Constants of the emulated NYU-Depth-v2 and KITTI datasets.

Camera intrinsics, valid depth ranges, depth encodings and naming details
shared by the scene renderers and the dataset writers.
"""

from __future__ import annotations

import os.path as osp
from functools import partial

__all__ = [
    'EDGE_MAP_SUFFIX', 'KITTI_CAMERA_HEIGHT', 'KITTI_DATE', 'KITTI_DEPTH_SCALE', 'KITTI_FOCAL',
    'KITTI_MAX_DEPTH', 'KITTI_NONE_FRACTION', 'KITTI_REF_WIDTH', 'NYU_DEPTH_SCALE', 'NYU_FOCAL',
    'NYU_MAX_DEPTH', 'NYU_MIN_DEPTH', 'NYU_REF_WIDTH', 'NYU_SCENE_TYPES', 'edge_map_name',
    'kitti_focal', 'nyu_focal', 'scaled_focal'
]

NYU_FOCAL = 518.8579
NYU_REF_WIDTH = 640
NYU_MIN_DEPTH = 0.5
NYU_MAX_DEPTH = 10.0
NYU_DEPTH_SCALE = 1000.0
NYU_SCENE_TYPES = ('bedroom', 'kitchen', 'living_room', 'bathroom', 'dining_room',
                   'office', 'classroom', 'study', 'bookstore', 'playroom')

KITTI_FOCAL = 721.5377
KITTI_REF_WIDTH = 1242
KITTI_MAX_DEPTH = 80.0
KITTI_DEPTH_SCALE = 256.0
KITTI_CAMERA_HEIGHT = 1.65
KITTI_DATE = '2011_09_26'
# The real Eigen test file has 45 of its 697 lines without ground truth.
KITTI_NONE_FRACTION = 45 / 697

#: The occlusion-boundary map of a frame is written next to its depth map, the depth file's
#: extension replaced by this suffix: ``sync_depth_00000.png`` -> ``sync_depth_00000_edges.png``
#: (the ``edge_map_suffix`` of :class:`mmdepth_dgr.datasets.BTSDepthDataset`).
EDGE_MAP_SUFFIX = '_edges.png'


def edge_map_name(depth_path: str) -> str:
    """Path of the edge map written next to the depth map ``depth_path``.

    Args:
        depth_path: Depth map path (any prefix is kept).

    Returns:
        ``depth_path`` with its extension replaced by :data:`EDGE_MAP_SUFFIX`.
    """
    return osp.splitext(depth_path)[0] + EDGE_MAP_SUFFIX


def scaled_focal(width: int, focal: float, ref_width: int) -> float:
    """Focal length ``focal`` (in pixels at ``ref_width``) scaled to ``width``.

    Args:
        width: Image width.
        focal: Focal length in pixels at the reference width.
        ref_width: Reference image width.

    Returns:
        Focal length in pixels.
    """
    return focal * width / ref_width


#: ``width -> focal`` of NYU (518.8579 px at 640 px wide).
nyu_focal = partial(scaled_focal, focal=NYU_FOCAL, ref_width=NYU_REF_WIDTH)
#: ``width -> focal`` of KITTI (721.5377 px at 1242 px wide).
kitti_focal = partial(scaled_focal, focal=KITTI_FOCAL, ref_width=KITTI_REF_WIDTH)
