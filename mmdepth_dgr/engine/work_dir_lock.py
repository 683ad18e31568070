"""One training per work dir: a lock file (pid, host, start time) held for the whole run.

Two trainings writing into one work dir interleave their logs and overwrite each other's
checkpoints. ``tools/train.py`` therefore holds ``<work_dir>/.train.lock``, created with
``O_CREAT | O_EXCL`` (so exactly one of two runs started together gets it) and removed when
the run ends, by an exception or SIGTERM too. A second run is refused with the first one's
pid, host and start time. A lock left by a killed run (its pid no longer exists on this
host) is taken over with a warning; a lock of another host cannot be checked and is
reported instead, with the command that clears it.
"""
import json
import logging
import os
import os.path as osp
import signal
import socket
import sys
import threading
import time
from contextlib import contextmanager, suppress
from typing import Iterator, Optional

from mmengine.dist import broadcast_object_list, is_distributed, is_main_process
from mmengine.logging import print_log

#: Name of the lock file in the work dir.
LOCK_NAME = '.train.lock'


class WorkDirLockedError(RuntimeError):
    """The work dir is in use by another training."""


def _pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


class WorkDirLock:
    """The lock file of a work dir.

    Args:
        work_dir (str): The work dir (created if missing).
        name (str): Lock file name in it.

    Example:
        >>> with WorkDirLock('work_dirs/run'):
        ...     train(cfg)
    """

    def __init__(self, work_dir: str, name: str = LOCK_NAME) -> None:
        self.work_dir = work_dir
        self.path = osp.join(work_dir, name)
        self.owner: Optional[dict] = None

    def _read(self) -> Optional[dict]:
        """The lock's content, None when it is missing, ``{}`` when it cannot be parsed."""
        try:
            with open(self.path, encoding='utf-8') as f:
                text = f.read()
        except FileNotFoundError:
            return None
        try:
            info = json.loads(text)
        except ValueError:
            return {}
        return info if isinstance(info, dict) else {}

    def _create(self) -> bool:
        """Create the lock file with this process's details; False if it exists."""
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        info = dict(pid=os.getpid(), host=socket.gethostname(),
                    started=time.strftime('%Y-%m-%d %H:%M:%S %z'),
                    command=' '.join([osp.basename(sys.executable)] + sys.argv))
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(info, f)
            f.flush()
            os.fsync(f.fileno())
        self.owner = info
        return True

    @staticmethod
    def describe(info: dict) -> str:
        """``pid 123 on host h, started 2024-01-01 10:00:00 +0000 (python tools/train.py ...)``."""
        text = f'pid {info.get("pid", "?")} on host {info.get("host", "?")}, started ' \
               f'{info.get("started", "at an unknown time")}'
        return text + (f' ({info["command"]})' if info.get('command') else '')

    def _is_stale(self, info: dict) -> bool:
        """Whether the lock's process is known to be gone (same host, pid not running)."""
        if info.get('host') != socket.gethostname():
            return False
        try:
            return not _pid_alive(int(info.get('pid', -1)))
        except (TypeError, ValueError):
            return True

    def _age(self) -> float:
        """Seconds since the lock file was last written (0 if it is gone)."""
        try:
            return time.time() - os.path.getmtime(self.path)
        except OSError:
            return 0.0

    def acquire(self, timeout: float = 15.0) -> None:
        """Take the lock, taking over a stale one with a warning.

        Args:
            timeout (float): Seconds to keep trying while the lock file changes under us
                (another run taking or releasing it). A lock file that cannot be read is
                being written by a run that has just created it, or, once older than
                ``timeout``, stale (its run died while writing it).

        Raises:
            WorkDirLockedError: A live run (or one of another host) holds the lock.
        """
        os.makedirs(self.work_dir, exist_ok=True)
        deadline = time.monotonic() + timeout
        while True:
            if self._create():
                return
            if time.monotonic() > deadline:
                raise WorkDirLockedError(f'could not take the lock {self.path} of work dir '
                                         f'{self.work_dir}: it keeps changing or cannot be read')
            info = self._read()
            if info is None:  # released in between
                continue
            if info and not self._is_stale(info):
                raise WorkDirLockedError(
                    f'work dir {self.work_dir} is in use by another training: '
                    f'{self.describe(info)}. Wait for it to end or choose another --work-dir; '
                    f'if that run is gone (e.g. it ran on another host), delete {self.path}.')
            if not info and self._age() < timeout:  # being written: read it again
                time.sleep(0.2)
                continue
            # stale: remove it unless someone replaced it since we read it
            if self._read() != info:
                continue
            with suppress(FileNotFoundError):
                os.remove(self.path)
            print_log(f'Taking over the stale lock {self.path} of a run that no longer exists '
                      f'({self.describe(info) if info else "unreadable lock file"}).',
                      logger='current', level=logging.WARNING)

    def release(self) -> None:
        """Remove the lock file if this process holds it."""
        if self.owner is None:
            return
        info = self._read()
        if info and info.get('pid') == self.owner['pid'] \
                and info.get('host') == self.owner['host']:
            with suppress(FileNotFoundError):
                os.remove(self.path)
        self.owner = None

    def __enter__(self) -> 'WorkDirLock':
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Turn SIGTERM (slurm, torchrun, ``kill``) into ``SystemExit`` for the block, so that
    ``finally`` clauses (the lock's release) run; a handler already installed is kept."""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def hold_work_dir(work_dir: str) -> Iterator[Optional[WorkDirLock]]:
    """Hold the work dir's lock for a (possibly distributed) training.

    Rank 0 takes the lock (creating the work dir); under a process group every rank
    learns the outcome, so that all ranks stop when it is refused. Call it after
    :func:`~mmdepth_dgr.engine.distributed.init_distributed`.

    Args:
        work_dir (str): The run's work dir.

    Yields:
        WorkDirLock | None: The held lock on rank 0, None on the other ranks.

    Raises:
        WorkDirLockedError: Another live training holds the work dir.
    """
    lock, error = None, None
    if is_main_process():
        lock = WorkDirLock(work_dir)
        try:
            lock.acquire()
        except WorkDirLockedError as err:
            lock, error = None, str(err)
    if is_distributed():
        outcome = [error]
        broadcast_object_list(outcome, src=0)
        error = outcome[0]
    if error is not None:
        if lock is not None:
            lock.release()
        raise WorkDirLockedError(error)
    try:
        with _sigterm_as_exit():
            yield lock
    finally:
        if lock is not None:
            lock.release()
