"""Config preparation and entry points behind tools/train.py and tools/test.py."""
import atexit
import datetime
import json
import logging
import os
import os.path as osp
import sys
import threading
from typing import Optional, Sequence

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.dist import is_distributed, is_main_process
from mmengine.runner import Runner


def dist_backend(requested: Optional[str] = None) -> str:
    """The torch.distributed backend: the requested one, else nccl on GPU and gloo on CPU.

    Args:
        requested (str, optional): Backend named in the config (``'auto'`` or None
            means choose).

    Returns:
        str: ``'nccl'`` or ``'gloo'`` (or ``requested``).
    """
    if requested not in (None, 'auto'):
        return requested
    return 'nccl' if torch.cuda.is_available() else 'gloo'


def init_cpu_distributed(launcher: str, dist_cfg: dict) -> None:
    """Initialise torch.distributed with gloo for a CPU-only ``pytorch`` launch.

    mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` whatever the
    backend, which fails on machines without CUDA; when the process group already
    exists, mmengine's runner skips its own initialisation, so this runs first.

    Args:
        launcher (str): The job launcher.
        dist_cfg (dict): ``env_cfg.dist_cfg`` (``backend``, optional ``timeout`` s).
    """
    if launcher != 'pytorch' or torch.cuda.is_available() or torch_dist.is_initialized():
        return
    kwargs = {k: v for k, v in dist_cfg.items() if k not in ('backend', 'timeout')}
    timeout = dist_cfg.get('timeout')
    if timeout is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=timeout)
    torch_dist.init_process_group(backend=dist_cfg.get('backend', 'gloo'),
                                  rank=int(os.environ['RANK']),
                                  world_size=int(os.environ['WORLD_SIZE']), **kwargs)


def close_distributed() -> None:
    """Wait for every rank, then shut the default process group down.

    mmengine's runner leaves the process group alive until the interpreter exits;
    the tools end through :func:`finish_distributed`, which calls this first.
    Without a process group this does nothing.
    """
    if is_distributed():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def finish_distributed(exit_code: int = 0) -> None:
    """End a tool: close the process group and, in a distributed run, the process.

    Closing the group is not enough: other objects (the DDP wrapper) still hold
    it, so gloo's worker threads live on. When one of them drops the last
    reference to a finished collective while the interpreter finalises, it needs
    the GIL for the tensors' Python objects, Python 3.11 ends the thread with ``pthread_exit`` and
    the unwind through a noexcept destructor aborts the rank ("terminate called
    without an active exception"; core dump, 2 of 185 runs of the 2-process CPU
    test under load, known upstream: pytorch/pytorch#190489). A distributed tool
    process therefore finishes the Python side itself (non-daemon threads joined,
    ``atexit`` handlers, logging, streams) and leaves through ``os._exit``,
    without interpreter finalisation. Without a process group this only returns.

    Args:
        exit_code (int): Exit status of a distributed process. Defaults to 0.
    """
    if not is_distributed():
        return
    close_distributed()
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(exit_code)


def load_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config file and merge ``--cfg-options``.

    Args:
        config (str): Config path.
        cfg_options (dict, optional): Overrides, as from ``DictAction``.

    Returns:
        Config: The merged config.

    Raises:
        FileNotFoundError: The config file does not exist.
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def prepare_runtime(cfg: Config, config_path: str, work_dir: Optional[str] = None,
                    launcher: str = 'none') -> Config:
    """Fill work_dir, launcher, distributed backend and the CPU-DDP set-up.

    The work dir defaults to ``./work_dirs/<config name>`` as in mmseg. Under a
    launcher, the backend is the config's ``env_cfg.dist_cfg.backend`` unless it
    is ``'auto'``/absent, then nccl with CUDA and gloo without. Without CUDA,
    DDP must get ``device_ids=None`` (mmengine passes the local rank otherwise)
    and the gloo process group is created here (see :func:`init_cpu_distributed`).

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
        wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
        wrapper.setdefault('device_ids', None)
        cfg.model_wrapper_cfg = wrapper
    init_cpu_distributed(launcher, dist_cfg)
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


def train(config: str, work_dir: Optional[str] = None, resume: Optional[str] = None,
          amp: bool = False, cfg_options: Optional[dict] = None,
          launcher: str = 'none') -> Runner:
    """Train a model from a config with mmengine's runner.

    Args:
        config (str): Config path.
        work_dir (str, optional): Output directory.
        resume (str, optional): ``'auto'`` to resume from the latest checkpoint in
            the work dir, or a checkpoint path.
        amp (bool): Mixed-precision training.
        cfg_options (dict, optional): Config overrides.
        launcher (str): Job launcher.

    Returns:
        Runner: The runner after training.
    """
    cfg = prepare_runtime(load_config(config, cfg_options), config, work_dir, launcher)
    if amp:
        enable_amp(cfg)
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume checkpoint not found: {resume}')
        cfg.resume, cfg.load_from = True, resume
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test(config: str, checkpoint: str, work_dir: Optional[str] = None,
         show_dir: Optional[str] = None, show: bool = False, wait_time: float = 2,
         out: Optional[str] = None, cfg_options: Optional[dict] = None,
         launcher: str = 'none', vis_interval: Optional[int] = None) -> dict:
    """Evaluate a checkpoint on the config's test set.

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
        dict: The test metrics.
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
    runner = Runner.from_cfg(cfg)
    return runner.test()


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
