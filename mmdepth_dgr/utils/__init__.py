"""Utilities."""
from .checkpoint import enable_weights_only_checkpoints
from .config_utils import strip_pretrained, sync_bn_to_bn
from .depth_io import (
    add_colorbar,
    colorize_depth_image,
    load_depth_png,
    save_depth_npy,
    save_depth_png,
)
from .point_cloud import (
    backproject,
    default_intrinsics,
    depth_to_point_cloud,
    parse_intrinsics,
    project_points,
    read_ply,
    write_ply,
)

__all__ = [
    'enable_weights_only_checkpoints', 'strip_pretrained', 'sync_bn_to_bn', 'add_colorbar',
    'colorize_depth_image', 'load_depth_png', 'save_depth_npy', 'save_depth_png', 'backproject',
    'default_intrinsics', 'depth_to_point_cloud', 'parse_intrinsics', 'project_points',
    'read_ply', 'write_ply'
]
