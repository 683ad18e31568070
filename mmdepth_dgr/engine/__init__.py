"""Training/testing glue of the tools: config filling, runner entry points, distributed set-up,
the project's training hooks (registered on import) and the work-dir lock."""
from .cli import add_runtime_args
from .depth_runner import DepthRunner, cpu_wrapper_cfg
from .distributed import close_distributed, dist_backend, finish_distributed, init_distributed
from .hooks import AtomicCheckpointHook, NonFiniteLossError, NonFiniteLossHook
from .runner import (
    build_runner,
    dump_metrics,
    enable_amp,
    load_config,
    prepare_runtime,
    test,
    test_config,
    train,
    train_config,
)
from .tta import enable_tta
from .work_dir_lock import WorkDirLock, WorkDirLockedError, hold_work_dir

__all__ = [
    'add_runtime_args', 'build_runner', 'DepthRunner', 'cpu_wrapper_cfg', 'close_distributed',
    'dist_backend', 'finish_distributed',
    'init_distributed', 'dump_metrics', 'enable_amp', 'load_config', 'prepare_runtime', 'test',
    'test_config', 'train', 'train_config', 'AtomicCheckpointHook', 'NonFiniteLossError',
    'NonFiniteLossHook', 'WorkDirLock', 'WorkDirLockedError', 'hold_work_dir',
    'enable_tta'
]
