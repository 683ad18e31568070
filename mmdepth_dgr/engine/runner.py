"""Config preparation and entry points behind tools/train.py and tools/test.py."""
import copy
import json
import os
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from .cfg_options import check_cfg_options
from .checkpoint import load_test_checkpoint
from .depth_runner import cpu_wrapper_cfg
from .distributed import dist_backend
from .hooks import checkpoint_problem
from .resume import IncompleteCheckpointError, auto_resume


def load_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config file and merge ``--cfg-options``.

    Every key of ``cfg_options`` must exist in the config (list indices included, as in
    ``train_dataloader.dataset.pipeline.2.scale=...``) or be an argument, left at its
    default, of the class its dict builds (:func:`check_cfg_options`), so that a typo such
    as ``modle.decode_head.channels`` fails here, before anything runs, with the closest
    existing key instead of being ignored. A key prefixed with ``+`` (``+model.foo=1``) may
    be new: it is added without the check.

    Args:
        config (str): Config path.
        cfg_options (dict, optional): Overrides, as from ``DictAction``.

    Returns:
        Config: The merged config.

    Raises:
        FileNotFoundError: The config file does not exist.
        ConfigKeyError: A key of ``cfg_options`` (without ``+``) is not in the config
            (a ``KeyError``).
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(check_cfg_options(cfg, cfg_options, config))
    return cfg


def prepare_runtime(cfg: Config, config_path: str, work_dir: Optional[str] = None,
                    launcher: str = 'none') -> Config:
    """Fill work_dir, launcher, the distributed backend and the CPU-DDP wrapper (no side effect).

    The work dir defaults to ``./work_dirs/<config name>`` as in mmseg. Under a
    launcher, the backend is the config's ``env_cfg.dist_cfg.backend``, with gloo
    for nccl (or none named) on machines without CUDA (:func:`dist_backend`). Without CUDA,
    DDP must get ``device_ids=None`` (mmengine passes the local rank otherwise).
    The process group is not created here: the tools call
    :func:`~mmdepth_dgr.engine.distributed.init_distributed` with the filled config.

    Args:
        cfg (Config): Loaded config.
        config_path (str): Its path (for the default work dir).
        work_dir (str, optional): ``--work-dir``.
        launcher (str): ``none``, ``pytorch``, ``slurm`` or ``mpi``.

    Returns:
        Config: ``cfg``, updated in place.
    """
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    env_cfg = cfg.setdefault('env_cfg', Config(dict()))
    dist_cfg = env_cfg.setdefault('dist_cfg', dict())
    dist_cfg['backend'] = dist_backend(dist_cfg.get('backend'))
    if launcher != 'none' and not torch.cuda.is_available():
        cfg.model_wrapper_cfg = cpu_wrapper_cfg(cfg.get('model_wrapper_cfg'))
    return cfg


def enable_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper to mixed precision (``--amp``), as mmseg's train tool does.

    Args:
        cfg (Config): Config with an ``optim_wrapper``.

    Raises:
        KeyError: The config has no ``optim_wrapper``.
    """
    if 'optim_wrapper' not in cfg:
        raise KeyError('--amp needs an optim_wrapper in the config')
    if cfg.optim_wrapper.get('type', 'OptimWrapper') != 'AmpOptimWrapper':
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


#: Checkpoint names of mmengine's checkpoint hook (default ``filename_tmpl``); the largest
#: number is the newest.
def train_config(config: str, work_dir: Optional[str] = None, resume: Optional[str] = None,
                 amp: bool = False, cfg_options: Optional[dict] = None,
                 launcher: str = 'none') -> Config:
    """The training config of ``tools/train.py``'s options (no side effect).

    Args:
        config (str): Config path.
        work_dir (str, optional): Output directory.
        resume (str, optional): ``'auto'`` to resume from the newest complete checkpoint
            of the work dir (:func:`find_resume_checkpoint`; truncated or corrupt files are
            skipped with a warning; none: a fresh run), or a checkpoint path.
        amp (bool): Mixed-precision training.
        cfg_options (dict, optional): Config overrides (see :func:`load_config`).
        launcher (str): Job launcher.

    Returns:
        Config: The filled config, ready for :func:`train`.

    Raises:
        FileNotFoundError: The config or the ``resume`` checkpoint is missing.
        IncompleteCheckpointError: The ``resume`` checkpoint is truncated or corrupt.
    """
    cfg = prepare_runtime(load_config(config, cfg_options), config, work_dir, launcher)
    if amp:
        enable_amp(cfg)
    if resume == 'auto':
        auto_resume(cfg)
    elif resume:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume checkpoint not found: {resume}')
        problem = checkpoint_problem(resume)
        if problem is not None:
            raise IncompleteCheckpointError(
                f'--resume checkpoint {resume} is incomplete or corrupt: {problem}. Resume '
                'from an earlier checkpoint, or give --resume without a path to take the '
                'newest complete one of the work dir.')
        cfg.resume, cfg.load_from = True, resume
    return cfg


def test_config(config: str, checkpoint: str, work_dir: Optional[str] = None,
                show_dir: Optional[str] = None, show: bool = False, wait_time: float = 2,
                out: Optional[str] = None, cfg_options: Optional[dict] = None,
                launcher: str = 'none', vis_interval: Optional[int] = None) -> Config:
    """The test config of ``tools/test.py``'s options (no side effect).

    Args:
        config (str): Config path.
        checkpoint (str): Checkpoint file.
        work_dir (str, optional): Output directory for logs.
        show_dir (str, optional): Save RGB | GT | prediction | error pictures here.
        show (bool): Show pictures in a window.
        wait_time (float): Show delay.
        out (str, optional): Write 16-bit PNG predictions and per-image CSV here.
        cfg_options (dict, optional): Config overrides.
        launcher (str): Job launcher.
        vis_interval (int, optional): Draw every N-th test image.

    Returns:
        Config: The filled config, ready for :func:`test` (which loads ``load_from``).

    Raises:
        FileNotFoundError: The config or the checkpoint is missing.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    cfg = prepare_runtime(load_config(config, cfg_options), config, work_dir, launcher)
    cfg.load_from = checkpoint
    if show or show_dir:
        hooks = cfg.setdefault('default_hooks', Config(dict()))
        vis_hook = hooks.setdefault('visualization', dict(type='SegVisualizationHook'))
        vis_hook['draw'] = True
        vis_hook['show'] = show
        vis_hook['wait_time'] = wait_time
        if vis_interval is not None:
            vis_hook['interval'] = vis_interval
        if show_dir:
            cfg.visualizer['save_dir'] = show_dir
    if out:
        evaluators = cfg.test_evaluator
        for evaluator in evaluators if isinstance(evaluators, Sequence) else [evaluators]:
            evaluator['output_dir'] = out
    return cfg


def train(cfg: Config) -> Runner:
    """Train with mmengine's runner from a config filled by :func:`train_config`.

    Args:
        cfg (Config): The training config.

    Returns:
        Runner: The runner after training.
    """
    runner = build_runner(cfg)
    runner.train()
    return runner


def test(cfg: Config, strict: bool = True) -> dict:
    """Evaluate with mmengine's runner from a config filled by :func:`test_config`.

    The checkpoint (``cfg.load_from``) is loaded once, by
    :func:`~mmdepth_dgr.engine.checkpoint.load_test_checkpoint` (weights-only; strict by
    default) after the runner is built and before its test loop; the runner itself gets
    ``load_from=None`` and ``resume=False``, so it loads nothing. ``after_load_checkpoint``
    hooks are not called (no config of the project has one).

    Args:
        cfg (Config): The test config (not modified).
        strict (bool): Refuse a checkpoint whose keys or shapes differ from the model's
            (``tools/test.py`` without ``--non-strict``). Defaults to True.

    Returns:
        dict: The test metrics.

    Raises:
        CheckpointMismatchError: ``strict`` and the checkpoint does not fit the model.
        UnsafeCheckpointError: The checkpoint holds a global outside the allow-list.
    """
    cfg = copy.deepcopy(cfg)
    checkpoint = cfg.get('load_from')
    cfg.load_from, cfg.resume = None, False
    runner = build_runner(cfg)
    if checkpoint:
        load_test_checkpoint(runner.model, checkpoint, strict=strict)
    return runner.test()


def build_runner(cfg: Config) -> Runner:
    """Build the runner as mmseg's tools/train.py does: ``cfg.runner_type`` when set.

    Args:
        cfg (Config): A filled config.

    Returns:
        Runner: ``RUNNERS.build(cfg)`` with a ``runner_type`` (the project's configs name
        :class:`~mmdepth_dgr.engine.depth_runner.DepthRunner`), else ``Runner.from_cfg(cfg)``.
    """
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def dump_metrics(metrics: dict, path: str) -> None:
    """Write a metrics dict as JSON (main process only).

    Args:
        metrics (dict): Metric name -> value.
        path (str): Output file; its folder is created.
    """
    if not is_main_process():
        return
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
