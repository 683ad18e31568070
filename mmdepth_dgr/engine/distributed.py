"""Distributed set-up and tear-down of the tools (mmengine's runner does the rest).

The tools call :func:`init_distributed` after filling the config and
:func:`finish_distributed` at the end; nothing here runs as a side effect of
building or filling a config.
"""
import atexit
import datetime
import logging
import os
import sys
import threading
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.dist import init_dist, is_distributed


def dist_backend(requested: Optional[str] = None) -> str:
    """The torch.distributed backend: the config's, with gloo for nccl on machines without CUDA.

    The configs carry mmseg's ``nccl`` default, which needs CUDA; on a CPU machine
    this project's tools and :class:`~mmdepth_dgr.engine.depth_runner.DepthRunner`
    use gloo instead. Any other named backend is kept.

    Args:
        requested (str, optional): Backend named in the config (None or ``'auto'``:
            nccl with CUDA, gloo without).

    Returns:
        str: The backend to use.
    """
    if requested in (None, 'auto', 'nccl'):
        return 'nccl' if torch.cuda.is_available() else 'gloo'
    return requested


def init_distributed(cfg: Config) -> None:
    """Create the default process group of a launched tool (an explicit step of the tools).

    Nothing happens for ``cfg.launcher == 'none'`` or when the group exists. Without
    CUDA and with the ``pytorch`` launcher, the group is created here with the
    config's backend (gloo on CPU): mmengine 0.10.7's ``init_dist`` calls
    ``torch.cuda.set_device`` whatever the backend, which fails on machines without
    CUDA. Otherwise mmengine's ``init_dist`` creates it with ``env_cfg.dist_cfg``,
    as its runner would. Runners built afterwards reuse the group.

    Args:
        cfg (Config): A config filled by
            :func:`~mmdepth_dgr.engine.runner.prepare_runtime` (``launcher`` and
            ``env_cfg.dist_cfg``).
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch_dist.is_initialized():
        return
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    if torch.cuda.is_available() or launcher != 'pytorch':
        init_dist(launcher, **dist_cfg)
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
