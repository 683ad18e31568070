"""Training/testing glue of the tools: config filling, runner entry points, distributed set-up."""
from .cli import add_runtime_args
from .distributed import close_distributed, dist_backend, finish_distributed, init_distributed
from .runner import (
    dump_metrics,
    enable_amp,
    load_config,
    prepare_runtime,
    test,
    test_config,
    train,
    train_config,
)

__all__ = [
    'add_runtime_args', 'close_distributed', 'dist_backend', 'finish_distributed',
    'init_distributed', 'dump_metrics', 'enable_amp', 'load_config', 'prepare_runtime', 'test',
    'test_config', 'train', 'train_config'
]
