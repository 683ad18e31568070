"""Latency of :func:`~mmdepth_dgr.apis.inference_model` and of the bare network, and the overhead.

The library behind ``tools/analysis_tools/benchmark.py``. One seeded random ``(H, W, 3)``
``uint8`` BGR image (``B`` copies for a batch) is predicted two ways, interleaved round by
round (:func:`~mmdepth_dgr.analysis.benchmark_utils.time_interleaved`, the order rotated) so
that load changes on a shared machine hit both alike:

* ``inference_model``: the whole API call (the inference pipeline built from ``model.cfg``,
  loading, transforms, packing, data preprocessor, forward, post-processing);
* ``forward``: ``model.predict`` on the same batch, already through the inference pipeline and
  the data preprocessor once (the network and its post-processing alone, as mmseg's
  ``benchmark.py`` times it).

Each is summarised (:func:`summarise`: median, interquartile range, min, max, images/s) in wall
time and in process CPU time; the overhead is the ratio of the medians. As in
:mod:`.benchmark_utils`, on a CPU shared with other jobs the CPU time is the judged metric
(wall time then mostly measures the other tenants), on CUDA the wall time (after
``torch.cuda.synchronize``).
"""
import logging
import statistics
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.utils import ProgressBar
from mmseg.structures import SegDataSample

from ..apis import inference_model, init_model
from ..apis.utils import build_inference_pipeline
from ..engine.runner import load_config
from .benchmark_utils import judged_metric, time_interleaved

#: Names of the two timed paths, in the order of the first round.
TIMED_PATHS: Tuple[str, str] = ('inference_model', 'forward')
#: Time metrics measured for each path (see :mod:`.benchmark_utils`).
TIME_METRICS: Tuple[str, str] = ('wall', 'cpu')


def summarise(times: Sequence[float], batch_size: int = 1) -> Dict[str, float]:
    """Median, spread and throughput of repeated timings.

    Quartiles are those of :func:`statistics.quantiles` with the ``'inclusive'`` method
    (linear interpolation between the order statistics, as ``numpy.percentile``'s default).

    Args:
        times (Sequence[float]): Seconds per call, at least one.
        batch_size (int): Images per call. Defaults to 1.

    Returns:
        dict[str, float]: ``n`` (number of timings), ``median``, ``q1``, ``q3``, ``iqr``
        (``q3 - q1``), ``min``, ``max``, ``mean`` (seconds per call) and ``images_per_s``
        (``batch_size / median``; ``inf`` for a zero median).

    Raises:
        ValueError: ``times`` is empty or holds a negative or non-finite value, or
            ``batch_size < 1``.
    """
    values = [float(t) for t in times]
    if not values:
        raise ValueError('summarise: no timings given')
    if any(not np.isfinite(t) or t < 0 for t in values):
        raise ValueError(f'summarise: timings must be finite and >= 0, got {values}')
    if batch_size < 1:
        raise ValueError(f'summarise: batch_size must be >= 1, got {batch_size}')
    median = statistics.median(values)
    if len(values) > 1:
        q1, _, q3 = statistics.quantiles(values, n=4, method='inclusive')
    else:
        q1 = q3 = values[0]
    return dict(n=len(values), median=median, q1=q1, q3=q3, iqr=q3 - q1, min=min(values),
                max=max(values), mean=statistics.fmean(values),
                images_per_s=batch_size / median if median > 0 else float('inf'))


def random_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A seeded uniform random ``(H, W, 3)`` ``uint8`` image (BGR, as ``inference_model`` takes).

    Args:
        height (int): Rows, > 0.
        width (int): Columns, > 0.
        seed (int): Seed of :class:`numpy.random.Generator`. Defaults to 0.

    Returns:
        np.ndarray: The image.

    Raises:
        ValueError: ``height`` or ``width`` is not positive.
    """
    if height < 1 or width < 1:
        raise ValueError(f'random_image: height and width must be >= 1, got {height}x{width}')
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def check_prediction_shapes(preds: Sequence[SegDataSample], shape: Tuple[int, int],
                            path: str) -> None:
    """Raise unless every prediction is a ``(1, H, W)`` depth map of the requested size.

    Args:
        preds (Sequence[SegDataSample]): Predictions with ``pred_depth_map``.
        shape (tuple[int, int]): The requested ``(H, W)``.
        path (str): What produced them (named in the message).

    Raises:
        RuntimeError: A prediction has another shape (the message gives both).
    """
    for index, pred in enumerate(preds):
        got = tuple(pred.pred_depth_map.data.shape)
        if got != (1, *shape):
            raise RuntimeError(f'{path}: prediction {index} has shape {got}, expected '
                               f'{(1, *shape)} (the input image size)')


def preprocessed_batch(model: nn.Module, images: Sequence[np.ndarray]) -> Dict[str, Any]:
    """The batch ``model.predict`` takes: images through the inference pipeline and the
    model's data preprocessor, once (on the model's device).

    Args:
        model (nn.Module): A model from :func:`~mmdepth_dgr.apis.init_model` (with ``cfg``).
        images (Sequence[np.ndarray]): ``(H, W, 3)`` ``uint8`` BGR images of one size.

    Returns:
        dict: ``inputs`` (``(B, 3, H', W')`` normalised, padded tensor) and ``data_samples``.
    """
    pipeline = build_inference_pipeline(model.cfg)
    packed = [pipeline(image) for image in images]
    with torch.no_grad():
        return model.data_preprocessor(dict(inputs=[p['inputs'] for p in packed],
                                            data_samples=[p['data_samples'] for p in packed]),
                                       False)


def timed_paths(model: nn.Module, images: Sequence[np.ndarray]
                ) -> Dict[str, Callable[[], List[SegDataSample]]]:
    """The two timed callables of :data:`TIMED_PATHS` on a batch of images.

    Args:
        model (nn.Module): A model from :func:`~mmdepth_dgr.apis.init_model`.
        images (Sequence[np.ndarray]): ``(H, W, 3)`` ``uint8`` BGR images of one size.

    Returns:
        dict[str, callable]: ``inference_model`` (the API on the images) and ``forward``
        (``model.predict`` under ``torch.no_grad`` on :func:`preprocessed_batch`); each
        returns the predictions.
    """
    batch = preprocessed_batch(model, images)
    images = list(images)

    def api() -> List[SegDataSample]:
        return inference_model(model, images)

    def forward() -> List[SegDataSample]:
        with torch.no_grad():
            return model.predict(batch['inputs'], batch['data_samples'])

    return dict(inference_model=api, forward=forward)


def time_rounds(fns: Mapping[str, Callable[[], Any]], repeat: int, warmup: int,
                device: str = 'cpu', progress: bool = True) -> Dict[str, Dict[str, List[float]]]:
    """:func:`~.benchmark_utils.time_interleaved` one round at a time, with a progress bar.

    Round ``i`` (warm-up rounds included) calls every callable once, the order rotated by
    ``i``, as ``time_interleaved`` does over all its rounds; the bar moves between rounds,
    outside the timed calls.

    Args:
        fns (Mapping[str, callable]): Name -> work.
        repeat (int): Timed rounds, >= 1.
        warmup (int): Untimed rounds first, >= 0.
        device (str): Synchronised around each call on CUDA.
        progress (bool): Show a progress bar (one step per round). Defaults to True.

    Returns:
        dict[str, dict[str, list[float]]]: Name -> ``{'wall': [...], 'cpu': [...]}`` of the
        ``repeat`` timed rounds.

    Raises:
        ValueError: ``repeat < 1`` or ``warmup < 0``.
    """
    if repeat < 1 or warmup < 0:
        raise ValueError(f'time_rounds: repeat >= 1 and warmup >= 0 required, got {repeat}, '
                         f'{warmup}')
    names = list(fns)
    times = {name: {metric: [] for metric in TIME_METRICS} for name in names}
    bar = ProgressBar(warmup + repeat) if progress else None
    for i in range(warmup + repeat):
        shift = i % len(names)
        order = names[shift:] + names[:shift]
        measured = time_interleaved({name: fns[name] for name in order}, repeats=1,
                                    warmup=0, device=device)
        if i >= warmup:
            for name in names:
                for metric in TIME_METRICS:
                    times[name][metric].extend(measured[name][metric])
        if bar is not None:
            bar.update()
    if bar is not None:
        print()  # end the bar's line
    return times


def overhead(times: Mapping[str, Mapping[str, Sequence[float]]], metric: str) -> Dict[str, float]:
    """Overhead of ``inference_model`` over the bare forward in one time metric.

    Args:
        times (Mapping): :func:`time_rounds` output with both :data:`TIMED_PATHS`.
        metric (str): ``'wall'`` or ``'cpu'``.

    Returns:
        dict[str, float]: ``ratio`` (median of ``inference_model`` / median of ``forward``),
        ``percent`` (``100 * (ratio - 1)``) and ``paired_ratio`` (median over the rounds of
        the per-round ratio, less sensitive to load drift on a shared machine).
    """
    api, forward = times['inference_model'][metric], times['forward'][metric]
    ratio = statistics.median(api) / max(statistics.median(forward), 1e-12)
    paired = statistics.median(a / max(f, 1e-12) for a, f in zip(api, forward, strict=True))
    return dict(ratio=ratio, percent=100.0 * (ratio - 1.0), paired_ratio=paired)


def benchmark_inference(config: str, checkpoint: Optional[str] = None,
                        shape: Tuple[int, int] = (480, 640), device: str = 'cpu',
                        repeat: int = 20, warmup: int = 3, batch_size: int = 1,
                        threads: Optional[int] = None, cfg_options: Optional[dict] = None,
                        seed: int = 0, progress: bool = True) -> Dict[str, Any]:
    """Time ``inference_model`` and the bare ``model.predict`` on a random image.

    The model comes from :func:`~mmdepth_dgr.apis.init_model` (config loaded with
    :func:`~mmdepth_dgr.engine.runner.load_config`, so ``cfg_options`` keys are checked);
    without a checkpoint its weights are random (``torch.manual_seed(seed)``, a note is
    logged). Before the timing, one call of each path checks that every prediction has the
    requested ``(H, W)``.

    Args:
        config (str): Config file.
        checkpoint (str, optional): Checkpoint file; None for random weights.
        shape (tuple[int, int]): Image ``(H, W)``. Defaults to ``(480, 640)``.
        device (str): ``'cpu'``, ``'cuda'``, ``'cuda:0'``, ... Defaults to ``'cpu'``.
        repeat (int): Timed rounds (one call of each path per round). Defaults to 20.
        warmup (int): Untimed rounds first. Defaults to 3.
        batch_size (int): Images per call (copies of the image). Defaults to 1.
        threads (int, optional): ``torch.set_num_threads`` during the benchmark (restored
            after); None keeps the current count.
        cfg_options (dict, optional): Config overrides.
        seed (int): Seed of the image and of the random weights. Defaults to 0.
        progress (bool): Show a progress bar over the rounds. Defaults to True.

    Returns:
        dict: ``config``, ``checkpoint``, ``random_weights``, ``device``, ``shape``,
        ``batch_size``, ``threads`` (the count in effect), ``repeat``, ``warmup``, ``seed``,
        ``judged_metric`` (``'cpu'`` on CPU, ``'wall'`` on CUDA), ``output_shape``,
        ``inference_model`` and ``forward`` (each ``{'wall': summary, 'cpu': summary}`` of
        :func:`summarise`), ``overhead`` (``{'wall': ..., 'cpu': ...}`` of :func:`overhead`)
        and ``times`` (the raw seconds per round).

    Raises:
        ValueError: A bad shape, batch size, repeat, warm-up or thread count, or a CUDA
            device without CUDA.
        FileNotFoundError: The config or checkpoint file does not exist.
        RuntimeError: A prediction does not have the requested shape.
    """
    height, width = (int(s) for s in shape)
    if height < 1 or width < 1:
        raise ValueError(f'shape must be two positive sizes, got {tuple(shape)}')
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    if repeat < 1 or warmup < 0:
        raise ValueError(f'repeat >= 1 and warmup >= 0 required, got {repeat}, {warmup}')
    if threads is not None and threads < 1:
        raise ValueError(f'threads must be >= 1, got {threads}')
    if str(device).startswith('cuda') and not torch.cuda.is_available():
        raise ValueError(f'device {device!r} asked for, but CUDA is not available')
    cfg = load_config(config, cfg_options)
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        threads_used = torch.get_num_threads()
        torch.manual_seed(seed)
        model = _init_model(cfg, checkpoint, device, seed)
        images = [random_image(height, width, seed)] * batch_size
        fns = timed_paths(model, images)
        for name, fn in fns.items():  # also the first warm-up call of each path
            check_prediction_shapes(fn(), (height, width), name)
        times = time_rounds(fns, repeat, warmup, device=device, progress=progress)
    finally:
        torch.set_num_threads(old_threads)
    return dict(
        config=str(config), checkpoint=None if checkpoint is None else str(checkpoint),
        random_weights=checkpoint is None, device=str(device), shape=[height, width],
        batch_size=batch_size, threads=threads_used, repeat=repeat, warmup=warmup, seed=seed,
        judged_metric=judged_metric(device), output_shape=[1, height, width],
        **{name: {metric: summarise(times[name][metric], batch_size)
                  for metric in TIME_METRICS} for name in TIMED_PATHS},
        overhead={metric: overhead(times, metric) for metric in TIME_METRICS},
        times=times)


def _init_model(cfg: Config, checkpoint: Optional[str], device: str, seed: int) -> nn.Module:
    """:func:`~mmdepth_dgr.apis.init_model`; without a checkpoint its warning is replaced by a
    logged note.

    Args:
        cfg (Config): The loaded config.
        checkpoint (str, optional): Checkpoint file, or None for random weights.
        device (str): Device.
        seed (int): The torch seed the random weights were drawn with (for the note).

    Returns:
        nn.Module: The model in eval mode.
    """
    if checkpoint is not None:
        return init_model(cfg, checkpoint, device=device)
    print_log(f'benchmark: no checkpoint given, timing the model with random weights (torch '
              f'seed {seed})', logger='current', level=logging.WARNING)
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='init_model: no checkpoint given')
        return init_model(cfg, None, device=device)


def format_inference_benchmark(result: Mapping[str, Any]) -> str:
    """The Markdown table of :func:`benchmark_inference`'s result.

    One row per path and time metric: median and IQR latency (ms), min and max (ms),
    images/s (batch size / median); then the overhead of ``inference_model`` over the
    forward, the judged metric marked.

    Args:
        result (Mapping): :func:`benchmark_inference`'s output.

    Returns:
        str: The table and the overhead lines.
    """
    height, width = result['shape']
    judged = result['judged_metric']
    weights = 'random weights' if result['random_weights'] else result['checkpoint']
    lines = [
        f"{result['config']} ({weights})",
        f"input {height}x{width}, batch {result['batch_size']}, device {result['device']}, "
        f"{result['threads']} torch thread(s), {result['repeat']} timed rounds after "
        f"{result['warmup']} warm-up",
        '',
        '| path | time | median (ms) | IQR (ms) | min (ms) | max (ms) | images/s |',
        '|---|---|---:|---:|---:|---:|---:|',
    ]
    for name in TIMED_PATHS:
        for metric in TIME_METRICS:
            s = result[name][metric]
            mark = ' (judged)' if metric == judged else ''
            lines.append(f"| {name} | {metric}{mark} | {1e3 * s['median']:.2f} | "
                         f"{1e3 * s['iqr']:.2f} | {1e3 * s['min']:.2f} | "
                         f"{1e3 * s['max']:.2f} | {s['images_per_s']:.2f} |")
    lines.append('')
    for metric in TIME_METRICS:
        o = result['overhead'][metric]
        mark = ' (judged)' if metric == judged else ''
        lines.append(f"overhead of inference_model over forward, {metric}{mark}: "
                     f"ratio {o['ratio']:.3f} ({o['percent']:+.1f} %), "
                     f"per-round median ratio {o['paired_ratio']:.3f}")
    return '\n'.join(lines)
