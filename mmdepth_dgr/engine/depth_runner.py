"""DepthRunner: mmengine's runner that also runs distributed on machines without CUDA.

The configs name it (``runner_type = 'DepthRunner'`` in ``configs/_base_/default_runtime.py``),
so mmseg's own ``tools/train.py``, which builds ``cfg.runner_type`` through the registry,
gets the same CPU behaviour as this project's tools; on CUDA machines it is mmengine's
``Runner`` unchanged.
"""
import atexit
import copy
import gc
import weakref
from typing import Dict, Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.dist import is_distributed
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmseg.registry import RUNNERS
from torch import nn

from .distributed import dist_backend, init_distributed


def cpu_wrapper_cfg(model_wrapper_cfg: Optional[Dict]) -> Dict:
    """The DDP wrapper config for CPU processes: ``device_ids=None`` unless set.

    mmengine's runner passes ``device_ids=[LOCAL_RANK]``, which DDP refuses for a
    module on the CPU.

    Args:
        model_wrapper_cfg (dict, optional): The config's ``model_wrapper_cfg``.

    Returns:
        dict: A copy with ``type`` (default ``MMDistributedDataParallel``) and
        ``device_ids``.
    """
    cfg = copy.deepcopy(dict(model_wrapper_cfg or {}))
    cfg.setdefault('type', 'MMDistributedDataParallel')
    cfg.setdefault('device_ids', None)
    return cfg


#: Distributed CPU runners of this process whose DDP wrappers are dropped at exit (weakly held:
#: a runner that is gone needs nothing).
_RUNNERS_TO_RELEASE: 'weakref.WeakSet[DepthRunner]' = weakref.WeakSet()


def _release_process_group() -> None:
    """At exit: drop the DDP wrappers (they hold the group) and destroy the default group."""
    for runner in list(_RUNNERS_TO_RELEASE):
        if is_model_wrapper(runner.model):
            runner.model = runner.model.module
    gc.collect()
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()


@RUNNERS.register_module()
class DepthRunner(Runner):
    """mmengine's :class:`~mmengine.runner.Runner`, distributed on CPU too.

    Under a launcher on a machine without CUDA it

    - creates the process group with gloo when the config names nccl (the
      configs carry mmseg's ``nccl`` default) through
      :func:`~mmdepth_dgr.engine.distributed.init_distributed`, because
      mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` whatever the
      backend;
    - wraps the model in DDP with ``device_ids=None`` (:func:`cpu_wrapper_cfg`);
    - at interpreter exit, drops the DDP wrapper and destroys the process group
      while Python is still whole, so gloo's worker threads do not outlive the
      interpreter (they abort the rank during finalisation otherwise, see
      :func:`~mmdepth_dgr.engine.distributed.finish_distributed`, which this
      project's tools call themselves).

    With CUDA, or without a launcher, it behaves exactly as ``Runner``.
    """

    def setup_env(self, env_cfg: Dict) -> None:
        """Create the process group first when running distributed without CUDA.

        Args:
            env_cfg (dict): The config's ``env_cfg``.
        """
        if self.distributed and not is_distributed() and not torch.cuda.is_available():
            env_cfg = copy.deepcopy(dict(env_cfg))
            dist_cfg = dict(env_cfg.get('dist_cfg', {}))
            backend = dist_backend(dist_cfg.get('backend'))
            if backend != dist_cfg.get('backend'):
                print_log(f"DepthRunner: no CUDA on this machine, so the process group uses "
                          f"{backend} instead of env_cfg.dist_cfg.backend="
                          f"{dist_cfg.get('backend')!r}", logger='current')
            dist_cfg['backend'] = backend
            env_cfg['dist_cfg'] = dist_cfg
            init_distributed(Config(dict(launcher=self.launcher, env_cfg=env_cfg)))
        if self.distributed and not torch.cuda.is_available():
            if not _RUNNERS_TO_RELEASE:
                atexit.unregister(_release_process_group)  # registered once
                atexit.register(_release_process_group)
            _RUNNERS_TO_RELEASE.add(self)
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg: Optional[Dict], model: nn.Module) -> nn.Module:
        """Wrap as mmengine does, with ``device_ids=None`` for distributed CPU processes.

        Args:
            model_wrapper_cfg (dict, optional): The config's ``model_wrapper_cfg``.
            model (nn.Module): The model.

        Returns:
            nn.Module: The wrapped (or unchanged) model.
        """
        if self.distributed and not torch.cuda.is_available() and not is_model_wrapper(model):
            model_wrapper_cfg = cpu_wrapper_cfg(model_wrapper_cfg)
        return super().wrap_model(model_wrapper_cfg, model)
