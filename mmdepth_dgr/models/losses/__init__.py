"""Depth losses, registered in mmseg's ``MODELS`` registry."""
from .hu_loss import HuDepthLoss
from .mse_loss import DepthMSELoss
from .scale_invariant_loss import ScaleInvariantLoss

__all__ = [
    'HuDepthLoss',
    'DepthMSELoss',
    'ScaleInvariantLoss',
]
