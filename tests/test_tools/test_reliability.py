"""Nothing lost, end to end through tools/train.py: a run killed during its checkpoint save
resumes from the newest complete checkpoint; a second run into a live work dir is refused;
``--cfg-options`` typos stop the tool before training."""
import os
import signal
import subprocess
import sys
import time

import pytest

from mmdepth_dgr.engine.hooks import checkpoint_problem
from mmdepth_dgr.testing import (
    REPO_ROOT,
    TOOL_TEST_CONFIGS,
    repo_env,
    run_in_repo,
    tool_train_options,
)

CONFIG = TOOL_TEST_CONFIGS['nyu']
pytestmark = pytest.mark.slow

#: tools/train.py on a slow disk: the save of a file whose name contains $SLOW_SAVE writes half
#: of it, then hangs (until the test kills the process), under its final name or as *.tmp.
SLOW_SAVE_TRAIN = '''
import os, runpy, sys, time
from mmengine.fileio.backends import LocalBackend

put = LocalBackend.put


def slow_put(self, obj, filepath):
    if os.environ['SLOW_SAVE'] in os.path.basename(str(filepath)):
        with open(filepath, 'wb') as f:
            f.write(obj[:len(obj) // 2])
            f.flush()
            time.sleep(300)
    return put(self, obj, filepath)


LocalBackend.put = slow_put
sys.argv = ['tools/train.py'] + sys.argv[1:]
runpy.run_path('tools/train.py', run_name='__main__')
'''


def _wait_for(predicate, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while not predicate():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f'the run ended ({proc.returncode}) first:\n{out[-3000:]}'
                                 f'{err[-5000:]}')
        assert time.time() < deadline, 'timed out'
        time.sleep(0.2)


def test_killed_during_save_then_resume(tmp_path, nyu_train_root):
    """The reported case: ``max_keep_ckpts=1``, killed while writing iter_4.pth; mmengine's
    hook had deleted iter_2.pth already, and ``--resume`` failed with FileNotFoundError."""
    work = tmp_path / 'work'
    script = tmp_path / 'slow_save_train.py'
    script.write_text(SLOW_SAVE_TRAIN)
    first = subprocess.Popen(
        [sys.executable, str(script), str(CONFIG), '--work-dir', str(work),
         *tool_train_options(nyu_train_root, 4)],
        cwd=REPO_ROOT, env=repo_env(SLOW_SAVE='iter_4.pth'), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: any(work.glob('iter_4.pth*')), first)  # the save has begun

        # a second training into the same work dir is refused, naming the first
        second = run_in_repo([sys.executable, 'tools/train.py', str(CONFIG), '--work-dir',
                              str(work), *tool_train_options(nyu_train_root, 4)], check=False)
        assert second.returncode == 1
        assert f'work dir {work} is in use by another training: pid {first.pid} on host' \
            in second.stderr
        assert len([p for p in work.iterdir() if p.is_dir()]) == 1  # no log dir of its own

        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == -signal.SIGKILL
    # what the kill left: the previous checkpoint, named by last_checkpoint, complete
    assert (work / 'last_checkpoint').read_text() == str(work / 'iter_2.pth')
    assert checkpoint_problem(str(work / 'iter_2.pth')) is None
    assert not (work / 'iter_4.pth').exists()  # the partial file is only ever *.tmp
    assert (work / 'iter_4.pth.tmp').exists() and (work / '.train.lock').exists()

    proc = run_in_repo([sys.executable, 'tools/train.py', str(CONFIG), '--work-dir', str(work),
                        '--resume', *tool_train_options(nyu_train_root, 4)])
    log = proc.stdout + proc.stderr
    assert f'auto-resume: skipping {work / "iter_4.pth.tmp"}' in log
    assert f'auto-resume: resuming from {work / "iter_2.pth"}' in log
    assert f'Taking over the stale lock {work / ".train.lock"}' in log
    assert f'pid {first.pid} on host' in log
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/4]' in log and 'Iter(train) [1/4]' not in log
    # the old checkpoint pruned after the new one, the leftover and the lock removed
    assert sorted(p.name for p in work.glob('*.pth*')) == ['iter_4.pth']
    assert (work / 'last_checkpoint').read_text() == str(work / 'iter_4.pth')
    assert not (work / '.train.lock').exists()
    assert checkpoint_problem(str(work / 'iter_4.pth')) is None


def test_cfg_option_typos_stop_the_tool_before_training(tmp_path):
    work = tmp_path / 'work'
    proc = run_in_repo([sys.executable, 'tools/train.py', str(CONFIG), '--work-dir', str(work),
                        '--cfg-options', 'modle.decode_head.channels=8'], check=False)
    assert proc.returncode != 0
    assert "'modle.decode_head.channels': did you mean 'model.decode_head.channels'?" \
        in proc.stderr
    assert not work.exists()  # nothing ran
    # '+' gets past the key check; the hook's own check still names the argument at start
    proc = run_in_repo([sys.executable, 'tools/train.py', str(CONFIG), '--work-dir', str(work),
                        '--cfg-options', '+default_hooks.checkpoint.intervl=1',
                        'train_dataloader.num_workers=0',
                        'train_dataloader.persistent_workers=False'], check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "unknown argument(s) 'intervl' (did you mean 'interval'?)" in log
    assert 'Iter(train)' not in log and not list(work.glob('*.pth'))
    assert not (work / '.train.lock').exists()  # released on the error


def test_explicit_resume_from_a_truncated_checkpoint_is_refused(tmp_path):
    ckpt = tmp_path / 'iter_4.pth'
    ckpt.write_bytes(b'PK\x03\x04' + os.urandom(64))
    proc = run_in_repo([sys.executable, 'tools/train.py', str(CONFIG), '--work-dir',
                        str(tmp_path / 'work'), '--resume', str(ckpt)], check=False)
    assert proc.returncode != 0
    assert f'--resume checkpoint {ckpt} is incomplete or corrupt: truncated zip archive' \
        in proc.stderr
