"""Necks."""
from .dgr_neck import DGRNeck
from .dpt_reassemble import DPTReassemble
from .hahi_neck import DepthFormerHAHINeck
from .sequential_neck import SequentialNeck

__all__ = ['DGRNeck', 'SequentialNeck']
__all__ += ['DepthFormerHAHINeck']
__all__ += ['DPTReassemble']
