"""Models and model inputs for the tests: offline builds of a config's model, tiny batches,
ground-truth samples, random state dicts and parameter counts."""
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from ..utils import strip_pretrained, sync_bn_to_bn


def build_depth_model(cfg: Union[str, Path, Config, dict]) -> nn.Module:
    """Build a config's model offline: pretrained weights off, SyncBN -> BN.

    The rewrites are applied in place to the given model config (as
    :func:`~mmdepth_dgr.utils.strip_pretrained` does); the model is built in the
    ``mmseg`` scope (the configs' ``default_scope``), so that module-scoped fixtures,
    which run before ``tests/conftest.py``'s per-test scope, can use it too.

    Args:
        cfg (str | Path | Config | dict): A config path, a config with ``model``, or a
            model config.

    Returns:
        nn.Module: The model (randomly initialised; ``init_weights`` not called).
    """
    if isinstance(cfg, (str, Path)):
        cfg = Config.fromfile(str(cfg))
    model_cfg = cfg.model if 'model' in cfg else cfg
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(sync_bn_to_bn(strip_pretrained(model_cfg)))


def count_params(module: nn.Module) -> int:
    """Number of parameters of ``module`` (as the official repositories print it)."""
    return sum(p.numel() for p in module.parameters())


def depth_samples(gt: torch.Tensor) -> List[SegDataSample]:
    """One data sample per ``gt[i]`` (``(1, H, W)``) with ``img_shape = pad_shape = (H, W)``."""
    out = []
    for g in gt:
        s = SegDataSample(metainfo=dict(img_shape=g.shape[-2:], pad_shape=g.shape[-2:]))
        s.gt_depth_map = PixelData(data=g)
        out.append(s)
    return out


def depth_batch(size: Tuple[int, int] = (64, 96), n: int = 2, max_depth: float = 10.0,
                empty_last: bool = False) -> Dict[str, list]:
    """A raw loader-style batch: ``n`` uint8 images and depth in ``[0, max_depth)`` (seed 0).

    Args:
        size (tuple[int, int]): Image ``(H, W)``.
        n (int): Batch size.
        max_depth (float): Upper bound of the uniform ground truth.
        empty_last (bool): Zero the last sample's ground truth (no valid pixel).

    Returns:
        dict: ``inputs`` (list of ``(3, H, W)`` uint8 tensors) and ``data_samples``.
    """
    gen = torch.Generator().manual_seed(0)
    inputs = [torch.randint(0, 255, (3, *size), generator=gen, dtype=torch.uint8)
              for _ in range(n)]
    samples = []
    for i in range(n):
        gt = torch.rand(1, *size, generator=gen) * max_depth
        if empty_last and i == n - 1:
            gt.zero_()
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size, pad_shape=size))
        sample.gt_depth_map = PixelData(data=gt)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def random_state_dict(shapes: Dict[str, Sequence[int]], seed: int = 0) -> Dict[str, torch.Tensor]:
    """Random tensors of the given shapes, drawn in key order from one seeded generator.

    Keys holding an index or a counter (``'index'`` or ``'tracked'`` in the name) get
    integers in ``[0, 9)``, all others standard-normal floats.
    """
    gen = torch.Generator().manual_seed(seed)
    return {k: (torch.randint(0, 9, v, generator=gen) if 'index' in k or 'tracked' in k
                else torch.randn(v, generator=gen)) for k, v in shapes.items()}
