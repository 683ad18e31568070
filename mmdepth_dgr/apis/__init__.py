"""High-level train/test entry points used by ``tools/``."""
from .benchmark_dgr import add_dgr, benchmark_dgr, format_benchmark, time_train_steps
from .benchmark_otdl import format_otdl_benchmark, run_otdl_benchmark
from .complexity import format_complexity, model_complexity, module_complexity
from .constant_baseline import compare_with_constant, evaluate_constant, mean_train_depth
from .runner import (
                     close_distributed,
                     dist_backend,
                     dump_metrics,
                     enable_amp,
                     finish_distributed,
                     load_config,
                     prepare_runtime,
                     test,
                     train,
)
from .sparse_probe import run_sparse_probe

__all__ = [
    'compare_with_constant', 'evaluate_constant', 'mean_train_depth', 'dump_metrics',
    'close_distributed', 'dist_backend', 'enable_amp', 'finish_distributed', 'load_config',
    'prepare_runtime', 'test', 'train',
    'add_dgr', 'benchmark_dgr', 'format_benchmark', 'time_train_steps', 'format_complexity',
    'model_complexity', 'module_complexity', 'run_sparse_probe'
]
__all__ += ['format_otdl_benchmark', 'run_otdl_benchmark']
