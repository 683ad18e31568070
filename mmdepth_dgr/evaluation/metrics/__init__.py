"""Registered metrics (mmseg's METRICS); their math is in ``evaluation/functional.py``."""
from .depth_metric import DepthEvalMetric
from .mask_sparsity_metric import MaskSparsityMetric

__all__ = ['DepthEvalMetric', 'MaskSparsityMetric']
