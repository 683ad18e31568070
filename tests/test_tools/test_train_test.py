"""End to end through the user-facing tools: 2-process gloo dist_train.sh, test.py, resume."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmdepth_dgr.testing import (
    TOOL_TEST_CONFIGS,
    run_in_repo,
    tool_train_options,
    torchrun_env,
)

CONFIG = TOOL_TEST_CONFIGS['nyu']
pytestmark = pytest.mark.slow


def _run(cmd: list, **env) -> subprocess.CompletedProcess:
    return run_in_repo(cmd, env=env)  # fails with the output's tail on a non-zero exit


def test_dist_train_then_test(tmp_path, nyu_train_root):
    work = tmp_path / 'work'
    proc = _run(['bash', 'tools/dist_train.sh', str(CONFIG), '2', '--work-dir', str(work),
                 *tool_train_options(nyu_train_root, 4)], **torchrun_env())
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log
    assert (work / 'iter_4.pth').exists()
    assert 'Depth metrics over 4 images' in log  # validation at the end of training

    out = tmp_path / 'test'
    proc = _run([sys.executable, 'tools/test.py', str(CONFIG), str(work / 'iter_4.pth'),
                 '--work-dir', str(out), '--show-dir', str(out / 'vis'), '--vis-interval', '1',
                 '--out', str(out / 'pred'), '--metrics-out', str(out / 'metrics.json'),
                 *tool_train_options(nyu_train_root, 4)])
    metrics = json.loads((out / 'metrics.json').read_text())
    assert {'abs_rel', 'rmse', 'd1', 'silog'} <= set(metrics)
    assert len(list((out / 'pred').glob('*.png'))) == 4
    assert (out / 'pred' / 'per_image_metrics.csv').exists()
    assert len(list((out / 'vis').rglob('*.png'))) == 4
    assert 'abs_rel' in proc.stdout + proc.stderr


def test_resume_from_checkpoint(tmp_path, nyu_train_root):
    """Resuming works under torch >= 2.6, where torch.load defaults to weights_only=True."""
    work = tmp_path / 'work'
    _run([sys.executable, 'tools/train.py', str(CONFIG), '--work-dir', str(work),
          *tool_train_options(nyu_train_root, 2)])
    assert (work / 'iter_2.pth').exists()
    # explicit checkpoint path into another work dir
    proc = _run([sys.executable, 'tools/train.py', str(CONFIG), '--work-dir', str(tmp_path / 'w2'),
                 '--resume', str(work / 'iter_2.pth'), *tool_train_options(nyu_train_root, 3)])
    assert 'resumed epoch: 0, iter: 2' in proc.stdout + proc.stderr
    # latest checkpoint of the work dir
    proc = _run([sys.executable, 'tools/train.py', str(CONFIG), '--work-dir', str(work),
                 '--resume', *tool_train_options(nyu_train_root, 4)])
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/4]' in log and 'Iter(train) [1/4]' not in log
    assert (work / 'iter_4.pth').exists()


def test_missing_checkpoint_and_config_are_named(tmp_path):
    proc = run_in_repo([sys.executable, 'tools/test.py', str(CONFIG), 'nope.pth'], check=False)
    assert proc.returncode != 0 and 'checkpoint not found: nope.pth' in proc.stderr
    proc = run_in_repo([sys.executable, 'tools/train.py', 'configs/nope.py'], check=False)
    assert proc.returncode != 0 and 'config file not found: configs/nope.py' in proc.stderr


def _recorder(tmp_path, name: str) -> Path:
    """An executable that writes its arguments, one per line, to ``<tmp_path>/<name>.args``."""
    exe = tmp_path / 'bin' / name
    exe.parent.mkdir(exist_ok=True)
    exe.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path}/{name}.args\n')
    exe.chmod(0o755)
    return exe


def test_launch_scripts_compose_commands(tmp_path):
    """dist_test.sh goes through torchrun; slurm_*.sh through srun, mmseg's argument order."""
    fake_python = _recorder(tmp_path, 'python')
    _run(['bash', 'tools/dist_test.sh', 'cfg.py', 'ckpt.pth', '3', '--out', 'o'],
         PYTHON=str(fake_python), NNODES='2', NODE_RANK='1', MASTER_ADDR='10.0.0.1',
         PORT='1234')
    args = (tmp_path / 'python.args').read_text().split('\n')
    assert args[:8] == ['-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
                        '--master_addr=10.0.0.1', '--nproc_per_node=3', '--master_port=1234',
                        'tools/test.py']
    assert args[8:13] == ['cfg.py', 'ckpt.pth', '--out', 'o', '--launcher']
    _recorder(tmp_path, 'srun')
    path = f'{tmp_path / "bin"}:{os.environ["PATH"]}'
    _run(['bash', 'tools/slurm_train.sh', 'gpu', 'job', 'cfg.py', 'wd', '--amp'], PATH=path,
         GPUS='8', PYTHON='py')
    args = (tmp_path / 'srun.args').read_text().split('\n')
    assert args[:4] == ['-p', 'gpu', '--job-name=job', '--gres=gpu:4'] and '--ntasks=8' in args
    tail = args[args.index('py'):]
    assert tail[:7] == ['py', '-u', 'tools/train.py', 'cfg.py', '--work-dir=wd', '--amp',
                        '--launcher=slurm']
    _run(['bash', 'tools/slurm_test.sh', 'gpu', 'job', 'cfg.py', 'c.pth'], PATH=path,
         PYTHON='py')
    args = (tmp_path / 'srun.args').read_text().split('\n')
    assert args[args.index('py'):][:6] == ['py', '-u', 'tools/test.py', 'cfg.py', 'c.pth',
                                           '--launcher=slurm']
