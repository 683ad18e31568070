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
"""
import copy
import statistics
from typing import Any, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config

from .benchmark_utils import build_train_step, fake_batch, time_interleaved
from .complexity import ConfigLike, _as_model_cfg, model_complexity

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
                  threads: Optional[int] = None) -> Dict[str, Any]:
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

    Returns:
        dict: ``settings``, ``complexity`` and ``timing`` rows (one per
        placement, ``'none'`` first, with ratios to it) and ``goals``
        (name, value, limit, passed).
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
    timing = []
    for p in variants:
        row = dict(placement=p)
        for metric in ('wall', 'cpu'):
            row[f'{metric}_s'] = times[p][metric]
            row[f'{metric}_median_s'] = statistics.median(times[p][metric])
            row[f'{metric}_ratio'] = (row[f'{metric}_median_s']
                                      / statistics.median(times['none'][metric]) - 1)
        row['time_ratio'] = row[f'{time_metric}_ratio']
        timing.append(row)

    goals = []
    for c_row, t_row in zip(complexity[1:], timing[1:], strict=True):
        p = c_row['placement']
        checks = ((f'params +% ({p})', c_row['params_ratio'], PARAMS_GOAL),
                  (f'FLOPs +% ({p})', c_row['flops_ratio'], FLOPS_GOAL),
                  (f'train step +% ({p}, {time_metric} time)', t_row['time_ratio'], TIME_GOAL))
        for name, value, limit in checks:
            goals.append(dict(name=name, placement=p, value=value, limit=limit,
                              passed=value <= limit))
    settings = dict(complexity_config=_name(complexity_config),
                    timing_config=_name(timing_config), shape=tuple(int(s) for s in shape),
                    repeats=repeats, warmup=warmup, device=device, dgr=dgr,
                    time_metric=time_metric,
                    torch_threads=threads if threads is not None else torch.get_num_threads())
    return dict(settings=settings, complexity=complexity, timing=timing, goals=goals)


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
              f'({s["torch_threads"]} threads): `{s["timing_config"]}`, median of '
              f'{s["repeats"]} after {s["warmup"]} warm-up, variants interleaved; the goal is '
              f'judged on {s["time_metric"]} time', '',
              '| placement | wall median (s) | wall vs none | CPU median (s) | CPU vs none | '
              'wall steps (s) | CPU steps (s) |', '|---|---:|---:|---:|---:|---|---|']
    for r in result['timing']:
        wall = ' '.join(f'{t:.2f}' for t in r['wall_s'])
        cpu = ' '.join(f'{t:.2f}' for t in r['cpu_s'])
        lines.append(f'| {r["placement"]} | {r["wall_median_s"]:.3f} | {_pct(r["wall_ratio"])} '
                     f'| {r["cpu_median_s"]:.3f} | {_pct(r["cpu_ratio"])} | {wall} | {cpu} |')
    lines += ['', '| goal | value | limit | result |', '|---|---:|---:|---|']
    for g in result['goals']:
        lines.append(f'| {g["name"]} | {_pct(g["value"])} | {_pct(g["limit"])} | '
                     f'{"PASS" if g["passed"] else "FAIL"} |')
    return '\n'.join(lines)
