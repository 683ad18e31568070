"""Cost of DGR: the same model with and without it, measured in the same run.

Goals (Sec. 3.2's claim "without increasing complexity"): with DGR on all four
levels, parameters +<=3 % and FLOPs +<=5 % on a Swin-L depth model, train-step
time +<=10 % on Swin-T at 416x544. The DGR neck placement is the one the goals
are judged on; the in-backbone placement (:class:`DGRBackbone`) is an extra
row, judged against the same limits.

Train-step time is measured per step both as wall-clock time and as the CPU
time of the process (``time.process_time``, all threads). On a CPU shared with
other jobs, wall time mostly measures the other tenants' load, so on CPU the
goal is judged on the CPU-time medians by default (``time_metric='auto'``);
on CUDA it is judged on wall time (after ``torch.cuda.synchronize``). Both
are reported.

The variants are timed in interleaved rounds (one step of each per round), so
the overhead of a placement is summarised per round: the ratio of round ``i``
is ``t_placement[i] / t_none[i]`` (paired), reported as the median with a 95 %
percentile-bootstrap interval (:mod:`.timing_stats`); ``*_ratio`` is that
median minus 1. An interval whose half width exceeds one percentage point
cannot resolve the 1 % the issue asks for and is marked so. With
``count_instructions=True`` each variant's train step is also counted under
``valgrind --tool=callgrind`` (:mod:`.instruction_count`: per-step ``Ir`` as the
difference of a ``k``- and a ``2k``-step child, at ``count_shape``); the exact
count ratio is then a load-independent overhead, and the goal is judged on it
when the time interval does not resolve (the ``decisive`` goals).
"""
import copy
import statistics
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config

from .benchmark_utils import build_train_step, fake_batch, time_interleaved
from .complexity import ConfigLike, _as_model_cfg, model_complexity
from .timing_stats import (
    RESOLUTION,
    Interval,
    fmt_pct_interval,
    interval_dict,
    paired_ratio_interval,
)

SWIN_L_CONFIG = 'configs/_base_/models/multiscale-depth_swin-l.py'
SWIN_T_CONFIG = 'configs/_base_/models/multiscale-depth_swin-t.py'
PARAMS_GOAL = 0.03
FLOPS_GOAL = 0.05
TIME_GOAL = 0.10
PLACEMENTS = ('none', 'neck', 'backbone')


def add_dgr(model_cfg: dict, placement: str = 'neck', in_channels: Optional[List[int]] = None,
            **dgr_kwargs) -> dict:
    """A copy of a model config with DGR added.

    Args:
        model_cfg (dict): A ``DepthEstimator`` (or other segmentor) config.
        placement (str): ``'neck'``: a :class:`DGRNeck` in front of the head (or
            chained in front of the model's own neck with ``SequentialNeck``);
            ``'backbone'``: the backbone wrapped in :class:`DGRBackbone`;
            ``'none'``: unchanged copy.
        in_channels (list[int], optional): Neck placement only: channels of the
            backbone outputs. Default: the own neck's ``in_channels``, or the
            decode head's when it uses every level in order.
        **dgr_kwargs: :class:`DGRNeck` arguments (``levels``, ``rank``, ...).

    Returns:
        dict: The new model config.
    """
    cfg = copy.deepcopy(dict(model_cfg))
    if placement == 'none':
        return cfg
    if placement == 'backbone':
        cfg['backbone'] = dict(type='DGRBackbone', backbone=cfg['backbone'], dgr=dgr_kwargs)
        return cfg
    if placement != 'neck':
        raise ValueError(f'add_dgr: placement must be one of {PLACEMENTS}, got {placement!r}')
    own_neck = cfg.get('neck')
    if in_channels is None:
        if own_neck is not None:
            if 'in_channels' not in own_neck:
                raise ValueError('add_dgr: the model neck has no in_channels; pass in_channels')
            in_channels = own_neck['in_channels']
        else:
            head = cfg['decode_head']
            in_channels = head['in_channels']
            in_index = head.get('in_index', list(range(len(in_channels))))
            if not isinstance(in_channels, (list, tuple)) or \
                    list(in_index) != list(range(len(in_channels))):
                raise ValueError('add_dgr: cannot infer the backbone channels from decode_head '
                                 f'(in_channels={in_channels}, in_index={in_index}); pass '
                                 'in_channels')
    dgr_neck = dict(type='DGRNeck', in_channels=list(in_channels), **dgr_kwargs)
    cfg['neck'] = (dgr_neck if own_neck is None else
                   dict(type='SequentialNeck', necks=[dgr_neck, own_neck]))
    return cfg


def _depth_target(shape: Sequence[int], max_depth: float, device: str,
                  seed: int = 0) -> torch.Tensor:
    """A random valid ``(1, 1, H, W)`` depth map in ``[0.5, max_depth - 0.5]``."""
    gen = torch.Generator().manual_seed(seed)
    h, w = int(shape[0]), int(shape[1])
    return (0.5 + torch.rand(1, 1, h, w, generator=gen) * (max_depth - 1.0)).to(device)


def time_train_steps(model_cfgs: Dict[str, dict], shape: Sequence[int] = (416, 544),
                     repeats: int = 5, warmup: int = 2, device: str = 'cpu',
                     lr: float = 1e-4,
                     threads: Optional[int] = None) -> Dict[str, Dict[str, List[float]]]:
    """Time full train steps (forward, loss, backward, AdamW step), batch 1.

    The variants are interleaved (one step of each in turn, the order rotated
    every round) so that load changes on a shared machine hit every variant
    alike.

    Args:
        model_cfgs (dict[str, dict]): Name -> model config (pretrained is
            stripped and SyncBN replaced by BN here).
        shape (Sequence[int]): Input ``(H, W)``.
        repeats (int): Timed steps per variant.
        warmup (int): Untimed steps per variant first.
        device (str): ``'cpu'`` or ``'cuda'``.
        lr (float): AdamW learning rate.
        threads (int, optional): ``torch.set_num_threads`` during the timing
            (restored afterwards); None keeps the current setting.

    Returns:
        dict[str, dict[str, list[float]]]: Name -> ``{'wall': [...], 'cpu': [...]}``
        step times in seconds (wall clock, and CPU time of the process).
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f'time_train_steps: repeats >= 1 and warmup >= 0 required, got '
                         f'{repeats}, {warmup}')
    steps = {}
    for name, cfg in model_cfgs.items():
        max_depth = float(cfg.get('decode_head', {}).get('max_depth', 10.0))
        inputs, samples = fake_batch(_depth_target(shape, max_depth, device))
        steps[name] = build_train_step(cfg, inputs, samples, device, lr)
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return time_interleaved(steps, repeats, warmup, device)
    finally:
        torch.set_num_threads(old_threads)


def benchmark_dgr(complexity_config: ConfigLike = SWIN_L_CONFIG,
                  timing_config: ConfigLike = SWIN_T_CONFIG,
                  shape: Sequence[int] = (416, 544),
                  repeats: int = 5,
                  warmup: int = 2,
                  device: str = 'cpu',
                  dgr: Optional[dict] = None,
                  placements: Sequence[str] = ('neck', 'backbone'),
                  time_metric: str = 'auto',
                  threads: Optional[int] = None,
                  count_instructions: bool = False,
                  count_shape: Optional[Sequence[int]] = None,
                  count_reps: int = 1,
                  count_runs: int = 1,
                  count_jobs: int = 1,
                  count_timeout: Optional[float] = None,
                  resolution: float = RESOLUTION) -> Dict[str, Any]:
    """Params/FLOPs (``complexity_config``) and train-step time (``timing_config``).

    Args:
        complexity_config (str | Config | dict): Model for params and FLOPs
            (default Swin-L depth model).
        timing_config (str | Config | dict): Model for the train-step time
            (default Swin-T depth model).
        shape (Sequence[int]): Input ``(H, W)`` for FLOPs and timing.
        repeats (int): Timed train steps per variant (median reported).
        warmup (int): Untimed warm-up steps per variant.
        device (str): Device of the timing.
        dgr (dict, optional): :class:`DGRNeck` arguments (defaults when None).
        placements (Sequence[str]): DGR placements compared with the plain model.
        time_metric (str): Step time the goal is judged on: ``'cpu'`` (process
            CPU time), ``'wall'``, or ``'auto'`` (cpu on a CPU device, else wall).
        threads (int, optional): Torch threads during the timing (None: unchanged).
        count_instructions (bool): Also count each variant's train step under
            callgrind (valgrind needed; CPU only).
        count_shape (Sequence[int], optional): ``(H, W)`` of the counts
            (default ``shape``; callgrind runs about 50x slower than native).
        count_reps (int): ``k`` of the ``k``/``2k`` difference.
        count_runs (int): Runs of each counting child (2 shows the totals repeat).
        count_jobs (int): Counting children at the same time.
        count_timeout (float, optional): Seconds per counting child.
        resolution (float): Half width of a paired-ratio interval that still
            resolves (0.01: one percentage point).

    Returns:
        dict: ``settings``, ``complexity`` and ``timing`` rows (one per
        placement, ``'none'`` first, with ratios to it; ``{wall,cpu}_paired``:
        :func:`~.timing_stats.interval_dict` of the per-round ratio),
        ``instructions`` rows (empty unless counted) and ``goals`` (name,
        value, limit, passed, decisive).
    """
    dgr = dict(dgr or {})
    if time_metric == 'auto':
        time_metric = 'cpu' if device == 'cpu' else 'wall'
    if time_metric not in ('cpu', 'wall'):
        raise ValueError(f"benchmark_dgr: time_metric must be 'auto', 'cpu' or 'wall', got "
                         f'{time_metric!r}')
    variants = ['none'] + [p for p in placements if p != 'none']
    for p in variants:
        if p not in PLACEMENTS:
            raise ValueError(f'benchmark_dgr: unknown placement {p!r}; choose from {PLACEMENTS}')
    big, _ = _as_model_cfg(complexity_config)
    small, _ = _as_model_cfg(timing_config)

    complexity = []
    for p in variants:
        res = model_complexity(add_dgr(big, p, **dgr), shape)
        complexity.append(dict(placement=p, params=res['params'], flops=res['flops'],
                               dgr_params=res['dgr_params'], dgr_flops=res['dgr_flops']))
    base = complexity[0]
    for row in complexity:
        row['params_ratio'] = row['params'] / base['params'] - 1
        row['flops_ratio'] = row['flops'] / base['flops'] - 1

    times = time_train_steps({p: add_dgr(small, p, **dgr) for p in variants}, shape,
                             repeats=repeats, warmup=warmup, device=device, threads=threads)
    timing = [timing_row(p, times, time_metric, resolution) for p in variants]
    count_shape = tuple(int(s) for s in (count_shape or shape))
    instructions = []
    if count_instructions:
        if device != 'cpu':
            raise ValueError(f"benchmark_dgr: instruction counts are of the CPU step; device "
                             f"must be 'cpu', got {device!r}")
        instructions = count_dgr_steps(timing_config, variants, count_shape, dgr, count_reps,
                                       count_runs, count_jobs, count_timeout)
    goals = dgr_goals(complexity, timing, instructions, time_metric)
    settings = dict(complexity_config=_name(complexity_config),
                    timing_config=_name(timing_config), shape=tuple(int(s) for s in shape),
                    repeats=repeats, warmup=warmup, device=device, dgr=dgr,
                    time_metric=time_metric, resolution=resolution,
                    torch_threads=threads if threads is not None else torch.get_num_threads(),
                    count_instructions=count_instructions, count_shape=count_shape,
                    count_reps=count_reps, count_runs=count_runs)
    return dict(settings=settings, complexity=complexity, timing=timing,
                instructions=instructions, goals=goals)


def timing_row(placement: str, times: Dict[str, Dict[str, List[float]]], time_metric: str,
               resolution: float = RESOLUTION) -> Dict[str, Any]:
    """Medians, paired ratio intervals and overheads of one placement against ``'none'``.

    Args:
        placement (str): The variant.
        times (dict): :func:`time_train_steps` output (with ``'none'``).
        time_metric (str): ``'cpu'`` or ``'wall'``: which ratio is ``time_ratio``.
        resolution (float): See :func:`~.timing_stats.resolves`.

    Returns:
        dict: ``{m}_s``, ``{m}_median_s``, ``{m}_paired`` (interval of the per-round
        ratio), ``{m}_ratio`` (its median - 1), ``{m}_ratio_of_medians`` for
        ``m`` in wall/cpu, and ``time_ratio``.
    """
    row = dict(placement=placement)
    for metric in ('wall', 'cpu'):
        mine, base = times[placement][metric], times['none'][metric]
        row[f'{metric}_s'] = mine
        row[f'{metric}_median_s'] = statistics.median(mine)
        paired = interval_dict(paired_ratio_interval(mine, base), resolution)
        row[f'{metric}_paired'] = paired
        row[f'{metric}_ratio'] = paired['median'] - 1
        row[f'{metric}_ratio_of_medians'] = (row[f'{metric}_median_s']
                                             / statistics.median(base) - 1)
    row['time_ratio'] = row[f'{time_metric}_ratio']
    return row


def count_dgr_steps(timing_config: ConfigLike, variants: Sequence[str], shape: Sequence[int],
                    dgr: dict, reps: int = 1, runs: int = 1, jobs: int = 1,
                    timeout: Optional[float] = None) -> List[Dict[str, Any]]:
    """Instructions per train step of each placement (``'none'`` first), under callgrind.

    Args:
        timing_config (str | Config | dict): Model (a path, or an object written
            to a temporary file for the children).
        variants (Sequence[str]): Placements, ``'none'`` first.
        shape (Sequence[int]): Input ``(H, W)`` of the counts.
        dgr (dict): :class:`DGRNeck` arguments.
        reps (int): ``k`` of the ``k``/``2k`` difference.
        runs (int): Runs of each child.
        jobs (int): Children at the same time.
        timeout (float, optional): Seconds per child.

    Returns:
        list[dict]: Per placement: :meth:`InstructionCount.as_dict` plus
        ``placement``, ``shape`` and ``ratio`` (per-step count / that of
        ``'none'`` - 1, exact).
    """
    from .instruction_count import Workload, count_many, count_ratio, resolve_config
    if list(variants[:1]) != ['none']:
        raise ValueError(f"count_dgr_steps: the first variant must be 'none', got {variants}")
    with tempfile.TemporaryDirectory(prefix='dgr_count_') as tmp:
        if isinstance(timing_config, str):
            config = resolve_config(timing_config)
        else:
            model_cfg, _ = _as_model_cfg(timing_config)
            config = str(Path(tmp) / 'timing_model.py')
            Config(dict(model=model_cfg)).dump(config)
        workloads = [Workload('dgr_step', p, tuple(int(s) for s in shape), config, 1, dict(dgr))
                     for p in variants]
        counts = count_many(workloads, reps, runs, timeout=timeout, jobs=jobs)
    rows = []
    for p, count in zip(variants, counts, strict=True):
        row = dict(placement=p, shape=tuple(int(s) for s in shape), **count.as_dict())
        row['ratio'] = count_ratio(count, counts[0]) - 1
        rows.append(row)
    return rows


def dgr_goals(complexity: Sequence[dict], timing: Sequence[dict], instructions: Sequence[dict],
              time_metric: str) -> List[Dict[str, Any]]:
    """Goal rows of every DGR placement (rows after ``'none'``).

    The time goal is ``decisive`` when its paired interval resolves or nothing
    was counted; the instruction goal (only when counted) is decisive when the
    time interval does not resolve.

    Args:
        complexity (Sequence[dict]): Complexity rows, ``'none'`` first.
        timing (Sequence[dict]): :func:`timing_row` rows, same order.
        instructions (Sequence[dict]): :func:`count_dgr_steps` rows (may be empty).
        time_metric (str): Metric of the time goal.

    Returns:
        list[dict]: ``name``, ``placement``, ``value``, ``limit``, ``passed``,
        ``decisive``, and for the time goal its ``interval`` (+% low, high) and
        ``resolved``.
    """
    counted = {r['placement']: r for r in instructions}
    goals = []
    for c_row, t_row in zip(complexity[1:], timing[1:], strict=True):
        p = c_row['placement']
        paired = t_row[f'{time_metric}_paired']
        resolved = paired['resolved']
        checks = [(f'params +% ({p})', c_row['params_ratio'], PARAMS_GOAL, True, {}),
                  (f'FLOPs +% ({p})', c_row['flops_ratio'], FLOPS_GOAL, True, {}),
                  (f'train step +% ({p}, {time_metric} time)', t_row['time_ratio'], TIME_GOAL,
                   resolved or p not in counted,
                   dict(interval=(paired['low'] - 1, paired['high'] - 1), resolved=resolved))]
        if p in counted:
            checks.append((f'train step +% ({p}, instructions)', counted[p]['ratio'], TIME_GOAL,
                           not resolved, {}))
        for name, value, limit, decisive, extra in checks:
            goals.append(dict(name=name, placement=p, value=value, limit=limit,
                              passed=value <= limit, decisive=decisive, **extra))
    return goals


def _name(cfg: ConfigLike) -> str:
    if isinstance(cfg, str):
        return cfg
    if isinstance(cfg, Config) and cfg.filename:
        return cfg.filename
    return '<config object>'


def _pct(x: float) -> str:
    return f'{100 * x:+.2f} %'


def format_benchmark(result: Dict[str, Any]) -> str:
    """Markdown tables of :func:`benchmark_dgr`'s result.

    Args:
        result (dict): Output of :func:`benchmark_dgr`.

    Returns:
        str: The tables and the PASS/FAIL lines.
    """
    s = result['settings']
    h, w = s['shape']
    dgr = ', '.join(f'{k}={v}' for k, v in s['dgr'].items()) or 'DGRNeck defaults'
    lines = [f'DGR cost benchmark (DGR on all levels; {dgr}); input {h}x{w}, batch 1', '',
             f'Parameters and FLOPs (MACs, tensor-mode forward): `{s["complexity_config"]}`', '',
             '| placement | params (M) | params vs none | FLOPs (G) | FLOPs vs none | '
             'DGR params (M) | DGR FLOPs (G) |',
             '|---|---:|---:|---:|---:|---:|---:|']
    for r in result['complexity']:
        lines.append(f'| {r["placement"]} | {r["params"] / 1e6:.2f} | {_pct(r["params_ratio"])} '
                     f'| {r["flops"] / 1e9:.2f} | {_pct(r["flops_ratio"])} | '
                     f'{r["dgr_params"] / 1e6:.3f} | {r["dgr_flops"] / 1e9:.3f} |')
    lines += ['', f'Train step (forward + backward + AdamW step) on {s["device"]} '
              f'({s["torch_threads"]} threads): `{s["timing_config"]}`, {s["repeats"]} '
              f'interleaved rounds after {s["warmup"]} warm-up; "vs none" is the median of the '
              f'per-round ratios with its 95 % bootstrap interval, "resolves" whether that '
              f'interval is within +-{100 * s.get("resolution", RESOLUTION):g} pt; the goal is '
              f'judged on {s["time_metric"]} time', '',
              '| placement | wall median (s) | wall vs none [95 % CI] | CPU median (s) | '
              'CPU vs none [95 % CI] | resolves | wall range (s) | CPU range (s) |',
              '|---|---:|---:|---:|---:|---|---:|---:|']
    for r in result['timing']:
        cells = []
        for m in ('wall', 'cpu'):
            iv = r.get(f'{m}_paired')
            ci = '-' if iv is None or r['placement'] == 'none' else fmt_pct_interval(
                _interval(iv), 1.0)
            cells += [f'{r[f"{m}_median_s"]:.3f}', ci]
        judged = r.get(f'{s["time_metric"]}_paired')
        res = '-' if judged is None or r['placement'] == 'none' else (
            'yes' if judged['resolved'] else 'no')
        ranges = [f'{min(r[f"{m}_s"]):.2f}-{max(r[f"{m}_s"]):.2f}' for m in ('wall', 'cpu')]
        lines.append(f'| {r["placement"]} | {" | ".join(cells)} | {res} | '
                     f'{" | ".join(ranges)} |')
    if result.get('instructions'):
        lines += format_instruction_rows(result['instructions'], s['timing_config'])
    lines += ['', '| goal | value | limit | result | 95 % CI | decisive |',
              '|---|---:|---:|---|---:|---|']
    for g in result['goals']:
        ci = ('-' if 'interval' not in g else
              f'[{_pct(g["interval"][0])}, {_pct(g["interval"][1])}]'
              + ('' if g['resolved'] else ' (cannot resolve 1 %)'))
        lines.append(f'| {g["name"]} | {_pct(g["value"])} | {_pct(g["limit"])} | '
                     f'{"PASS" if g["passed"] else "FAIL"} | {ci} | '
                     f'{"yes" if g.get("decisive", True) else "no"} |')
    return '\n'.join(lines)


def _interval(d: Dict[str, Any]) -> Interval:
    return Interval(d['median'], d['low'], d['high'], d['n'])


def format_instruction_rows(rows: Sequence[Dict[str, Any]], config: str) -> List[str]:
    """Markdown lines of :func:`count_dgr_steps` rows (per-step counts, exact ratios, totals).

    Args:
        rows (Sequence[dict]): The rows, ``'none'`` first.
        config (str): Name of the timing config (header).

    Returns:
        list[str]: Lines, starting with an empty one.
    """
    h, w = rows[0]['shape']
    k = rows[0]['reps']
    lines = ['', f'Instructions per train step (callgrind Ir, 1 thread, AVX2 code path under '
             f'valgrind): `{config}` at {h}x{w}; per step = (total of {2 * k} steps - total '
             f'of {k}) / {k}, exact', '',
             '| placement | Ir per step (G) | vs none (exact) | totals, '
             f'{k} step(s) | totals, {2 * k} steps | callgrind wall (s) |',
             '|---|---:|---:|---:|---:|---:|']
    for r in rows:
        tk = ' / '.join(f'{t:,}' for t in r['totals_k'])
        t2k = ' / '.join(f'{t:,}' for t in r['totals_2k'])
        wall = ' '.join(f'{x:.0f}' for x in r['wall_s'])
        lines.append(f'| {r["placement"]} | {r["per_rep"] / 1e9:.4f} | '
                     f'{_pct(r["ratio"]) if r["placement"] != "none" else "-"} | {tk} | '
                     f'{t2k} | {wall} |')
    return lines
