"""Necks."""
from .derivative_filters import depthwise_derivatives, laplacian_kernel, third_order_kernel
from .dgr_block import DGRBlock, outer_product
from .dgr_neck import DGRNeck
from .dpt_reassemble import DPTReassemble
from .hahi_neck import DepthFormerHAHINeck
from .sequential_neck import SequentialNeck

__all__ = [
    'DGRBlock', 'DGRNeck', 'SequentialNeck', 'depthwise_derivatives', 'laplacian_kernel',
    'outer_product', 'third_order_kernel'
]
__all__ += ['DepthFormerHAHINeck']
__all__ += ['DPTReassemble']
