"""Instruction counts of benchmark workloads under ``valgrind --tool=callgrind``.

Wall and CPU time of a train step on a shared CPU spread by tens of percent,
so an overhead of a few percent cannot be told from noise by timing alone. The
number of instructions a workload executes (callgrind's ``Ir`` event) does not
depend on the load of the machine: it is counted here, in a child process, for
a named workload of the registry :data:`WORKLOADS` (a Swin-T train step with
and without DGR, with the Eq. 21 loss, the OTDL loss alone).

The per-repetition count is a difference: the child runs the workload ``k``
times, then a second child ``2k`` times, and ``(total(2k) - total(k)) / k``
removes what both runs share (interpreter start, imports, model building, the
first step's lazy initialisation, exit). Both children run one torch thread
(``OMP_NUM_THREADS=1``) with a fixed ``PYTHONHASHSEED``, so repeating a count
gives the same totals, or totals that differ by a few parts per million.

Caveats: valgrind does not emulate AVX-512, so torch takes its AVX2 kernels
under callgrind (``torch.backends.cpu.get_cpu_capability()`` says so in the
child); instruction counts weigh every instruction alike (a vector FMA as one
add), so they measure executed work, not time. Callgrind runs the child about
50x slower than native, which is why the counting shape is a parameter.

A child is started as ``python <this file> --workload NAME --variant V
--shape H W --reps K`` (or ``python -m mmdepth_dgr.analysis.instruction_count
...``); run by path, the module imports torch and the project only for the
workloads that need them, so the pure-Python ``pyloop`` workload (tests) runs
under valgrind in about a second.
"""
import argparse
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]
SWIN_T_CONFIG = 'configs/_base_/models/multiscale-depth_swin-t.py'
DEFAULT_SHAPE = (416, 544)
VALGRIND_INSTALL_HINT = ('install it (Debian/Ubuntu: `apt-get install valgrind`, package '
                         '`valgrind`)')
STDERR_TAIL = 3000


class InstructionCountError(RuntimeError):
    """Counting failed: valgrind missing, the child failed, or its output is unreadable."""


@dataclasses.dataclass
class Workload:
    """A named, CLI-describable workload of the registry :data:`WORKLOADS`.

    Args:
        name (str): Registry key (``dgr_step``, ``otdl_step``, ``otdl_loss``,
            ``pyloop``).
        variant (str): Variant of the workload (DGR placement, OTDL mode, or
            the loop size of ``pyloop``).
        shape (tuple[int, int]): Input ``(H, W)`` (torch workloads).
        config (str): Model config file (``.py``/``.json``), relative to the
            repository root or absolute (train-step workloads).
        batch (int): Batch size (torch workloads).
        params (dict): Extra arguments: :class:`DGRNeck` arguments for
            ``dgr_step``, :class:`OTDLLoss` arguments for the OTDL workloads.
    """

    name: str
    variant: str = ''
    shape: Tuple[int, int] = DEFAULT_SHAPE
    config: str = SWIN_T_CONFIG
    batch: int = 1
    params: Dict[str, Any] = dataclasses.field(default_factory=dict)

    def argv(self) -> List[str]:
        """Command-line arguments describing the workload (see :func:`parse_args`)."""
        return ['--workload', self.name, '--variant', str(self.variant), '--shape',
                str(int(self.shape[0])), str(int(self.shape[1])), '--config',
                str(self.config), '--batch', str(int(self.batch)), '--params',
                json.dumps(self.params, sort_keys=True)]

    def label(self) -> str:
        """Short human-readable name, e.g. ``dgr_step[neck] 416x544``."""
        h, w = self.shape
        return f'{self.name}[{self.variant}] {self.batch}x{int(h)}x{int(w)}'


@dataclasses.dataclass
class InstructionCount:
    """Instruction counts of a workload: totals of the ``k``- and ``2k``-repetition runs.

    Args:
        workload (Workload): What was counted.
        reps (int): ``k``.
        totals_k (list[int]): ``Ir`` totals of each ``k``-repetition run.
        totals_2k (list[int]): ``Ir`` totals of each ``2k``-repetition run.
        wall_s (list[float]): Wall time of each child under valgrind, in run order.
    """

    workload: Workload
    reps: int
    totals_k: List[int]
    totals_2k: List[int]
    wall_s: List[float]

    @property
    def per_rep(self) -> float:
        """Instructions of one repetition: ``(total(2k) - total(k)) / k`` of the first runs."""
        return (self.totals_2k[0] - self.totals_k[0]) / self.reps

    @property
    def spread(self) -> float:
        """Largest relative spread of the repeated totals (0 when counted once or exact)."""
        spreads = [(max(t) - min(t)) / max(t) for t in (self.totals_k, self.totals_2k) if t]
        return max(spreads, default=0.0)

    def as_dict(self) -> Dict[str, Any]:
        """JSON-friendly summary (workload, reps, totals, wall times, per_rep, spread)."""
        return dict(workload=dataclasses.asdict(self.workload), label=self.workload.label(),
                    reps=self.reps, totals_k=list(self.totals_k),
                    totals_2k=list(self.totals_2k), wall_s=list(self.wall_s),
                    per_rep=self.per_rep, spread=self.spread)


# --------------------------------------------------------------------------- workloads


def _single_thread() -> None:
    """One torch thread (the counts and CPU times are those of the work itself)."""
    import torch
    torch.set_num_threads(1)


def resolve_config(config: str) -> str:
    """A config path as the children see it: absolute when it exists from here.

    Args:
        config (str): Path relative to the working directory, to the
            repository root, or absolute.

    Returns:
        str: An absolute path when the file is found, else ``config``.
    """
    for base in (Path.cwd(), REPO_ROOT):
        path = base / config
        if path.is_file():
            return str(path.resolve())
    return str(config)


def _model_cfg(config: str) -> dict:
    """``model`` of a config file (relative paths are taken from the repository root)."""
    import copy

    from mmengine.config import Config

    import mmdepth_dgr  # noqa: F401  (registers the project's modules)
    path = Path(resolve_config(config))
    if not path.is_file():
        raise FileNotFoundError(f'instruction_count: config file not found: {path}')
    cfg = Config.fromfile(str(path))
    if 'model' not in cfg:
        raise KeyError(f'instruction_count: config {path} has no `model` key')
    return copy.deepcopy(cfg.model)


def _dgr_step(workload: Workload) -> Callable[[], Any]:
    """A train step with DGR at placement ``variant`` (``none``, ``neck``, ``backbone``)."""
    _single_thread()
    from .benchmark_dgr import PLACEMENTS, _depth_target, add_dgr
    from .benchmark_utils import build_train_step, fake_batch
    if workload.variant not in PLACEMENTS:
        raise ValueError(f'dgr_step: variant must be one of {PLACEMENTS}, got '
                         f'{workload.variant!r}')
    cfg = add_dgr(_model_cfg(workload.config), workload.variant, **workload.params)
    max_depth = float(cfg.get('decode_head', {}).get('max_depth', 10.0))
    target = _depth_target(workload.shape, max_depth, 'cpu')
    inputs, samples = fake_batch(target.expand(workload.batch, -1, -1, -1).contiguous())
    return build_train_step(cfg, inputs, samples)


def otdl_model_cfg(model_cfg: dict, mode: str, **otdl_kwargs) -> dict:
    """A copy of a model config trained with Eq. 21: ``[DepthMSELoss, OTDLLoss(mode)]``.

    Args:
        model_cfg (dict): Depth model config with a ``decode_head``.
        mode (str): OTDL mode (``'depth'`` or ``'spatial'``).
        **otdl_kwargs: Further :class:`OTDLLoss` arguments (``blur``, ...).

    Returns:
        dict: The new config.
    """
    import copy
    cfg = copy.deepcopy(dict(model_cfg))
    if 'decode_head' not in cfg:
        raise KeyError('otdl_model_cfg: the model config has no `decode_head`')
    cfg['decode_head']['loss_decode'] = [dict(type='DepthMSELoss'),
                                         dict(type='OTDLLoss', mode=mode, **otdl_kwargs)]
    return cfg


def _otdl_check(workload: Workload) -> None:
    if workload.variant not in ('depth', 'spatial'):
        raise ValueError(f"{workload.name}: variant must be 'depth' or 'spatial', got "
                         f'{workload.variant!r}')


def _otdl_step(workload: Workload) -> Callable[[], Any]:
    """A train step with ``loss_decode=[DepthMSELoss, OTDLLoss(variant)]``."""
    _otdl_check(workload)
    _single_thread()
    from .benchmark_otdl import synthetic_depth_pair
    from .benchmark_utils import build_train_step, fake_batch
    cfg = otdl_model_cfg(_model_cfg(workload.config), workload.variant, **workload.params)
    _, target = synthetic_depth_pair(workload.batch, *workload.shape)
    inputs, samples = fake_batch(target)
    return build_train_step(cfg, inputs, samples)


def otdl_fwd_bwd(mode: str, shape: Sequence[int], batch: int = 1,
                 **otdl_kwargs) -> Callable[[], float]:
    """The OTDL forward+backward alone on synthetic maps of the loss resolution.

    Args:
        mode (str): OTDL mode.
        shape (Sequence[int]): ``(H, W)`` of the maps (the ground-truth size).
        batch (int): Number of maps.
        **otdl_kwargs: Further :class:`OTDLLoss` arguments.

    Returns:
        callable: Runs the loss on a fresh leaf copy of the prediction and
        returns its value.
    """
    from ..models.losses import OTDLLoss
    from .benchmark_otdl import fwd_bwd_closure, synthetic_depth_pair
    pred, target = synthetic_depth_pair(batch, int(shape[0]), int(shape[1]))
    return fwd_bwd_closure(OTDLLoss(mode=mode, **otdl_kwargs), pred, target)


def _otdl_loss(workload: Workload) -> Callable[[], Any]:
    """The OTDL forward+backward alone (mode ``variant``) at the input resolution."""
    _otdl_check(workload)
    _single_thread()
    return otdl_fwd_bwd(workload.variant, workload.shape, workload.batch, **workload.params)


def _pyloop(workload: Workload) -> Callable[[], Any]:
    """Pure Python (no torch): the sum of ``i * i`` for ``i < int(variant)``."""
    try:
        n = int(workload.variant)
    except ValueError:
        raise ValueError(f'pyloop: variant must be the loop size (an int), got '
                         f'{workload.variant!r}') from None

    def run() -> int:
        return sum(i * i for i in range(n))

    return run


WORKLOADS: Dict[str, Callable[[Workload], Callable[[], Any]]] = dict(
    dgr_step=_dgr_step, otdl_step=_otdl_step, otdl_loss=_otdl_loss, pyloop=_pyloop)


def build_workload(workload: Workload) -> Callable[[], Any]:
    """The callable of a workload (built in this process).

    Args:
        workload (Workload): Its description.

    Returns:
        callable: One repetition.
    """
    if workload.name not in WORKLOADS:
        raise KeyError(f'instruction_count: unknown workload {workload.name!r}; choose from '
                       f'{sorted(WORKLOADS)}')
    return WORKLOADS[workload.name](workload)


def run_workload(workload: Workload, reps: int, handshake: Optional[str] = None) -> None:
    """Build a workload and run it ``reps`` times (the body of a counting child).

    Args:
        workload (Workload): What to run.
        reps (int): Repetitions (>= 0).
        handshake (str, optional): Folder of the start handshake
            (:func:`wait_for_go` between building and the repetitions).
    """
    if reps < 0:
        raise ValueError(f'run_workload: reps must be >= 0, got {reps}')
    fn = build_workload(workload)
    if handshake is not None:
        wait_for_go(Path(handshake))
    for _ in range(reps):
        fn()


# --------------------------------------------------------------------------- counting


def parse_callgrind_total(text: str, event: str = 'Ir') -> int:
    """Total of ``event`` in a callgrind output file's text.

    The ``summary:`` line (header) is used, else the ``totals:`` line; the
    column is the position of ``event`` on the ``events:`` line.

    Args:
        text (str): Content of a ``callgrind.out`` file (its header suffices
            when it has a ``summary:`` line).
        event (str): Event name. Defaults to ``'Ir'`` (instructions executed).

    Returns:
        int: The total.
    """
    events = re.search(r'^events:[ \t]*(.+)$', text, re.MULTILINE)
    if events is None:
        raise InstructionCountError('callgrind output has no `events:` line')
    names = events.group(1).split()
    if event not in names:
        raise InstructionCountError(f'callgrind output counts {names}, not {event!r}')
    for key in ('summary', 'totals'):
        match = re.search(rf'^{key}:[ \t]*(.+)$', text, re.MULTILINE)
        if match:
            values = match.group(1).split()
            return int(values[names.index(event)])
    raise InstructionCountError('callgrind output has no `summary:` or `totals:` line')


def read_callgrind_total(path: Path, event: str = 'Ir') -> int:
    """:func:`parse_callgrind_total` of a file (reads the header first, the whole file if needed).

    Args:
        path (Path): A ``callgrind.out`` file.
        event (str): Event name.

    Returns:
        int: The total.
    """
    path = Path(path)
    if not path.is_file():
        raise InstructionCountError(f'callgrind wrote no output file {path}')
    with open(path, encoding='utf-8', errors='replace') as f:
        head = ''.join(line for _, line in zip(range(200), f, strict=False))
    if re.search(r'^summary:', head, re.MULTILINE):
        return parse_callgrind_total(head, event)
    return parse_callgrind_total(path.read_text(encoding='utf-8', errors='replace'), event)


def find_valgrind(valgrind: str = 'valgrind') -> str:
    """Path of the valgrind executable, or a clear error saying how to install it.

    Args:
        valgrind (str): Name or path of the executable.

    Returns:
        str: Its path.
    """
    path = shutil.which(valgrind)
    if path is None:
        raise InstructionCountError(
            f'instruction counts need `valgrind --tool=callgrind`, but {valgrind!r} was not '
            f'found on PATH; {VALGRIND_INSTALL_HINT}')
    return path


def child_command(workload: Workload, reps: int, out_file: Path, valgrind: str = 'valgrind',
                  python: Optional[str] = None,
                  handshake: Optional[Path] = None) -> List[str]:
    """The callgrind command line of a counting child.

    Args:
        workload (Workload): What to run.
        reps (int): Repetitions.
        out_file (Path): ``--callgrind-out-file``.
        valgrind (str): valgrind executable.
        python (str, optional): Python interpreter (default: this one).
        handshake (Path, optional): Start with instrumentation off
            (``--instr-atstart=no``); the child builds its workload, creates
            ``handshake/ready`` and waits for ``handshake/go`` (see
            :func:`callgrind_total`).

    Returns:
        list[str]: The command.
    """
    start = [] if handshake is None else ['--instr-atstart=no']
    child = [] if handshake is None else ['--handshake', str(handshake)]
    return [valgrind, '--tool=callgrind', *start, f'--callgrind-out-file={out_file}',
            python or sys.executable, str(Path(__file__).resolve()), *workload.argv(),
            '--reps', str(int(reps)), *child]


def child_env(hash_seed: int = 0) -> Dict[str, str]:
    """Environment of a counting child: one thread, fixed hash seed, the repository importable."""
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1',
               PYTHONHASHSEED=str(hash_seed), PYTHONDONTWRITEBYTECODE='1')
    env['PYTHONPATH'] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get('PYTHONPATH'))
                                        if p)
    return env


def callgrind_total(workload: Workload, reps: int, valgrind: str = 'valgrind',
                    timeout: Optional[float] = None,
                    skip_setup: bool = True) -> Tuple[int, float]:
    """Instructions of one child running ``workload`` ``reps`` times under callgrind.

    With ``skip_setup`` the child starts with instrumentation off (valgrind
    then runs it a few times slower than native instead of ~50x): it imports
    and builds its workload, signals ``ready``, this process switches
    instrumentation on (``callgrind_control -i on PID``) and lets it run its
    repetitions. What is counted is then the repetitions plus the child's
    exit, and a little of its wait loop; the ``k``/``2k`` difference removes
    both, exactly as it removes the setup when everything is counted.

    Args:
        workload (Workload): What to run.
        reps (int): Repetitions.
        valgrind (str): valgrind executable (name or path).
        timeout (float, optional): Seconds before the child is killed.
        skip_setup (bool): Count only from the first repetition on. Defaults to True.

    Returns:
        tuple[int, float]: The ``Ir`` total and the child's wall time in seconds.
    """
    exe = find_valgrind(valgrind)
    control = None
    if skip_setup:
        control = shutil.which('callgrind_control', path=str(Path(exe).parent)) or \
            shutil.which('callgrind_control')
        if control is None:
            raise InstructionCountError('skip_setup needs `callgrind_control` (part of '
                                        f'valgrind), not found on PATH; {VALGRIND_INSTALL_HINT}')
    with tempfile.TemporaryDirectory(prefix='callgrind_') as tmp:
        out_file = Path(tmp) / 'callgrind.out'
        handshake = Path(tmp) if skip_setup else None
        cmd = child_command(workload, reps, out_file, exe, handshake=handshake)
        what = f'callgrind child of {workload.label()} ({reps} reps)'
        start = time.perf_counter()
        with subprocess.Popen(cmd, cwd=str(REPO_ROOT), env=child_env(), text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
            try:
                if handshake is not None:
                    _start_counting(proc, handshake, control, timeout, start, what)
                remaining = None if timeout is None else max(
                    1.0, timeout - (time.perf_counter() - start))
                _, stderr = proc.communicate(timeout=remaining)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise InstructionCountError(f'{what} ran past {timeout} s: '
                                            f'{" ".join(cmd)}') from None
            except InstructionCountError as err:
                proc.kill()
                _, stderr = proc.communicate()
                raise InstructionCountError(f'{err}\n--- stderr (tail) ---\n'
                                            f'{(stderr or "")[-STDERR_TAIL:]}') from None
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise InstructionCountError(
                f'{what} failed with exit status {proc.returncode}: {" ".join(cmd)}\n'
                f'--- stderr (tail) ---\n{stderr[-STDERR_TAIL:]}')
        return read_callgrind_total(out_file), wall


def _start_counting(proc: subprocess.Popen, handshake: Path, control: str,
                    timeout: Optional[float], start: float, what: str) -> None:
    """Wait for the child's ``ready``, switch instrumentation on, create ``go``."""
    ready = handshake / 'ready'
    while not ready.exists():
        if proc.poll() is not None:
            raise InstructionCountError(f'{what} exited with status {proc.returncode} before '
                                        'its workload was built')
        if timeout is not None and time.perf_counter() - start > timeout:
            raise subprocess.TimeoutExpired(proc.args, timeout)
        time.sleep(0.05)
    res = subprocess.run([control, '--instr=on', str(proc.pid)], capture_output=True,
                         text=True, timeout=120, check=False)
    if res.returncode != 0 or 'Error' in res.stdout:
        raise InstructionCountError(f'{what}: `{control} --instr=on {proc.pid}` failed '
                                    f'(status {res.returncode}): {res.stdout}{res.stderr}')
    (handshake / 'go').touch()


def wait_for_go(handshake: Path, poll_s: float = 0.002) -> None:
    """Child side of the handshake: create ``ready``, wait (running, not blocked) for ``go``.

    The wait is a loop of short sleeps so that valgrind's scheduler keeps
    running and sees the parent's ``callgrind_control`` request.

    Args:
        handshake (Path): The folder of the two files.
        poll_s (float): Sleep between checks.
    """
    handshake = Path(handshake)
    (handshake / 'ready').touch()
    go = handshake / 'go'
    while not go.exists():
        time.sleep(poll_s)


def count_instructions(workload: Workload, reps: int = 1, runs: int = 1,
                       valgrind: str = 'valgrind', timeout: Optional[float] = None,
                       jobs: int = 1, skip_setup: bool = True) -> InstructionCount:
    """Instructions per repetition of a workload, from a ``k`` and a ``2k`` run.

    Args:
        workload (Workload): What to count.
        reps (int): ``k`` (>= 1).
        runs (int): How often each of the two runs is done (2 shows that the
            totals repeat). Defaults to 1.
        valgrind (str): valgrind executable.
        timeout (float, optional): Seconds per child.
        jobs (int): Children run at the same time (the counts do not depend on
            it). Defaults to 1.
        skip_setup (bool): Children count from their first repetition on
            (:func:`callgrind_total`). Defaults to True.

    Returns:
        InstructionCount: The totals; ``per_rep`` is the difference per repetition.
    """
    if reps < 1 or runs < 1:
        raise ValueError(f'count_instructions: reps >= 1 and runs >= 1 required, got {reps}, '
                         f'{runs}')
    find_valgrind(valgrind)
    plan = [reps, 2 * reps] * runs
    results = _map(lambda k: callgrind_total(workload, k, valgrind, timeout, skip_setup), plan,
                   jobs)
    totals = {reps: [], 2 * reps: []}
    for k, (total, _) in zip(plan, results, strict=True):
        totals[k].append(total)
    return InstructionCount(workload, reps, totals[reps], totals[2 * reps],
                            [wall for _, wall in results])


def count_many(workloads: Sequence[Workload], reps: int = 1, runs: int = 1,
               valgrind: str = 'valgrind', timeout: Optional[float] = None,
               jobs: int = 1, skip_setup: bool = True) -> List[InstructionCount]:
    """:func:`count_instructions` of several workloads, ``jobs`` children at a time.

    Args:
        workloads (Sequence[Workload]): What to count.
        reps (int): ``k``.
        runs (int): Runs of each ``k``/``2k`` child.
        valgrind (str): valgrind executable.
        timeout (float, optional): Seconds per child.
        jobs (int): Children at the same time.
        skip_setup (bool): See :func:`callgrind_total`.

    Returns:
        list[InstructionCount]: In the order of ``workloads``.
    """
    if reps < 1 or runs < 1:
        raise ValueError(f'count_many: reps >= 1 and runs >= 1 required, got {reps}, {runs}')
    find_valgrind(valgrind)
    plan = [(i, k) for i in range(len(workloads)) for k in [reps, 2 * reps] * runs]
    results = _map(lambda ik: callgrind_total(workloads[ik[0]], ik[1], valgrind, timeout,
                                              skip_setup), plan, jobs)
    counts = []
    for i, workload in enumerate(workloads):
        mine = [(k, res) for (j, k), res in zip(plan, results, strict=True) if j == i]
        counts.append(InstructionCount(workload, reps,
                                       [t for k, (t, _) in mine if k == reps],
                                       [t for k, (t, _) in mine if k == 2 * reps],
                                       [w for _, (_, w) in mine]))
    return counts


def _map(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int) -> List[Any]:
    """``[fn(x) for x in items]``, ``jobs`` at a time (threads driving child processes)."""
    if jobs <= 1:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(fn, items))


def count_ratio(numerator: InstructionCount, denominator: InstructionCount) -> float:
    """Exact ratio of the per-repetition counts of two workloads.

    Args:
        numerator (InstructionCount): E.g. the DGR step or the OTDL loss.
        denominator (InstructionCount): E.g. the plain step or the full step.

    Returns:
        float: ``numerator.per_rep / denominator.per_rep``.
    """
    if denominator.per_rep <= 0:
        raise InstructionCountError(f'count_ratio: per-repetition count of '
                                    f'{denominator.workload.label()} is {denominator.per_rep}')
    return numerator.per_rep / denominator.per_rep


# --------------------------------------------------------------------------- child CLI


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command line of a counting child (also usable by hand, without valgrind)."""
    parser = argparse.ArgumentParser(description='Run a named benchmark workload K times '
                                     '(the child that callgrind counts).')
    parser.add_argument('--workload', required=True, help=f'one of {sorted(WORKLOADS)}')
    parser.add_argument('--variant', default='')
    parser.add_argument('--shape', type=int, nargs=2, default=list(DEFAULT_SHAPE),
                        metavar=('H', 'W'))
    parser.add_argument('--config', default=SWIN_T_CONFIG)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--params', default='{}', help='JSON dict of extra arguments')
    parser.add_argument('--reps', type=int, default=1)
    parser.add_argument('--handshake', help='folder: create ready after building, wait for go')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Child entry point: build the workload, run it ``--reps`` times.

    Args:
        argv (Sequence[str], optional): Arguments (default ``sys.argv[1:]``).

    Returns:
        int: Exit status.
    """
    args = parse_args(argv)
    try:
        params = json.loads(args.params)
    except json.JSONDecodeError as err:
        raise SystemExit(f'--params is not JSON ({err}): {args.params!r}') from None
    if not isinstance(params, dict):
        raise SystemExit(f'--params must be a JSON object, got {args.params!r}')
    workload = Workload(args.workload, args.variant, tuple(args.shape), args.config,
                        args.batch, params)
    run_workload(workload, args.reps, args.handshake)
    return 0


if __name__ == '__main__':
    if __package__ in (None, ''):
        # run by path: the package's folder must not shadow top-level modules, and the
        # relative imports of the workloads need the package
        here = str(Path(__file__).resolve().parent)
        sys.path[:] = [p for p in sys.path if str(Path(p or '.').resolve()) != here]
        sys.path.insert(0, str(REPO_ROOT))
        __package__ = 'mmdepth_dgr.analysis'  # noqa: A001  (imported on first use only)
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # skip the interpreter's teardown (counted, and slow under valgrind)
