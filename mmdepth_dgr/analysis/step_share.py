"""OTDL's share of a Swin-T train step, with a confidence interval and an exact count.

For each OTDL mode the depth model of ``config`` is trained with Eq. 21,
``loss_decode=[DepthMSELoss, OTDLLoss(mode)]`` (one step: forward, loss,
backward, AdamW step, batch ``batch``), and the OTDL forward+backward is run
alone on synthetic maps of the loss resolution (the ground-truth size, as in
:func:`~.benchmark_otdl.bench_training_step_share`). The share is
``OTDL / step``, measured two ways:

* **Time**: steps and OTDL calls alternate in interleaved rounds
  (:func:`~.benchmark_utils.time_interleaved`, one torch thread by default);
  the share of round ``i`` is ``otdl[i] / step[i]`` (paired: load changes
  between rounds cancel) and the reported value is the median with a 95 %
  percentile-bootstrap interval (:mod:`.timing_stats`). An interval whose half
  width exceeds ``resolution`` (one percentage point) is marked unresolved.
* **Instructions** (optional, valgrind needed): the per-repetition ``Ir``
  counts of the two workloads ``otdl_loss[mode]`` and ``otdl_step[mode]``
  (:mod:`.instruction_count`, the ``k``/``2k`` difference), at ``count_shape``
  (default ``shape``); their ratio is exact and load-independent.

The goal (:data:`SHARE_GOALS`: spatial <= 10 %, depth <= 3 %) is judged on the
time share when its interval resolves, else on the instruction share when it
was counted, else on the unresolved time median (flagged as such).
"""
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import torch

from .benchmark_utils import build_train_step, fake_batch, judged_metric, time_interleaved
from .instruction_count import (
    SWIN_T_CONFIG,
    Workload,
    count_many,
    count_ratio,
    otdl_fwd_bwd,
    otdl_model_cfg,
    resolve_config,
)
from .timing_stats import RESOLUTION, interval_dict, median_interval, paired_ratio_interval

SHARE_GOALS = dict(spatial=0.10, depth=0.03)

Row = Dict[str, Any]


def _time_share(config: str, mode: str, shape: Sequence[int], batch: int, rounds: int,
                warmup: int, device: str, lr: float, otdl: dict) -> Dict[str, Any]:
    """Interleaved times of the Eq. 21 train step and of the OTDL call alone."""
    from mmengine.config import Config

    from .benchmark_otdl import synthetic_depth_pair
    cfg = otdl_model_cfg(Config.fromfile(config).model, mode, **otdl)
    _, target = synthetic_depth_pair(batch, int(shape[0]), int(shape[1]), device=device)
    inputs, samples = fake_batch(target)
    step = build_train_step(cfg, inputs, samples, device, lr)
    loss = otdl_fwd_bwd(mode, shape, batch, **otdl)
    return time_interleaved(dict(step=step, otdl=loss), rounds, warmup, device)


def otdl_step_share(config: str = SWIN_T_CONFIG, shape: Sequence[int] = (416, 544),
                    batch: int = 1, rounds: int = 10, warmup: int = 1,
                    modes: Sequence[str] = ('depth', 'spatial'), threads: Optional[int] = 1,
                    lr: float = 1e-4, otdl: Optional[dict] = None,
                    count_instructions: bool = False,
                    count_shape: Optional[Sequence[int]] = None, count_reps: int = 1,
                    count_runs: int = 1, jobs: int = 1, timeout: Optional[float] = None,
                    resolution: float = RESOLUTION, device: str = 'cpu') -> List[Row]:
    """OTDL's share of a train step per mode, by paired CPU time and by instruction counts.

    Args:
        config (str): Model config file. Defaults to the Swin-T depth model.
        shape (Sequence[int]): Input and loss ``(H, W)`` of the timing.
        batch (int): Batch size.
        rounds (int): Timed interleaved rounds (one step and one OTDL call each).
        warmup (int): Untimed rounds first.
        modes (Sequence[str]): OTDL modes (``'depth'``, ``'spatial'``).
        threads (int, optional): Torch threads during the timing (restored
            afterwards); None keeps the current setting. Defaults to 1.
        lr (float): AdamW learning rate.
        otdl (dict, optional): Further :class:`OTDLLoss` arguments (default:
            its defaults, e.g. ``blur=0.05`` of the training configs).
        count_instructions (bool): Also count instructions under callgrind.
        count_shape (Sequence[int], optional): ``(H, W)`` of the counts
            (default ``shape``; smaller keeps callgrind's run time down).
        count_reps (int): ``k`` of the ``k``/``2k`` difference.
        count_runs (int): Runs of each child (2 shows that the totals repeat).
        jobs (int): Callgrind children at the same time.
        timeout (float, optional): Seconds per callgrind child.
        resolution (float): Half width of the share's interval that still
            resolves (0.01: one percentage point).
        device (str): Timing device (``'cpu'`` for instruction counts; on CUDA
            the share is judged on wall time).

    Returns:
        list[dict]: One row per mode: ``mode``, ``name``, ``shape``, the time
        intervals (``step_{cpu,wall}``, ``otdl_{cpu,wall}``: median, low, high,
        n in seconds; ``share_cpu``, ``share_wall``: dicts of
        :func:`~.timing_stats.interval_dict` with ``resolved``), ``instructions``
        (counts and ``share``, or None), the judged ``share`` with its
        ``method``, ``limit`` and ``passed``.
    """
    otdl = dict(otdl or {})
    if count_instructions and device != 'cpu':
        raise ValueError(f"otdl_step_share: instruction counts need device='cpu', got {device!r}")
    for mode in modes:
        if mode not in SHARE_GOALS:
            raise ValueError(f'otdl_step_share: unknown mode {mode!r}; choose from '
                             f'{sorted(SHARE_GOALS)}')
    config = resolve_config(config)
    shape = (int(shape[0]), int(shape[1]))
    count_shape = tuple(int(s) for s in (count_shape or shape))
    metric = judged_metric(device)
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        times = {mode: _time_share(config, mode, shape, batch, rounds, warmup, device, lr, otdl)
                 for mode in modes}
    finally:
        torch.set_num_threads(old_threads)
    counts = {}
    if count_instructions:
        workloads = [Workload(name, mode, count_shape, config, batch, otdl)
                     for mode in modes for name in ('otdl_step', 'otdl_loss')]
        done = count_many(workloads, count_reps, count_runs, timeout=timeout, jobs=jobs)
        for i, mode in enumerate(modes):
            step, loss = done[2 * i], done[2 * i + 1]
            counts[mode] = dict(step=step.as_dict(), otdl=loss.as_dict(),
                                share=count_ratio(loss, step), shape=count_shape)
    rows = []
    for mode in modes:
        t = times[mode]
        row = dict(mode=mode, shape=shape, batch=batch, rounds=rounds, metric=metric,
                   name=f'OTDL ({mode} mode) share of a {Path(config).stem} train step '
                   f'({batch}x3x{shape[0]}x{shape[1]})',
                   threads=threads if threads is not None else old_threads)
        for part in ('step', 'otdl'):
            for m in ('cpu', 'wall'):
                row[f'{part}_{m}'] = median_interval(t[part][m])._asdict()
                row[f'{part}_{m}_s'] = list(t[part][m])
        for m in ('cpu', 'wall'):
            row[f'share_{m}'] = interval_dict(
                paired_ratio_interval(t['otdl'][m], t['step'][m]), resolution)
        row['instructions'] = counts.get(mode)
        row.update(judge_share(row[f'share_{metric}'], counts.get(mode), SHARE_GOALS[mode],
                               metric))
        rows.append(row)
    return rows


def judge_share(time_share: dict, counts: Optional[dict], limit: float,
                metric: str = 'cpu') -> Dict[str, Any]:
    """The share a goal is judged on: the time interval when resolved, else the count.

    Args:
        time_share (dict): :func:`~.timing_stats.interval_dict` of the paired share.
        counts (dict, optional): Instruction counts with their ``share``.
        limit (float): Goal (share <= limit).
        metric (str): Time metric of ``time_share``.

    Returns:
        dict: ``share``, ``method`` (``'<metric> time'``, ``'instructions'``, or
        ``'<metric> time (unresolved)'``), ``limit``, ``passed``.
    """
    if time_share['resolved']:
        share, method = time_share['median'], f'{metric} time'
    elif counts is not None:
        share, method = counts['share'], 'instructions'
    else:
        share, method = time_share['median'], f'{metric} time (unresolved)'
    return dict(share=share, method=method, limit=limit, passed=bool(share <= limit))


def format_step_share(rows: Sequence[Row]) -> str:
    """Markdown table of :func:`otdl_step_share`'s rows.

    Args:
        rows (Sequence[dict]): Its output.

    Returns:
        str: The table.
    """
    lines = ['| mode | step CPU (s) | OTDL CPU (ms) | share, CPU [95 % CI] | resolves +-1 pt | '
             'Ir step (G) | Ir OTDL (G) | share, Ir (exact) | judged on | share | goal | '
             'result |', '|---|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---|']
    for r in rows:
        sc, oc, sh = r['step_cpu'], r['otdl_cpu'], r['share_cpu']
        ir = r['instructions']
        ir_cells = ('-', '-', '-') if ir is None else (
            f'{ir["step"]["per_rep"] / 1e9:.3f}', f'{ir["otdl"]["per_rep"] / 1e9:.4f}',
            f'{100 * ir["share"]:.3f} %')
        lines.append(
            f'| {r["mode"]} | {sc["median"]:.3f} | {1e3 * oc["median"]:.1f} | '
            f'{100 * sh["median"]:.2f} % [{100 * sh["low"]:.2f}, {100 * sh["high"]:.2f}] | '
            f'{"yes" if sh["resolved"] else "no"} | {" | ".join(ir_cells)} | {r["method"]} | '
            f'{100 * r["share"]:.2f} % | <= {100 * r["limit"]:.0f} % | '
            f'{"PASS" if r["passed"] else "FAIL"} |')
    return '\n'.join(lines)
