"""Distributed helpers of the engine: backend choice, creating and closing the gloo group,
leaving a distributed tool."""
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.config import Config

from mmdepth_dgr.engine import close_distributed, dist_backend, init_distributed, prepare_runtime
from mmdepth_dgr.testing import REPO_ROOT


def test_dist_backend_choice(monkeypatch):
    """The configs' nccl (mmseg's default) becomes gloo without CUDA; named others are kept."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert dist_backend('nccl') == 'gloo' and dist_backend(None) == 'gloo'
    assert dist_backend('mpi') == 'mpi'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert dist_backend('nccl') == 'nccl' and dist_backend(None) == 'nccl'
    assert dist_backend('gloo') == 'gloo'


def test_init_distributed_is_the_explicit_step(monkeypatch):
    """The tools create the gloo group themselves from the filled config (CPU, torchrun env)."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    init_distributed(Config(dict(launcher='none')))
    assert not torch.distributed.is_initialized()
    for key, value in dict(RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
                           MASTER_PORT='29517').items():
        monkeypatch.setenv(key, value)
    cfg = prepare_runtime(Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl')))),
                          'configs/x/my_cfg.py', launcher='pytorch')
    try:
        init_distributed(cfg)
        assert torch.distributed.is_initialized()
        assert torch.distributed.get_backend() == 'gloo'
    finally:
        close_distributed()


def test_close_distributed_shuts_the_group_down(tmp_path):
    """The tools close the gloo group themselves (a rank aborted at exit otherwise)."""
    close_distributed()  # no group: nothing to do
    torch.distributed.init_process_group('gloo', init_method=f'file://{tmp_path / "store"}',
                                         rank=0, world_size=1)
    try:
        close_distributed()
        assert not torch.distributed.is_initialized()
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


FINISH_SCRIPT = """
import atexit, logging, sys, threading, time
import torch.distributed as dist
from mmdepth_dgr.engine import finish_distributed
out = sys.argv[1]
finish_distributed()  # no group yet: returns
dist.init_process_group('gloo', init_method='file://' + out + '.store', rank=0, world_size=1)
atexit.register(lambda: open(out + '.atexit', 'w').write('ran'))
logger = logging.getLogger('finish')
logger.addHandler(logging.FileHandler(out + '.log'))
logger.warning('logged')
def late():
    time.sleep(0.5)
    open(out + '.thread', 'w').write('joined')
threading.Thread(target=late).start()
print('printed', end='')
finish_distributed(3)
print('not reached')
"""


def test_finish_distributed_ends_the_process_after_the_python_side(tmp_path):
    """A distributed tool leaves through os._exit after atexit, logging, threads, streams."""
    out = str(tmp_path / 'run')
    proc = subprocess.run([sys.executable, '-c', FINISH_SCRIPT, out], capture_output=True,
                          text=True, timeout=120, cwd=REPO_ROOT)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == 'printed'
    assert Path(out + '.atexit').read_text() == 'ran'
    assert Path(out + '.log').read_text() == 'logged\n'
    assert Path(out + '.thread').read_text() == 'joined'
