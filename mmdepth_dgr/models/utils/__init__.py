"""Reusable model blocks and ops (mmseg's ``models/utils`` habit)."""
from .derivative_filters import (
    DERIVATIVE_PAD,
    depthwise_derivatives,
    depthwise_weight,
    laplacian_kernel,
    third_order_kernel,
    third_order_stencil,
)
from .dgr_block import DGRBlock, outer_product
from .mask_net import MaskNet
from .multi_level_dgr import MultiLevelDGR, check_levels
from .probe_ops import (
    DEFAULT_MASK_THRESHOLD,
    MASK_SAMPLING_MODES,
    apply_mask,
    binarize_at_sparsity,
    binarize_mask,
    check_mask_sampling,
    check_threshold,
    image_region_mask,
    mask_l1,
    mask_sparsity,
    restore_map,
    sample_binary_mask,
)
from .up_fuse import UpFuseBlock

__all__ = [
    'DERIVATIVE_PAD', 'depthwise_derivatives', 'depthwise_weight', 'laplacian_kernel',
    'third_order_kernel', 'third_order_stencil', 'DGRBlock', 'outer_product', 'MultiLevelDGR',
    'check_levels', 'MaskNet', 'UpFuseBlock', 'DEFAULT_MASK_THRESHOLD', 'apply_mask',
    'binarize_at_sparsity', 'binarize_mask', 'check_threshold', 'image_region_mask', 'mask_l1',
    'mask_sparsity', 'restore_map', 'MASK_SAMPLING_MODES', 'check_mask_sampling',
    'sample_binary_mask'
]
