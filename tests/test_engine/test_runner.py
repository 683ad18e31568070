"""prepare_runtime: the runtime fields the tools fill into a config (CPU DDP, work dir)."""
import torch
from mmengine.config import Config

from mmdepth_dgr.engine import prepare_runtime


def test_prepare_runtime_cpu_ddp_and_work_dir(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='auto'))))
    prepare_runtime(cfg, 'configs/x/my_cfg.py', launcher='pytorch')
    assert cfg.work_dir == './work_dirs/my_cfg'
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg['device_ids'] is None
    assert not torch.distributed.is_initialized()  # filling a config creates no process group
