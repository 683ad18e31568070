"""Subprocess runs of the tools from the checkout (their environment, free ports, torchrun)."""
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

from .paths import REPO_ROOT


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (for torchrun's rendezvous)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def repo_env(**extra: str) -> Dict[str, str]:
    """``os.environ`` with the checkout first on ``PYTHONPATH``, updated with ``extra``."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get('PYTHONPATH')]))
    env.update(extra)
    return env


def torchrun_env(**extra: str) -> Dict[str, str]:
    """Variables of the launch scripts (tools/dist_*.sh, tools/torchrun.sh): this Python
    and a free rendezvous port, plus ``extra``."""
    return dict(PYTHON=sys.executable, PORT=str(free_port()), **extra)


def run_in_repo(cmd: Sequence[Union[str, Path]], env: Optional[Dict[str, str]] = None,
                cwd: Union[str, Path] = REPO_ROOT, timeout: Optional[float] = 600,
                check: bool = True) -> subprocess.CompletedProcess:
    """Run ``cmd`` with :func:`repo_env` (plus ``env``) in ``cwd``, capturing text output.

    Args:
        cmd (Sequence[str | Path]): The command.
        env (dict, optional): Extra environment variables.
        cwd (str | Path): Working directory. Defaults to the checkout.
        timeout (float, optional): Seconds before the run is killed.
        check (bool): Fail (AssertionError with the output's tail) on a non-zero exit.

    Returns:
        subprocess.CompletedProcess: With ``stdout`` and ``stderr``.
    """
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=repo_env(**(env or {})),
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(str(c) for c in cmd)} exited with {proc.returncode}\n'
                             + proc.stdout[-3000:] + proc.stderr[-5000:])
    return proc
