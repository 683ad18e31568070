"""The runs of the DGR / OTDL study: which configs, which seeds, how each is trained and tested.

Every run is the project's own tools in a fresh process (``tools/dist_train.sh`` on ``nproc``
gloo processes, then ``tools/test.py`` with the boundary metrics and a per-image CSV), so a
run of the study is exactly what a user gets from the command line with the same
``--cfg-options``. Only the schedule length and the seed differ from the configs.
"""
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

#: The variants, in table order: (name, config). The baseline is the first. ``MSE`` is the
#: control of ``+OTDL``: Eq. 21 without its OTDL term (the baseline's loss is Hu et al.'s).
_SUFFIX = '_mit-b0_2xb4-2k_synthetic-nyu-96x128.py'
VARIANTS = (
    ('baseline', f'configs/multiscale_depth/multiscale-depth{_SUFFIX}'),
    ('+DGR (neck)', f'configs/dgr/multiscale-depth-dgr-neck{_SUFFIX}'),
    ('+DGR (backbone)', f'configs/dgr/multiscale-depth-dgr-backbone{_SUFFIX}'),
    ('MSE', f'configs/dgr/multiscale-depth-mse{_SUFFIX}'),
    ('+OTDL', f'configs/dgr/multiscale-depth-otdl{_SUFFIX}'),
    ('+DGR +OTDL', f'configs/dgr/multiscale-depth-dgr-otdl{_SUFFIX}'),
)

#: The paired comparisons (variant, reference): every variant against the baseline, then the
#: single-change ones the loss change hides: OTDL against its MSE control, DGR on top of OTDL.
COMPARISONS = tuple((v, 'baseline') for v, _ in VARIANTS[1:]) + (
    ('+OTDL', 'MSE'), ('+DGR +OTDL', '+OTDL'))

#: Name of the per-image metrics file ``DepthEvalMetric`` writes into ``tools/test.py --out``.
PER_IMAGE_CSV = 'per_image_metrics.csv'


def slug(name: str) -> str:
    """A folder name for a variant (``'+DGR (neck)'`` -> ``'dgr-neck'``)."""
    text = ''.join(c.lower() if c.isalnum() else '-' for c in name)
    return '-'.join(part for part in text.split('-') if part)


def repo_tools_dir() -> Path:
    """``tools/`` of the checkout (or of the installed package's ``.mim``).

    Raises:
        FileNotFoundError: Neither holds ``tools/train.py``.
    """
    package = Path(__file__).resolve().parents[2]
    for candidate in (package.parent / 'tools', package / '.mim' / 'tools'):
        if (candidate / 'train.py').is_file():
            return candidate
    raise FileNotFoundError(f'tools/train.py not found next to {package} nor in its .mim')


@dataclass(frozen=True)
class StudyRun:
    """One (variant, seed) run and where its files go."""

    variant: str
    config: str
    seed: int
    work_dir: Path

    @property
    def per_image_csv(self) -> Path:
        """The per-image metrics written by ``tools/test.py --out``."""
        return self.work_dir / 'test' / 'pred' / PER_IMAGE_CSV

    @property
    def stamp(self) -> Path:
        """What the run was trained with (:func:`run_stamp`), written after training."""
        return self.work_dir / 'study_run.json'

    @property
    def metrics_json(self) -> Path:
        """The averaged metrics written by ``tools/test.py --metrics-out``."""
        return self.work_dir / 'test' / 'metrics.json'


def plan_runs(work_dir: Path, seeds: Sequence[int],
              variants: Optional[Sequence[str]] = None) -> List[StudyRun]:
    """The study's runs, seed-major (every variant of seed 0 first).

    Args:
        work_dir (Path): The study's folder; run ``v`` of seed ``s`` is
            ``<work_dir>/<slug(v)>/seed<s>``.
        seeds (Sequence[int]): The seeds (at least 2 for a standard deviation; 3 for the study).
        variants (Sequence[str], optional): A subset of :data:`VARIANTS` names, in table
            order; the baseline is always included. Defaults to all.

    Returns:
        list[StudyRun]: The runs.

    Raises:
        ValueError: An unknown variant, a repeated seed or fewer than 2 seeds.
    """
    known = dict(VARIANTS)
    chosen = list(known) if variants is None else list(variants)
    unknown = [v for v in chosen if v not in known]
    if unknown:
        raise ValueError(f'unknown variant(s) {unknown}; choose from {list(known)}')
    if len(set(seeds)) != len(seeds) or len(seeds) < 2:
        raise ValueError(f'need at least 2 distinct seeds (3 for the study), got {list(seeds)}')
    names = [v for v in known if v in chosen or v == VARIANTS[0][0]]
    root = repo_tools_dir().parent
    return [StudyRun(v, str(root / known[v]), int(s),
                     Path(work_dir).resolve() / slug(v) / f'seed{s}')
            for s in seeds for v in names]


def schedule_options(iters: int, seed: int, warmup: int = 50) -> List[str]:
    """``--cfg-options`` of a study run: the configs' schedule shortened to ``iters``, one seed.

    The linear warm-up keeps its ``warmup`` iterations (a quarter of ``iters`` when that is
    fewer, e.g. in the 2-iteration smoke run) and the poly decay ends at ``iters``; the single
    validation and checkpoint come at the end.

    Args:
        iters (int): Training iterations.
        seed (int): ``randomness.seed`` (initialisation, data order, augmentation).
        warmup (int): Warm-up iterations of the configs (``param_scheduler[0].end``).

    Returns:
        list[str]: ``key=value`` items.
    """
    if iters < 2:
        raise ValueError(f'iters must be >= 2 (warm-up, then decay), got {iters}')
    warm = min(warmup, max(1, iters // 4))
    return [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            f'default_hooks.checkpoint.interval={iters}', f'param_scheduler.0.end={warm}',
            f'param_scheduler.1.begin={warm}', f'param_scheduler.1.end={iters}',
            f'randomness.seed={seed}']


def _run_logged(cmd: List[str], log: Path, env: Dict[str, str]) -> None:
    """Run ``cmd`` with its output in ``log``; raise with the log's tail when it fails."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, 'w', encoding='utf-8') as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
    if proc.returncode != 0:
        tail = ''.join(log.read_text(encoding='utf-8', errors='replace').splitlines(True)[-25:])
        raise RuntimeError(f'{" ".join(cmd[:4])} ... failed (exit {proc.returncode}); log: '
                           f'{log}\n{tail}')


def run_stamp(run: StudyRun, iters: int, nproc: int,
              extra_options: Sequence[str] = ()) -> Dict[str, object]:
    """The settings that make a trained run what it is (config, seed, schedule, processes)."""
    return dict(config=Path(run.config).name, seed=run.seed, iters=iters, nproc=nproc,
                cfg_options=list(extra_options))


def check_reusable(run: StudyRun, iters: int, nproc: int,
                   extra_options: Sequence[str] = ()) -> None:
    """Refuse to reuse a trained run made with other settings than the ones asked for.

    Raises:
        ValueError: The run's ``study_run.json`` is missing or differs (names the file and
            the differences).
    """
    wanted = run_stamp(run, iters, nproc, extra_options)
    if not run.stamp.is_file():
        raise ValueError(f'{run.work_dir} holds a trained run without {run.stamp.name}: it '
                         'was not trained by this study; pass --no-reuse or another --work-dir')
    found = json.loads(run.stamp.read_text())
    diff = {k: (found.get(k), v) for k, v in wanted.items() if found.get(k) != v}
    if diff:
        text = ', '.join(f'{k}: {a!r} then, {b!r} now' for k, (a, b) in diff.items())
        raise ValueError(f'{run.stamp} was trained with other settings ({text}); pass '
                         '--no-reuse or another --work-dir')


def train_run(run: StudyRun, iters: int, nproc: int, port: int,
              extra_options: Sequence[str] = ()) -> Path:
    """Train one run with ``tools/dist_train.sh`` and return its last checkpoint.

    Args:
        run (StudyRun): The run.
        iters (int): Training iterations.
        nproc (int): Training processes (the configs are ``2xb4``: 2 keeps their batch).
        port (int): torchrun's master port.
        extra_options (Sequence[str]): More ``--cfg-options`` (e.g. the data root).

    Returns:
        Path: The checkpoint.
    """
    tools = repo_tools_dir()
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port))
    cmd = ['bash', str(tools / 'dist_train.sh'), run.config, str(nproc), '--work-dir',
           str(run.work_dir), '--cfg-options', *schedule_options(iters, run.seed), *extra_options]
    _run_logged(cmd, run.work_dir / 'study_train.log', env)
    run.stamp.write_text(json.dumps(run_stamp(run, iters, nproc, extra_options), indent=1))
    return last_checkpoint(run)


def last_checkpoint(run: StudyRun) -> Path:
    """The checkpoint named by a trained run's ``last_checkpoint`` file.

    Raises:
        FileNotFoundError: The run has not been trained (names the file).
    """
    marker = run.work_dir / 'last_checkpoint'
    if not marker.is_file():
        raise FileNotFoundError(f'{run.variant} seed {run.seed} is not trained: no {marker}')
    ckpt = run.work_dir / Path(marker.read_text().strip()).name
    if not ckpt.is_file():
        raise FileNotFoundError(f'{marker} names {ckpt}, which does not exist')
    return ckpt


def test_run(run: StudyRun, extra_options: Sequence[str] = ()) -> Path:
    """Evaluate a trained run with ``tools/test.py`` (boundary metrics on, per-image CSV).

    Args:
        run (StudyRun): The run.
        extra_options (Sequence[str]): More ``--cfg-options``.

    Returns:
        Path: The per-image CSV.
    """
    tools = repo_tools_dir()
    cmd = [sys.executable, str(tools / 'test.py'), run.config, str(last_checkpoint(run)),
           '--work-dir', str(run.work_dir / 'test'), '--metrics-out', str(run.metrics_json),
           '--out', str(run.per_image_csv.parent), '--cfg-options',
           'test_evaluator.boundary_metrics=True', *extra_options]
    _run_logged(cmd, run.work_dir / 'study_test.log', dict(os.environ))
    if not run.per_image_csv.is_file():
        raise FileNotFoundError(f'tools/test.py wrote no {run.per_image_csv}')
    return run.per_image_csv


def execute(runs: Sequence[StudyRun], iters: int, nproc: int = 2, port: int = 29531,
            reuse: bool = True, retest: bool = False, extra_options: Sequence[str] = (),
            train_only: bool = False, log: Callable[[str], None] = print) -> None:
    """Train and test every run, skipping what is already done when ``reuse``.

    Args:
        runs (Sequence[StudyRun]): From :func:`plan_runs`.
        iters (int): Training iterations of every run.
        nproc (int): Training processes per run.
        port (int): torchrun's master port.
        reuse (bool): Keep trained checkpoints and per-image CSVs found in the run folders.
        retest (bool): Evaluate again even where a CSV exists (e.g. after a metric change).
        extra_options (Sequence[str]): More ``--cfg-options`` for training and testing.
        train_only (bool): Train, do not test.
        log (Callable[[str], None]): Progress lines (one per step, with times and an ETA).
    """
    busy, worked = 0.0, 0
    for k, run in enumerate(runs, 1):
        head = f'[{k}/{len(runs)}] {run.variant} seed {run.seed}'
        t_run = time.time()
        train = not (reuse and (run.work_dir / 'last_checkpoint').is_file())
        if not train:
            check_reusable(run, iters, nproc, extra_options)
        test = not train_only and (train or retest or not (reuse and run.per_image_csv.is_file()))
        if train:
            train_run(run, iters, nproc, port, extra_options)
            log(f'{head}: trained {iters} iterations in {time.time() - t_run:.0f} s')
        if test:
            t0 = time.time()
            test_run(run, extra_options)
            log(f'{head}: tested in {time.time() - t0:.0f} s')
        if train or test:
            busy, worked = busy + time.time() - t_run, worked + 1
            log(f'{head}: done; {busy / 60:.1f} min of work so far, about '
                f'{busy / worked * (len(runs) - k) / 60:.0f} min left')
        else:
            log(f'{head}: reused the finished run in {run.work_dir}')
