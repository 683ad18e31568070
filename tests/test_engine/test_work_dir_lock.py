"""The work-dir lock of tools/train.py: one training per work dir, stale locks taken over."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mmdepth_dgr.engine.work_dir_lock as lock_module
from mmdepth_dgr.engine import WorkDirLock, WorkDirLockedError, hold_work_dir
from mmdepth_dgr.testing import repo_env

#: A process that holds the lock of argv[1] ("held <pid>" on stdout) until it is killed; with
#: argv[2] == 'context', through hold_work_dir() (SIGTERM releases it).
HOLDER = '''
import sys, time
from mmdepth_dgr.engine.work_dir_lock import WorkDirLock, WorkDirLockedError, hold_work_dir
try:
    if len(sys.argv) > 2:
        with hold_work_dir(sys.argv[1]):
            print('held', flush=True)
            time.sleep(120)
    else:
        WorkDirLock(sys.argv[1]).acquire()
        print('held', flush=True)
        time.sleep(120)
except WorkDirLockedError as err:
    print('refused', err, flush=True)
'''


def _holder(work_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, '-c', HOLDER, str(work_dir), *extra],
                            stdout=subprocess.PIPE, text=True, env=repo_env())


def _wait_held(proc: subprocess.Popen) -> None:
    line = proc.stdout.readline()
    assert line.startswith('held'), line


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(30)
    proc.stdout.close()


@pytest.fixture
def warnings(monkeypatch):
    logged = []
    monkeypatch.setattr(lock_module, 'print_log', lambda msg, **kw: logged.append(msg))
    return logged


def test_lock_file_names_the_run_and_is_removed_on_release(tmp_path):
    work = tmp_path / 'new' / 'work'
    with WorkDirLock(str(work)) as lock:
        info = json.loads((work / '.train.lock').read_text())
        assert info['pid'] == os.getpid() and info['host'] == socket.gethostname()
        assert info['started'] and lock.owner == info
    assert not (work / '.train.lock').exists()


def test_a_second_run_is_refused_naming_the_first(tmp_path):
    holder = _holder(tmp_path)
    try:
        _wait_held(holder)
        with pytest.raises(WorkDirLockedError) as err:
            WorkDirLock(str(tmp_path)).acquire()
        message = str(err.value)
        assert f'work dir {tmp_path} is in use by another training' in message
        assert f'pid {holder.pid} on host {socket.gethostname()}, started ' in message
        assert str(tmp_path / '.train.lock') in message
        assert json.loads((tmp_path / '.train.lock').read_text())['pid'] == holder.pid
    finally:
        _stop(holder)


def test_runs_started_together_get_one_lock(tmp_path):
    procs = [_holder(tmp_path) for _ in range(3)]
    try:
        first = [p.stdout.readline() for p in procs]
        assert sorted(line.split()[0] for line in first) == ['held', 'refused', 'refused']
        owner = procs[[line.startswith('held') for line in first].index(True)]
        assert all(f'pid {owner.pid} ' in line for line in first if line.startswith('refused'))
    finally:
        for proc in procs:
            _stop(proc)


def test_stale_lock_of_a_killed_run_is_taken_over_with_a_warning(tmp_path, warnings):
    holder = _holder(tmp_path)
    _wait_held(holder)
    holder.send_signal(signal.SIGKILL)
    _stop(holder)
    assert (tmp_path / '.train.lock').exists()  # a kill leaves it behind
    with WorkDirLock(str(tmp_path)):
        assert json.loads((tmp_path / '.train.lock').read_text())['pid'] == os.getpid()
    assert len(warnings) == 1 and 'Taking over the stale lock' in warnings[0]
    assert f'pid {holder.pid} on host' in warnings[0]


def test_stale_lock_with_a_dead_pid_and_an_unreadable_lock(tmp_path, warnings):
    lock = tmp_path / '.train.lock'
    lock.write_text(json.dumps(dict(pid=_dead_pid(), host=socket.gethostname(),
                                    started='yesterday')))
    with WorkDirLock(str(tmp_path)):
        pass
    lock.write_text('{"pid": 12')  # being written by a run that has just created it
    with pytest.raises(WorkDirLockedError, match='keeps changing'):
        WorkDirLock(str(tmp_path)).acquire(timeout=0.5)
    assert lock.read_text() == '{"pid": 12' and len(warnings) == 1
    old = time.time() - 60
    os.utime(lock, (old, old))  # its run died while writing it
    with WorkDirLock(str(tmp_path)):
        pass
    assert len(warnings) == 2 and 'unreadable lock file' in warnings[1]


def test_a_lock_of_another_host_is_not_taken(tmp_path, warnings):
    (tmp_path / '.train.lock').write_text(json.dumps(dict(pid=_dead_pid(), host='elsewhere',
                                                          started='10:00')))
    with pytest.raises(WorkDirLockedError, match='on host elsewhere, started 10:00.*delete'):
        WorkDirLock(str(tmp_path)).acquire()
    assert not warnings


def test_release_leaves_another_runs_lock_alone(tmp_path):
    lock = WorkDirLock(str(tmp_path))
    lock.acquire()
    other = dict(pid=os.getpid() + 1, host='elsewhere')
    (tmp_path / '.train.lock').write_text(json.dumps(other))
    lock.release()
    assert json.loads((tmp_path / '.train.lock').read_text()) == other


def test_context_releases_on_exceptions(tmp_path):
    with pytest.raises(ValueError), hold_work_dir(str(tmp_path)) as lock:
        assert lock is not None and (tmp_path / '.train.lock').exists()
        raise ValueError('training failed')
    assert not (tmp_path / '.train.lock').exists()
    with hold_work_dir(str(tmp_path)):
        with pytest.raises(WorkDirLockedError), hold_work_dir(str(tmp_path)):
            pass
        assert (tmp_path / '.train.lock').exists()  # the refused one removed nothing


def test_sigterm_releases_the_lock(tmp_path):
    """slurm / torchrun stop a run with SIGTERM: the lock goes with it."""
    holder = _holder(tmp_path, 'context')
    try:
        _wait_held(holder)
        holder.send_signal(signal.SIGTERM)
        assert holder.wait(30) == 128 + signal.SIGTERM
        deadline = time.time() + 5
        while (tmp_path / '.train.lock').exists() and time.time() < deadline:
            time.sleep(0.05)
        assert not (tmp_path / '.train.lock').exists()
    finally:
        _stop(holder)
