"""Timing, memory and fake-batch plumbing shared by the cost benchmarks.

Times are measured both as wall-clock time and as CPU time of the process
(``time.process_time``, all threads): on a CPU shared with other jobs wall time
mostly measures the other tenants' load, so on CPU the goals are judged on CPU
time, on CUDA on wall time (after ``torch.cuda.synchronize``).
"""
import copy
import statistics
import time
from typing import Any, Callable, Dict, List, Sequence, Tuple

import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from ..utils import strip_pretrained, sync_bn_to_bn

Times = Dict[str, List[float]]


def default_device() -> str:
    """``'cuda'`` when a GPU is available, else ``'cpu'``."""
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def judged_metric(device: str) -> str:
    """Time metric the goals are judged on: ``'wall'`` on CUDA, ``'cpu'`` on CPU."""
    return 'wall' if str(device).startswith('cuda') else 'cpu'


def sync(device: str) -> None:
    """Wait for the GPU when ``device`` is CUDA (no-op on CPU)."""
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def time_call(fn: Callable[[], Any], repeats: int = 3, device: str = 'cpu',
              warmup: int = 1) -> Dict[str, float]:
    """Median wall-clock and CPU time of ``fn()``.

    Args:
        fn (callable): The work to time.
        repeats (int): Timed calls. Defaults to 3.
        device (str): Synchronised before and after each call on CUDA.
        warmup (int): Untimed calls first. Defaults to 1.

    Returns:
        dict[str, float]: ``wall`` and ``cpu`` medians in seconds.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f'time_call: repeats >= 1 and warmup >= 0 required, got {repeats}, '
                         f'{warmup}')
    for _ in range(warmup):
        fn()
    walls, cpus = [], []
    for _ in range(repeats):
        sync(device)
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        sync(device)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return dict(wall=statistics.median(walls), cpu=statistics.median(cpus))


def timed_once(fn: Callable[[], Any]) -> Tuple[Dict[str, float], Any]:
    """Wall-clock and CPU time of a single CPU call of ``fn``, and its result.

    Args:
        fn (callable): The work (a slow reference solver).

    Returns:
        tuple[dict, Any]: ``{'wall': s, 'cpu': s}`` and ``fn()``.
    """
    start, start_cpu = time.perf_counter(), time.process_time()
    out = fn()
    return dict(wall=time.perf_counter() - start, cpu=time.process_time() - start_cpu), out


def time_interleaved(fns: Dict[str, Callable[[], Any]], repeats: int, warmup: int = 1,
                     device: str = 'cpu') -> Dict[str, Times]:
    """Time several callables in turn, one call of each per round, the order rotated.

    Interleaving makes load changes on a shared machine hit every callable alike.

    Args:
        fns (dict[str, callable]): Name -> work.
        repeats (int): Timed rounds.
        warmup (int): Untimed rounds first.
        device (str): Synchronised around each call on CUDA.

    Returns:
        dict[str, dict[str, list[float]]]: Name -> ``{'wall': [...], 'cpu': [...]}``.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f'time_interleaved: repeats >= 1 and warmup >= 0 required, got '
                         f'{repeats}, {warmup}')
    names = list(fns)
    times = {name: dict(wall=[], cpu=[]) for name in names}
    for i in range(warmup + repeats):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            t = time_call(fns[name], 1, device, warmup=0)
            if i >= warmup:
                times[name]['wall'].append(t['wall'])
                times[name]['cpu'].append(t['cpu'])
    return times


def peak_memory(fn: Callable[[], Any], device: str = 'cpu') -> Tuple[float, str]:
    """Peak memory of the tensors allocated while ``fn()`` runs.

    Args:
        fn (callable): The work to measure (called once).
        device (str): ``'cuda'``: ``torch.cuda.max_memory_allocated`` above the
            memory in use before the call; ``'cpu'``: the largest running sum of
            the tensor allocations and frees recorded by the torch profiler.

    Returns:
        tuple[float, str]: Peak in MiB and the method used.
    """
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        fn()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - base) / 2**20, 'cuda max_memory_allocated'
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = sorted(prof.events(), key=lambda ev: ev.time_range.start)
    current = peak = 0
    for ev in events:
        current += ev.self_cpu_memory_usage
        peak = max(peak, current)
    return peak / 2**20, 'torch profiler (CPU tensor allocations)'


def fake_batch(target: torch.Tensor, seed: int = 0) -> Tuple[torch.Tensor, List[SegDataSample]]:
    """Random normalised images and depth samples for the ``(B, 1, H, W)`` maps ``target``.

    Args:
        target (Tensor): Ground-truth depth maps, on the device the batch goes to.
        seed (int): Seed of the images.

    Returns:
        tuple[Tensor, list[SegDataSample]]: ``(B, 3, H, W)`` inputs and one
        sample per map with ``gt_depth_map``.
    """
    batch, _, height, width = target.shape
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch, 3, height, width, generator=gen).to(target.device)
    samples = []
    for i in range(batch):
        sample = SegDataSample(metainfo=dict(img_shape=(height, width),
                                             ori_shape=(height, width),
                                             pad_shape=(height, width)))
        sample.gt_depth_map = PixelData(data=target[i])
        samples.append(sample)
    return inputs, samples


def build_train_step(model_cfg: dict, inputs: torch.Tensor, samples: Sequence[SegDataSample],
                     device: str = 'cpu', lr: float = 1e-4) -> Callable[[], None]:
    """A closure running one train step (forward, loss, backward, AdamW step) of a model.

    The model is built in mmseg's scope with pretrained weights stripped and
    SyncBN replaced by BN, seeded with 0, in train mode.

    Args:
        model_cfg (dict): Model config.
        inputs (Tensor): Batch images.
        samples (Sequence[SegDataSample]): Batch ground truth.
        device (str): Device of the model.
        lr (float): AdamW learning rate (weight decay 0.01).

    Returns:
        callable: The step.
    """
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(sync_bn_to_bn(strip_pretrained(copy.deepcopy(model_cfg)))).to(device)
    model.train()
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)

    def step() -> None:
        optim.zero_grad(set_to_none=True)
        losses = model(inputs, list(samples), mode='loss')
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        optim.step()

    return step
