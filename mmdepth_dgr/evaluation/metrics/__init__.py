"""Registered metrics (mmseg's METRICS); their math is in ``evaluation/functional/``."""
from .depth_metric import DepthEvalMetric
from .ibims_metric import IBimsDepthMetric
from .mask_sparsity_metric import MaskSparsityMetric

__all__ = ['DepthEvalMetric', 'IBimsDepthMetric', 'MaskSparsityMetric']
