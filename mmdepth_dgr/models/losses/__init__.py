"""Depth losses, registered in mmseg's ``MODELS`` registry."""
from .bins_chamfer_loss import BinsChamferLoss, chamfer_distance_1d
from .hu_loss import HuDepthLoss
from .mse_loss import DepthMSELoss
from .otdl_loss import OTDLLoss
from .scale_invariant_loss import ScaleInvariantLoss

__all__ = [
    'HuDepthLoss',
    'DepthMSELoss',
    'OTDLLoss',
    'ScaleInvariantLoss',
]
__all__ += ['BinsChamferLoss', 'chamfer_distance_1d']
