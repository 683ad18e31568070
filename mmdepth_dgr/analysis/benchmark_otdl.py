"""Cost of the Optimal Transport Depth Loss (Sec. 3.3), measured in one run.

Five measurements, each returned as table rows with an honest PASS/FAIL:

1. ``mode='depth'`` forward+backward against POT's exact solver ``ot.emd2`` on
   the same atoms, weights and cost (one ``S x S`` image, dense ``N x N`` cost
   matrix built beforehand and not timed). Goal: >= 100x faster, value equal.
2. ``mode='spatial', debias=False`` forward+backward against POT's log-domain
   ``ot.sinkhorn2(method='sinkhorn_log')`` with the dense ``N x N`` grid cost
   at the same ``eps = blur^2`` (forward only for POT, so the judged ratio
   favours POT; the forward-only ratio is reported too). Goal: >= 10x faster,
   value within 2 %.
3. Time and peak memory of both modes (forward+backward) at ``B x H x W``
   (default 4x416x544). Peak memory is ``torch.cuda.max_memory_allocated`` on
   CUDA, and on CPU the peak of the running sum of tensor allocations recorded
   by the torch profiler (``profile_memory=True``) during one separate call.
4. OTDL's share of one training step (forward, loss, backward, AdamW step) of a
   Swin-T depth model (``configs/_base_/models/multiscale-depth_swin-t.py``, pretrained
   weights stripped, SyncBN -> BN) trained with Eq. 21,
   ``loss_decode=[DepthMSELoss, OTDLLoss]``: the OTDL forward+backward alone at
   the loss resolution divided by the full step, per interleaved round, with a
   bootstrap interval (:mod:`.step_share`). Goals: spatial <= 10 %, depth <= 3 %.

5. The peer table (:func:`run_peer_benchmark`, :func:`format_peer_table`):
   the spatial mode against GeomLoss's grid solver (``geomloss.sinkhorn_divergence``,
   conventions in :mod:`.otdl_peers`) at a blur of one pixel, forward and
   forward+backward, GeomLoss at its default scaling and tighter ones; the
   depth mode against POT's ``ot.wasserstein_1d`` (same atoms and weights) and
   against a bare ``torch.sort`` of the same atoms; the spatial mode alone at
   the training size. Variants are timed in interleaved rounds and reported as
   medians with 95 % bootstrap intervals, ratios per round
   (:mod:`.timing_stats`). Goals: spatial >= 2x faster than GeomLoss
   (forward+backward) with values within 1e-3; depth within 3x of the sort,
   at least as fast as POT, values within 1e-6.

Times of 1-4 are medians over ``repeats`` calls after one warm-up call. Each is
measured as wall-clock time and as CPU time of the process
(``time.process_time``, all threads); on a CPU shared with other jobs wall time
mostly measures the other tenants' load, so on CPU the goals are judged on CPU
time, on CUDA on wall time (after ``torch.cuda.synchronize``), as in
:mod:`mmdepth_dgr.analysis.benchmark_utils`. Both are reported.
"""
import math
import os
import statistics
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ..models.losses import OTDLLoss
from ..models.losses.ot_functional import (
    _log_weights,
    gaussian_logconv_2d,
    grid_kernel_width,
    narrow_logconv_2d,
    sinkhorn_potentials,
)
from ..models.losses.otdl_loss import MIN_MASS
from .benchmark_utils import (
    default_device,
    judged_metric,
    peak_memory,
    time_call,
    time_interleaved,
    timed_once,
)
from .otdl_peers import geomloss_grid_value, otdl_grid_masses, pot_wasserstein_1d
from .step_share import otdl_step_share
from .timing_stats import median_interval, paired_ratio_interval, relative_difference

SWIN_T_CONFIG = 'configs/_base_/models/multiscale-depth_swin-t.py'
EMD_SPEEDUP_GOAL = 100.0
SINKHORN_SPEEDUP_GOAL = 10.0
SINKHORN_VALUE_GOAL = 0.02

Row = Dict[str, Any]


def synthetic_depth_pair(batch: int, height: int, width: int, valid_ratio: float = 0.9,
                         seed: int = 0, device: str = 'cpu') -> Tuple[torch.Tensor, torch.Tensor]:
    """A smooth indoor-like ground truth and a plausible prediction of it.

    The ground truth is a tilted plane with a sinusoidal wall and a box
    (0.5-8 m); the prediction multiplies it by a smooth low-frequency error
    (+-10 %) and adds pixel noise. ``1 - valid_ratio`` of the ground-truth
    pixels are set to 0 (invalid).

    Args:
        batch (int): Number of maps.
        height (int): Map height.
        width (int): Map width.
        valid_ratio (float): Fraction of valid ground-truth pixels.
        seed (int): Random seed.
        device (str): Device of the tensors.

    Returns:
        tuple[Tensor, Tensor]: ``pred`` and ``target``, ``(B, 1, H, W)`` float32.
    """
    gen = torch.Generator().manual_seed(seed)
    r, c = torch.meshgrid(torch.linspace(0, 1, height), torch.linspace(0, 1, width),
                          indexing='ij')
    base = 2.0 + 3.0 * r + 0.8 * torch.sin(6.0 * c)
    base = base + 1.5 * (((r - 0.5)**2 + (c - 0.3)**2) < 0.04)
    offsets = torch.rand(batch, 1, 1, 1, generator=gen) * 2.0
    target = (base[None, None] + offsets).clamp(0.5, 8.0)
    coarse = torch.randn(batch, 1, max(2, height // 16), max(2, width // 16), generator=gen)
    smooth = F.interpolate(coarse, size=(height, width), mode='bilinear', align_corners=False)
    pred = target * (1 + 0.1 * smooth) + 0.05 * torch.randn(batch, 1, height, width,
                                                            generator=gen)
    pred = pred.clamp_min(0.1)
    keep = torch.rand(batch, 1, height, width, generator=gen) < valid_ratio
    target = torch.where(keep, target, torch.zeros_like(target))
    return pred.to(device), target.to(device)


def fwd_bwd_closure(loss: OTDLLoss, pred: torch.Tensor,
                    target: torch.Tensor) -> Callable[[], float]:
    """A closure running ``loss`` forward and backward on a fresh leaf copy of ``pred``."""

    def run() -> float:
        x = pred.detach().clone().requires_grad_(True)
        value = loss(x, target)
        value.backward()
        return float(value.detach())

    return run


def _atoms_numpy(pred: torch.Tensor, target: torch.Tensor):
    """Valid atoms and depth weights (Eq. 15-16) of the first image, float64 numpy."""
    mask = target[0, 0] > 0
    x = pred[0, 0][mask].double().cpu().numpy()
    y = target[0, 0][mask].double().cpu().numpy()
    return x, x / x.sum(), y, y / y.sum()


def _grid_numpy(height: int, width: int) -> np.ndarray:
    """Pixel centres ``(row + 0.5, col + 0.5) / max(H, W)`` as an ``(N, 2)`` array."""
    r, c = np.meshgrid(np.arange(height) + 0.5, np.arange(width) + 0.5, indexing='ij')
    return np.stack([r.ravel(), c.ravel()], axis=1) / max(height, width)


def bench_depth_vs_emd(size: int = 64, repeats: int = 3, device: Optional[str] = None,
                       p: float = 2.0, seed: int = 0) -> Row:
    """Depth mode (forward+backward) against ``ot.emd2`` on one ``size x size`` image.

    Args:
        size (int): Image side. Defaults to 64 (4096 atoms per map).
        repeats (int): Timed calls of the OTDL loss; ``ot.emd2`` is timed once
            after a warm-up (it is orders of magnitude slower).
        device (str, optional): Device of the OTDL loss; default CUDA if available.
        p (float): Cost exponent. Defaults to 2.
        seed (int): Seed of the synthetic maps.

    Returns:
        dict: The row (times, ratio, relative value difference, verdict).
    """
    import ot
    device = device or default_device()
    pred, target = synthetic_depth_pair(1, size, size, seed=seed, device=device)
    loss = OTDLLoss(mode='depth', p=p)
    run = fwd_bwd_closure(loss, pred, target)
    ours = time_call(run, repeats, device)
    value = run()
    x, wx, y, wy = _atoms_numpy(pred, target)
    cost = np.abs(x[:, None] - y[None, :])**p
    ref, ref_value = timed_once(lambda: float(ot.emd2(wx, wy, cost, numItermax=10**7)))
    metric = judged_metric(device)
    speedup = ref[metric] / max(ours[metric], 1e-12)
    rel = abs(value - ref_value) / max(abs(ref_value), 1e-30)
    return dict(name=f'depth mode vs ot.emd2 ({size}x{size}, {x.size} atoms)',
                ours_wall=ours['wall'], ours_cpu=ours['cpu'], ref_wall=ref['wall'],
                ref_cpu=ref['cpu'], speedup=speedup, rel_diff=rel, value=value,
                ref_value=ref_value, goal=f'>= {EMD_SPEEDUP_GOAL:g}x faster, rel diff <= 1e-5',
                passed=bool(speedup >= EMD_SPEEDUP_GOAL and rel <= 1e-5), metric=metric)


def bench_spatial_vs_sinkhorn(size: int = 64, repeats: int = 3, device: Optional[str] = None,
                              blur: float = 0.05, max_iter: int = 1000, tol: float = 1e-5,
                              seed: int = 0) -> Row:
    """Spatial mode (``debias=False``, forward+backward) against ``ot.sinkhorn2``.

    POT runs its log-domain solver on the dense ``(S^2, S^2)`` squared Euclidean
    cost matrix of the pixel centres with ``reg = blur^2``; both solvers get the
    same iteration cap ``max_iter`` and stopping threshold ``tol`` (OTDL: L1
    row-marginal error; POT: L2 column-marginal error, checked every 10
    iterations).

    Args:
        size (int): Image side. Defaults to 64 (a 4096 x 4096 cost matrix).
        repeats (int): Timed calls of the OTDL loss (POT: one timed call).
        device (str, optional): Device of the OTDL loss.
        blur (float): ``eps = blur^2``. Defaults to 0.05.
        max_iter (int): Iteration cap of both solvers. Defaults to 1000.
        tol (float): Stopping threshold of both solvers. Defaults to 1e-5.
        seed (int): Seed of the synthetic maps.

    Returns:
        dict: The row.
    """
    import ot
    device = device or default_device()
    pred, target = synthetic_depth_pair(1, size, size, seed=seed, device=device)
    loss = OTDLLoss(mode='spatial', blur=blur, debias=False, max_iter=max_iter, tol=tol)
    run = fwd_bwd_closure(loss, pred, target)
    ours = time_call(run, repeats, device)
    value = run()

    def forward_only() -> None:
        with torch.no_grad():
            loss(pred, target)

    ours_fwd = time_call(forward_only, repeats, device)
    mask = (target[0, 0] > 0).cpu().numpy().ravel()
    a = np.where(mask, pred[0, 0].double().cpu().numpy().ravel(), 0.0)
    b = np.where(mask, target[0, 0].double().cpu().numpy().ravel(), 0.0)
    a, b = a / a.sum(), b / b.sum()
    grid = _grid_numpy(size, size)
    cost = ot.dist(grid, grid)  # squared Euclidean

    def reference() -> float:
        with np.errstate(divide='ignore'):
            return float(ot.sinkhorn2(a, b, cost, reg=blur**2, method='sinkhorn_log',
                                      numItermax=max_iter, stopThr=tol, warn=False))

    ref, ref_value = timed_once(reference)
    metric = judged_metric(device)
    speedup = ref[metric] / max(ours[metric], 1e-12)
    rel = abs(value - ref_value) / max(abs(ref_value), 1e-30)
    return dict(name=f'spatial mode (debias=False) vs ot.sinkhorn2 ({size}x{size}, dense '
                f'{size * size}x{size * size} cost, eps={blur**2:g})',
                fwd_speedup=ref[metric] / max(ours_fwd[metric], 1e-12),
                ours_wall=ours['wall'], ours_cpu=ours['cpu'], ref_wall=ref['wall'],
                ref_cpu=ref['cpu'], speedup=speedup, rel_diff=rel, value=value,
                ref_value=ref_value,
                goal=f'>= {SINKHORN_SPEEDUP_GOAL:g}x faster, rel diff <= '
                f'{SINKHORN_VALUE_GOAL:.0%}',
                passed=bool(speedup >= SINKHORN_SPEEDUP_GOAL and rel <= SINKHORN_VALUE_GOAL),
                metric=metric)


def bench_full_resolution(batch: int = 4, height: int = 416, width: int = 544,
                          repeats: int = 3, device: Optional[str] = None,
                          modes: Sequence[str] = ('depth', 'spatial'), seed: int = 0,
                          **loss_kwargs) -> List[Row]:
    """Forward+backward time and peak memory of each mode at ``B x H x W``.

    Args:
        batch (int): Batch size. Defaults to 4.
        height (int): Map height. Defaults to 416.
        width (int): Map width. Defaults to 544.
        repeats (int): Timed calls.
        device (str, optional): Device.
        modes (Sequence[str]): Modes to measure.
        seed (int): Seed of the synthetic maps.
        **loss_kwargs: Extra :class:`OTDLLoss` arguments (e.g. ``max_iter``).

    Returns:
        list[dict]: One row per mode (times, peak memory in MiB and how it was
        measured; for the spatial mode also the Sinkhorn iterations of the
        cross problem).
    """
    device = device or default_device()
    pred, target = synthetic_depth_pair(batch, height, width, seed=seed, device=device)
    rows = []
    for mode in modes:
        loss = OTDLLoss(mode=mode, **loss_kwargs)
        run = fwd_bwd_closure(loss, pred, target)
        times = time_call(run, repeats, device)
        peak, how = peak_memory(run, device)
        row = dict(name=f'{mode} mode fwd+bwd at {batch}x{height}x{width}', wall=times['wall'],
                   cpu=times['cpu'], peak_mib=peak, memory_method=how, value=run())
        if mode == 'spatial':  # of the cross problem on the finest grid, as just solved
            row['iterations'] = loss.solver_info['cross']['iterations']
        rows.append(row)
    return rows


def bench_training_step_share(config: str = SWIN_T_CONFIG, height: int = 416, width: int = 544,
                              batch: int = 1, repeats: int = 12, device: Optional[str] = None,
                              modes: Sequence[str] = ('depth', 'spatial'),
                              lr: float = 1e-4, count_instructions: bool = False,
                              count_shape: Optional[Sequence[int]] = None) -> List[Row]:
    """OTDL's share of a training step of a depth model trained with Eq. 21.

    For each mode the model of ``config`` (pretrained stripped, SyncBN -> BN)
    gets ``loss_decode=[DepthMSELoss, OTDLLoss(mode)]``; a step is forward,
    loss, backward and an AdamW step. The OTDL forward+backward runs alone on
    maps of the loss resolution (the ground-truth size). The measurement is
    :func:`~.step_share.otdl_step_share`: steps and OTDL calls interleaved,
    the share per round (paired) with a 95 % bootstrap interval, optionally
    the exact instruction-count share, and the goals of
    :data:`~.step_share.SHARE_GOALS` (spatial <= 10 %, depth <= 3 %).

    Args:
        config (str): Model config path. Defaults to the Swin-T depth model.
        height (int): Input height. Defaults to 416.
        width (int): Input width. Defaults to 544.
        batch (int): Batch size. Defaults to 1.
        repeats (int): Timed rounds after one warm-up round. Defaults to 12.
        device (str, optional): Device.
        modes (Sequence[str]): OTDL modes to measure.
        lr (float): AdamW learning rate.
        count_instructions (bool): Also count instructions (CPU, valgrind).
        count_shape (Sequence[int], optional): ``(H, W)`` of the counts.

    Returns:
        list[dict]: One row per mode: the rows of ``otdl_step_share`` with the
        medians as ``step_{cpu,wall}`` / ``otdl_{cpu,wall}`` (seconds), the
        judged ``share``, ``goal`` and ``passed``.
    """
    device = device or default_device()
    rows = otdl_step_share(config, (height, width), batch=batch, rounds=repeats, warmup=1,
                           modes=modes, threads=None, lr=lr,
                           count_instructions=count_instructions, count_shape=count_shape,
                           device=device)
    for r in rows:
        for part in ('step', 'otdl'):
            for m in ('cpu', 'wall'):
                r[f'{part}_{m}_interval'] = r[f'{part}_{m}']
                r[f'{part}_{m}'] = r[f'{part}_{m}_interval']['median']
        r['goal'] = f"<= {r['limit']:.0%}"
    return rows


def _verdict(passed: bool) -> str:
    return 'PASS' if passed else 'FAIL'


def _t(x: float) -> str:
    return f'{x * 1e3:.1f} ms' if x < 1 else f'{x:.2f} s'


def format_otdl_benchmark(result: Dict[str, Any]) -> str:
    """Markdown tables of :func:`run_otdl_benchmark` results.

    Args:
        result (dict): With keys ``device``, ``threads``, ``comparisons``,
            ``full_resolution`` and ``step_share`` (lists of rows; missing keys
            are skipped).

    Returns:
        str: Markdown text.
    """
    lines = [f"Device: {result['device']} (torch threads: {result.get('threads')}); goals "
             f"judged on {'wall' if result['device'].startswith('cuda') else 'CPU'} time; "
             'times are medians (wall / CPU of the process).', '']
    if result.get('comparisons'):
        lines += ['| comparison | OTDL fwd+bwd (wall / CPU) | POT (wall / CPU) | speed-up | '
                  'OTDL value | POT value | rel. diff | goal | verdict |',
                  '|---|---|---|---|---|---|---|---|---|']
        for r in result['comparisons']:
            fwd = (f" (forward only: {r['fwd_speedup']:.0f}x)" if 'fwd_speedup' in r else '')
            lines.append(f"| {r['name']} | {_t(r['ours_wall'])} / {_t(r['ours_cpu'])} | "
                         f"{_t(r['ref_wall'])} / {_t(r['ref_cpu'])} | {r['speedup']:.0f}x{fwd} | "
                         f"{r['value']:.6g} | {r['ref_value']:.6g} | {r['rel_diff']:.1e} | "
                         f"{r['goal']} | {_verdict(r['passed'])} |")
        lines.append('')
    if result.get('full_resolution'):
        lines += ['| full resolution | time (wall / CPU) | peak memory | memory measured by | '
                  'notes |', '|---|---|---|---|---|']
        for r in result['full_resolution']:
            notes = (f"{r['iterations']} Sinkhorn iterations (cross problem)"
                     if 'iterations' in r else '')
            lines.append(f"| {r['name']} | {_t(r['wall'])} / {_t(r['cpu'])} | "
                         f"{r['peak_mib']:.1f} MiB | {r['memory_method']} | {notes} |")
        lines.append('')
    if result.get('step_share'):
        lines += ['| training step | step (wall / CPU) | OTDL fwd+bwd (wall / CPU) | '
                  'share [95 % interval], judged on | goal | verdict |',
                  '|---|---|---|---|---|---|']
        for r in result['step_share']:
            m = r['metric']
            ci = r[f'share_{m}']
            share = (f"{ci['median']:.2%} [{ci['low']:.2%}, {ci['high']:.2%}] ({m} time, "
                     f"{r['rounds']} rounds)")
            if r.get('instructions'):
                share += f"; instructions {r['instructions']['share']:.3%}"
            share += f"; judged: {r['share']:.2%} on {r['method']}"
            lines.append(f"| {r['name']} | {_t(r['step_wall'])} / {_t(r['step_cpu'])} | "
                         f"{_t(r['otdl_wall'])} / {_t(r['otdl_cpu'])} | {share} | "
                         f"{r['goal']} | {_verdict(r['passed'])} |")
        lines.append('')
    return '\n'.join(lines)


def run_otdl_benchmark(repeats: int = 3, device: Optional[str] = None, compare_size: int = 64,
                       full_shape: Sequence[int] = (4, 416, 544),
                       step_shape: Sequence[int] = (1, 416, 544),
                       config: str = SWIN_T_CONFIG,
                       step_modes: Sequence[str] = ('depth', 'spatial'),
                       sections: Sequence[str] = ('pot', 'full', 'step'),
                       step_rounds: int = 12) -> Dict[str, Any]:
    """Run the four measurements of this module.

    Args:
        repeats (int): Timed calls per measurement.
        device (str, optional): Device; default CUDA if available, else CPU.
        compare_size (int): Image side of the POT comparisons. Defaults to 64.
        full_shape (Sequence[int]): ``(B, H, W)`` of measurement 3.
        step_shape (Sequence[int]): ``(B, H, W)`` of the training step.
        config (str): Model config of the training step.
        step_modes (Sequence[str]): OTDL modes of the training-step rows.
        sections (Sequence[str]): Which measurements: ``'pot'`` (1-2), ``'full'``
            (3), ``'step'`` (4). Defaults to all.
        step_rounds (int): Interleaved rounds of the training-step share.

    Returns:
        dict: ``device``, ``threads`` and the row lists ``comparisons``,
        ``full_resolution``, ``step_share`` (see :func:`format_otdl_benchmark`;
        empty for a section not run).
    """
    device = device or default_device()
    out: Dict[str, Any] = dict(device=device, threads=torch.get_num_threads(), comparisons=[],
                               full_resolution=[], step_share=[])
    if 'pot' in sections:
        out['comparisons'] = [bench_depth_vs_emd(compare_size, repeats, device),
                              bench_spatial_vs_sinkhorn(compare_size, repeats, device)]
    if 'full' in sections:
        out['full_resolution'] = bench_full_resolution(*full_shape, repeats=repeats,
                                                       device=device)
    if 'step' in sections:
        out['step_share'] = bench_training_step_share(config, step_shape[1], step_shape[2],
                                                      step_shape[0], step_rounds, device,
                                                      step_modes)
    return out


# --------------------------------------------------------------------------------------------
# The peer table (issue 17): GeomLoss's grid solver, POT's exact 1-D solver, torch.sort
# --------------------------------------------------------------------------------------------
SPATIAL_PEER_SPEEDUP_GOAL = 2.0
SPATIAL_PEER_VALUE_GOAL = 1e-3
DEPTH_SORT_RATIO_GOAL = 3.0
DEPTH_POT_VALUE_GOAL = 1e-6
PASSES = ('fwd', 'fwd+bwd')


def _loss_closure(fn: Callable[[torch.Tensor], torch.Tensor], pred: torch.Tensor,
                  backward: bool) -> Callable[[], float]:
    """``fn(pred)`` forward (no autograd graph) or forward and backward on a leaf copy."""

    def run() -> float:
        if not backward:
            with torch.no_grad():
                return float(fn(pred).detach())
        x = pred.detach().clone().requires_grad_(True)
        value = fn(x)
        value.backward()
        return float(value.detach())

    return run


def _summaries(times: Dict[str, Dict[str, List[float]]], ours: str, peer: Optional[str],
               metric: str) -> Dict[str, Any]:
    out = dict(ours_time=median_interval(times[ours][metric]),
               ours_wall=statistics.median(times[ours]['wall']))
    if peer is not None:
        out.update(peer_time=median_interval(times[peer][metric]),
                   peer_wall=statistics.median(times[peer]['wall']),
                   ratio=paired_ratio_interval(times[ours][metric], times[peer][metric]))
    return out


def _levels(info: Dict[str, Any]) -> str:
    """``'1 (after 18, 35 on coarser grids)'``: iterations of a solve and of its coarser levels."""
    coarse = []
    level = info.get('coarse')
    while level:
        coarse.append(str(level['iterations']))
        level = level.get('coarse')
    return str(info['iterations']) + (f" (after {', '.join(coarse)} on coarser grids)"
                                      if coarse else '')


def _solver_notes(info: Dict[str, Any]) -> str:
    """``'cross 100 it (windowed), marginal err 2.1e-03; self 3 / 3 it'`` from ``solver_info``."""
    if 'cross' not in info:
        info = dict(cross=info)
    cross = info['cross']
    text = (f"cross {_levels(cross)} it{' (windowed)' if cross['windowed'] else ''}, "
            f"marginal err {cross['marginal_error']:.1e}")
    if 'a' in info:
        text += f"; self {_levels(info['a'])} / {_levels(info['b'])} it"
    return text


def _value_and_peak(fn: Callable[[], float], device: str) -> Tuple[float, float, str]:
    """One call of ``fn`` giving both its value and its peak memory (:func:`peak_memory`)."""
    box: Dict[str, float] = {}
    peak, how = peak_memory(lambda: box.setdefault('value', fn()), device)
    return box['value'], peak, how


def bench_spatial_vs_geomloss(batch: int = 1, size: int = 64,
                              scalings: Sequence[float] = (0.5, 0.9, 0.99), repeats: int = 5,
                              warmup: int = 1, device: Optional[str] = None,
                              debias: bool = True, max_iter: int = 100, tol: float = 1e-3,
                              passes: Sequence[str] = PASSES, seed: int = 0,
                              reference_max_side: int = 128) -> List[Row]:
    """Spatial mode against GeomLoss's grid solver on the same ``B x S x S`` maps.

    Blur of one pixel in GeomLoss's convention (``blur_G = 1 / S``, its
    default), i.e. OTDL's ``blur = sqrt(2) / S`` (see
    :mod:`mmdepth_dgr.analysis.otdl_peers`); values are in OTDL's convention
    (twice GeomLoss's) and averaged over the batch. For each pass, OTDL and
    GeomLoss at every ``scaling`` are timed interleaved (``repeats`` rounds
    after ``warmup``); the ratio is the median of the per-round ratios OTDL /
    GeomLoss with a bootstrap 95 % interval. Both start from the depth maps
    (the normalisation of Eq. 15-16 is inside both closures) and the backward
    pass goes to the prediction. GeomLoss runs on CPU through pykeops, whose
    buffers the CPU memory measurement (torch profiler) does not see.

    Args:
        batch (int): Batch size. Defaults to 1.
        size (int): Image side, a power of two. Defaults to 64.
        scalings (Sequence[float]): GeomLoss epsilon-scaling ratios (0.5 is its
            default; near 0.99 its value comes within ~1e-3 of the converged
            one). Defaults to (0.5, 0.9, 0.99).
        repeats (int): Timed rounds. Defaults to 5.
        warmup (int): Untimed rounds first (the first one compiles the KeOps
            kernels). Defaults to 1.
        device (str, optional): Device.
        debias (bool): Sinkhorn divergence in both. Defaults to True.
        max_iter (int): OTDL's iteration cap. Defaults to 100 (OTDL's default).
        tol (float): OTDL's tolerance. Defaults to 1e-3 (OTDL's default).
        passes (Sequence[str]): ``'fwd'`` and/or ``'fwd+bwd'``.
        seed (int): Seed of the synthetic maps.
        reference_max_side (int): Up to this side, also the converged value
            (OTDL in float64 to an L1 marginal error of 1e-9) and both solvers'
            relative distance to it (in the notes). Defaults to 128.

    Returns:
        list[dict]: One row per (pass, scaling).
    """
    device = device or default_device()
    pred, target = synthetic_depth_pair(batch, size, size, seed=seed, device=device)
    blur = math.sqrt(2.0) / size
    loss = OTDLLoss(mode='spatial', blur=blur, debias=debias, max_iter=max_iter, tol=tol)
    metric = judged_metric(device)
    reference = None
    if size <= reference_max_side:
        tight = OTDLLoss(mode='spatial', blur=blur, debias=debias, max_iter=20000, tol=1e-9)
        with torch.no_grad():
            reference = float(tight(pred.double(), target.double()))

    def peer(scaling: float) -> Callable[[torch.Tensor], torch.Tensor]:
        def fn(x: torch.Tensor) -> torch.Tensor:
            a, b = otdl_grid_masses(x, target)
            return geomloss_grid_value(a, b, blur, debias, scaling).mean()
        return fn

    rows = []
    for name in passes:
        backward = name == 'fwd+bwd'
        fns = dict(ours=fwd_bwd_closure(loss, pred, target) if backward else
                   _loss_closure(lambda x: loss(x, target), pred, False))
        for s in scalings:
            fns[f'geomloss@{s:g}'] = _loss_closure(peer(s), pred, backward)
        times = time_interleaved(fns, repeats, warmup=warmup, device=device)
        values, peaks = {}, {}
        for key, fn in fns.items():  # one more call each: value and peak memory
            values[key], peaks[key], how = _value_and_peak(fn, device)
            if key == 'ours':
                solver = _solver_notes(loss.solver_info)
        ours_peak = peaks['ours']
        for s in scalings:
            key = f'geomloss@{s:g}'
            peer_peak = peaks[key]
            rel = abs(values['ours'] - values[key]) / max(abs(values[key]), 1e-30)
            ratio = _summaries(times, 'ours', key, metric)
            judged = backward  # the goal is on forward+backward
            passed = (ratio['ratio'].median <= 1 / SPATIAL_PEER_SPEEDUP_GOAL
                      and rel <= SPATIAL_PEER_VALUE_GOAL)
            rows.append(dict(
                name=f'spatial mode (debias={debias}) vs GeomLoss grid, scaling {s:g}',
                shape=f'{batch}x{size}x{size}', pass_=name, peer='GeomLoss', **ratio,
                ours_peak=ours_peak, peer_peak=peer_peak, memory_method=how,
                value=values['ours'], peer_value=values[key], rel_diff=rel,
                reference=reference,
                notes=f'OTDL blur {blur:.3g} (GeomLoss {blur / math.sqrt(2):.3g} = 1 px), '
                f'{solver}' + (
                    '' if reference is None else
                    f'; converged {reference:.6g}: OTDL off by '
                    f"{relative_difference(values['ours'], reference):.1e}, GeomLoss by "
                    f'{relative_difference(values[key], reference):.1e}'),
                goal=(f'>= {SPATIAL_PEER_SPEEDUP_GOAL:g}x faster, rel diff <= '
                      f'{SPATIAL_PEER_VALUE_GOAL:g}') if judged else '',
                passed=bool(passed) if judged else None, metric=metric))
    return rows


def bench_depth_vs_peers(batch: int = 4, height: int = 416, width: int = 544,
                         repeats: int = 5, warmup: int = 1, device: Optional[str] = None,
                         p: float = 2.0, passes: Sequence[str] = PASSES,
                         seed: int = 0) -> List[Row]:
    """Depth mode against POT's ``ot.wasserstein_1d`` and against ``torch.sort``.

    POT runs on the same torch tensors (its torch backend, so it has a backward
    pass too) with the same atoms (all pixels, invalid ones with weight 0) and
    weights (Eq. 15-16). The floor is a bare ``torch.sort`` of the atoms of
    both maps (forward, no autograd): OTDL's exact solver sorts them too, plus
    the merged cumulative weights. All variants of a pass are timed
    interleaved.

    Args:
        batch (int): Batch size. Defaults to 4.
        height (int): Map height. Defaults to 416.
        width (int): Map width. Defaults to 544.
        repeats (int): Timed rounds. Defaults to 5.
        warmup (int): Untimed rounds. Defaults to 1.
        device (str, optional): Device.
        p (float): Cost exponent. Defaults to 2.
        passes (Sequence[str]): ``'fwd'`` and/or ``'fwd+bwd'``.
        seed (int): Seed of the synthetic maps.

    Returns:
        list[dict]: Per pass, a row against POT and one against the sort.
    """
    import ot
    device = device or default_device()
    pred, target = synthetic_depth_pair(batch, height, width, seed=seed, device=device)
    loss = OTDLLoss(mode='depth', p=p)
    flat_t = target.flatten(1)
    valid = flat_t > 0
    wy = torch.where(valid, flat_t, torch.zeros_like(flat_t))
    wy = wy / wy.sum(dim=1, keepdim=True)

    def pot(x: torch.Tensor) -> torch.Tensor:
        fx = x.flatten(1)
        wx = torch.where(valid, fx.clamp_min(MIN_MASS), torch.zeros_like(fx))
        wx = wx / wx.sum(dim=1, keepdim=True)
        return ot.wasserstein_1d(fx.T, flat_t.T, wx.T, wy.T, p=p).mean()

    def sort_floor() -> float:
        with torch.no_grad():
            torch.sort(pred.flatten(1), dim=-1)
            torch.sort(flat_t, dim=-1)
        return 0.0

    metric = judged_metric(device)
    rows = []
    for name in passes:
        backward = name == 'fwd+bwd'
        ours = (fwd_bwd_closure(loss, pred, target) if backward else
                _loss_closure(lambda x: loss(x, target), pred, False))
        fns = dict(ours=ours, pot=_loss_closure(pot, pred, backward), sort=sort_floor)
        times = time_interleaved(fns, repeats, warmup=warmup, device=device)
        value, ours_peak, how = _value_and_peak(fns['ours'], device)
        # the value is judged against POT in float64 (its float32 run normalises the
        # weights in float32, which moves W_2^2 by ~1e-5 relative: see wasserstein_1d)
        pot_value = float(pot_wasserstein_1d(pred, target, p).mean())
        pot_peak, _ = peak_memory(fns['pot'], device)
        sort_peak, _ = peak_memory(sort_floor, device)
        rel = abs(value - pot_value) / max(abs(pot_value), 1e-30)
        shape = f'{batch}x{height}x{width}'
        vs_pot = _summaries(times, 'ours', 'pot', metric)
        rows.append(dict(
            name='depth mode vs POT ot.wasserstein_1d (torch backend)', shape=shape,
            pass_=name, peer='POT', **vs_pot, ours_peak=ours_peak, peer_peak=pot_peak,
            memory_method=how, value=value, peer_value=pot_value, rel_diff=rel,
            notes=f'{int(valid.sum())} valid atoms per pair of maps (all samples); value '
            'of POT in float64; times of POT on the float32 tensors',
            goal=f'at least as fast, rel diff <= {DEPTH_POT_VALUE_GOAL:g}',
            passed=bool(vs_pot['ratio'].median <= 1.0 and rel <= DEPTH_POT_VALUE_GOAL),
            metric=metric))
        vs_sort = _summaries(times, 'ours', 'sort', metric)
        rows.append(dict(
            name='depth mode vs torch.sort of the same atoms (both maps, fwd)', shape=shape,
            pass_=name, peer='sort', **vs_sort, ours_peak=ours_peak, peer_peak=sort_peak,
            memory_method=how, value=value, peer_value=None, rel_diff=None, notes='',
            goal=f'<= {DEPTH_SORT_RATIO_GOAL:g}x the sort',
            passed=bool(vs_sort['ratio'].median <= DEPTH_SORT_RATIO_GOAL), metric=metric))
    return rows


def bench_spatial_alone(batch: int = 4, height: int = 416, width: int = 544,
                        repeats: int = 5, warmup: int = 1, device: Optional[str] = None,
                        passes: Sequence[str] = ('fwd+bwd', ), seed: int = 0,
                        **loss_kwargs) -> List[Row]:
    """The spatial mode alone (no grid peer runs at a non-square size), default settings.

    Args:
        batch (int): Batch size. Defaults to 4.
        height (int): Map height. Defaults to 416.
        width (int): Map width. Defaults to 544.
        repeats (int): Timed calls. Defaults to 5.
        warmup (int): Untimed calls. Defaults to 1.
        device (str, optional): Device.
        passes (Sequence[str]): Passes to time. Defaults to ('fwd+bwd',).
        seed (int): Seed of the synthetic maps.
        **loss_kwargs: :class:`OTDLLoss` arguments (default: OTDL's defaults).

    Returns:
        list[dict]: One row per pass.
    """
    device = device or default_device()
    pred, target = synthetic_depth_pair(batch, height, width, seed=seed, device=device)
    loss = OTDLLoss(mode='spatial', **loss_kwargs)
    metric = judged_metric(device)
    rows = []
    for name in passes:
        fn = (fwd_bwd_closure(loss, pred, target) if name == 'fwd+bwd' else
              _loss_closure(lambda x: loss(x, target), pred, False))
        times = time_interleaved(dict(ours=fn), repeats, warmup=warmup, device=device)
        value, peak, how = _value_and_peak(fn, device)
        rows.append(dict(
            name=f'spatial mode alone (blur {loss.blur:g}, debias={loss.debias})',
            shape=f'{batch}x{height}x{width}', pass_=name, peer=None,
            **_summaries(times, 'ours', None, metric), ours_peak=peak, peer_peak=None,
            memory_method=how, value=value, peer_value=None, rel_diff=None,
            notes=_solver_notes(loss.solver_info), goal='', passed=None, metric=metric))
    return rows


def bench_kernel_pass(batch: int = 4, size: int = 512, repeats: int = 3, warmup: int = 1,
                      device: Optional[str] = None, seed: int = 0,
                      potential_iters: int = 20) -> List[Row]:
    """One separable log-domain kernel pass (a Sinkhorn half-step) three ways.

    On the log-values ``h = log b + g / eps`` of a ``B x S x S`` ground truth
    with a Sinkhorn potential ``g`` (``potential_iters`` iterations of the
    cross problem) at a blur of one pixel (as in
    :func:`bench_spatial_vs_geomloss`): OTDL's windowed pass
    (:func:`~mmdepth_dgr.models.losses.ot_functional.narrow_logconv_2d`, what
    the solver iterates with), OTDL's full pass (``gaussian_logconv_2d``, what
    it confirms the stopping rule with) and GeomLoss's KeOps ``softmin_grid``
    (its pass; same kernel, ``|x - y|^2 / (2 eps_G) = |x - y|^2 / eps``),
    timed interleaved. The value column is the largest relative difference
    from the full pass.

    Args:
        batch (int): Batch size. Defaults to 4.
        size (int): Image side, a power of two. Defaults to 512.
        repeats (int): Timed rounds. Defaults to 3.
        warmup (int): Untimed rounds. Defaults to 1.
        device (str, optional): Device.
        seed (int): Seed of the synthetic maps.
        potential_iters (int): Sinkhorn iterations giving ``g``. Defaults to 20.

    Returns:
        list[dict]: Two rows: windowed vs GeomLoss and windowed vs full.
    """
    os.environ.setdefault('KEOPS_VERBOSE', '0')
    from geomloss._legacy.utils import softmin_grid
    device = device or default_device()
    pred, target = synthetic_depth_pair(batch, size, size, seed=seed, device=device)
    a, b = otdl_grid_masses(pred, target)
    eps = 2.0 / size**2  # blur sqrt(2) / S: one pixel in GeomLoss's convention
    log_a, log_b = _log_weights(a), _log_weights(b)
    _, g, _ = sinkhorn_potentials(log_a, log_b, eps, potential_iters, 0.0)
    h = log_a + g / eps
    e = grid_kernel_width(eps, size, size)
    eps_g = eps / 2
    # GeomLoss takes no -inf (its log 0 is -1e4): far below every finite value instead
    h_g = torch.where(torch.isfinite(h), h, h[torch.isfinite(h)].min() - 1e4)
    fns = dict(windowed=lambda: narrow_logconv_2d(h, e),
               full=lambda: gaussian_logconv_2d(h, e),
               geomloss=lambda: -softmin_grid(eps_g, 2, h_g[:, None])[:, 0] / eps_g)
    times = time_interleaved(fns, repeats, warmup=warmup, device=device)
    out, peaks = {}, {}
    for key, fn in fns.items():
        out[key], peaks[key], how = _value_and_peak(fn, device)
    finite = torch.isfinite(out['full'])

    def rel(key: str) -> float:
        d = (out[key] - out['full']).abs() / out['full'].abs().clamp_min(1.0)
        return float(d[finite].max())

    metric = judged_metric(device)
    shape = f'{batch}x{size}x{size}'
    rows = []
    for peer, name in (('geomloss', "GeomLoss's KeOps softmin_grid"), ('full', "OTDL's full pass")):
        rows.append(dict(
            name=f'one kernel pass: windowed vs {name}', shape=shape, pass_='fwd', peer=peer,
            **_summaries(times, 'windowed', peer, metric), ours_peak=peaks['windowed'],
            peer_peak=peaks[peer], memory_method=how, value=rel('windowed'),
            peer_value=rel(peer), rel_diff=None,
            notes='value column: largest relative difference from the full pass (windowed / '
            f'peer); blur 1 px, h = log b + g / eps after {potential_iters} Sinkhorn iterations',
            goal='', passed=None, metric=metric))
    return rows


def format_peer_table(rows: Sequence[Row], device: str, threads: Optional[int]) -> str:
    """One Markdown table of the peer rows (times: median [95 % bootstrap interval]).

    Args:
        rows (Sequence[dict]): From :func:`bench_spatial_vs_geomloss`,
            :func:`bench_depth_vs_peers`, :func:`bench_spatial_alone`.
        device (str): Device the rows ran on.
        threads (int, optional): Torch threads.

    Returns:
        str: Markdown text.
    """
    metric = judged_metric(device)
    what = 'wall' if metric == 'wall' else 'CPU'
    lines = [f'Device: {device} (torch threads: {threads}). Times: {what} time, median '
             '[95 % bootstrap interval] over interleaved rounds; ratio = OTDL / peer per '
             'round (below 1: OTDL faster); wall medians in the notes.', '',
             '| comparison | shape | pass | OTDL | peer | OTDL / peer | peak MiB (OTDL / peer) '
             '| value (OTDL / peer) | rel. diff | notes | goal | verdict |',
             '|---|---|---|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        peer_t = r['peer_time'].fmt() if 'peer_time' in r else '-'
        ratio = r['ratio'].fmt('x') if 'ratio' in r else '-'
        peak = f"{r['ours_peak']:.1f}"
        peak += f" / {r['peer_peak']:.1f}" if r.get('peer_peak') is not None else ''
        value = f"{r['value']:.6g}"
        value += f" / {r['peer_value']:.6g}" if r.get('peer_value') is not None else ''
        rel = f"{r['rel_diff']:.1e}" if r.get('rel_diff') is not None else '-'
        wall = f"wall {_t(r['ours_wall'])}"
        wall += f" / {_t(r['peer_wall'])}" if 'peer_wall' in r else ''
        notes = '; '.join(x for x in (r.get('notes'), wall) if x)
        verdict = '' if r.get('passed') is None else _verdict(r['passed'])
        lines.append(f"| {r['name']} | {r['shape']} | {r['pass_']} | "
                     f"{r['ours_time'].fmt()} | {peer_t} | {ratio} | {peak} | {value} | "
                     f"{rel} | {notes} | {r.get('goal', '')} | {verdict} |")
    return '\n'.join(lines) + '\n'


def run_peer_benchmark(spatial_shapes: Sequence[Tuple[int, int]] = ((1, 64), (1, 128),
                                                                    (4, 512)),
                       scalings: Sequence[float] = (0.5, 0.9),
                       depth_shapes: Sequence[Tuple[int, int, int]] = ((4, 416, 544), ),
                       alone_shapes: Sequence[Tuple[int, int, int]] = ((4, 416, 544), ),
                       repeats: int = 5, warmup: int = 1, device: Optional[str] = None,
                       passes: Sequence[str] = PASSES, spatial_max_iter: int = 100,
                       spatial_tol: float = 1e-3,
                       kernel_shapes: Sequence[Tuple[int, int]] = ()) -> Dict[str, Any]:
    """All peer rows of one run.

    Args:
        spatial_shapes (Sequence[tuple]): ``(B, S)`` of the GeomLoss comparisons.
        scalings (Sequence[float]): GeomLoss scalings.
        depth_shapes (Sequence[tuple]): ``(B, H, W)`` of the depth-mode rows.
        alone_shapes (Sequence[tuple]): ``(B, H, W)`` of the spatial mode alone.
        repeats (int): Timed rounds per measurement. Defaults to 5.
        warmup (int): Untimed rounds. Defaults to 1.
        device (str, optional): Device.
        passes (Sequence[str]): Passes of the comparisons.
        spatial_max_iter (int): OTDL's iteration cap in the GeomLoss comparisons.
        spatial_tol (float): OTDL's tolerance in the GeomLoss comparisons.
        kernel_shapes (Sequence[tuple]): ``(B, S)`` of the one-pass rows
            (:func:`bench_kernel_pass`). Defaults to none.

    Returns:
        dict: ``device``, ``threads`` and ``peers`` (rows).
    """
    device = device or default_device()
    rows: List[Row] = []
    for batch, size in kernel_shapes:
        rows += bench_kernel_pass(batch, size, repeats, warmup, device)
    for batch, size in spatial_shapes:
        rows += bench_spatial_vs_geomloss(batch, size, scalings, repeats, warmup, device,
                                          max_iter=spatial_max_iter, tol=spatial_tol,
                                          passes=passes)
    for shape in depth_shapes:
        rows += bench_depth_vs_peers(*shape, repeats=repeats, warmup=warmup, device=device,
                                     passes=passes)
    for shape in alone_shapes:
        rows += bench_spatial_alone(*shape, repeats=repeats, warmup=warmup, device=device)
    return dict(device=device, threads=torch.get_num_threads(), peers=rows)
