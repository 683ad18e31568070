"""High-level train/test entry points used by ``tools/``."""
from .constant_baseline import compare_with_constant, evaluate_constant, mean_train_depth
from .runner import (
                     dist_backend,
                     dump_metrics,
                     enable_amp,
                     load_config,
                     prepare_runtime,
                     test,
                     train,
)

__all__ = [
    'compare_with_constant', 'evaluate_constant', 'mean_train_depth', 'dump_metrics',
    'dist_backend', 'enable_amp', 'load_config', 'prepare_runtime', 'test', 'train'
]
