"""Planted-support validation of the sparse-pixel probe: does it find pixels known to be used?

For each planted network of :mod:`.planted` (a ``DepthEstimator`` that reads the image on a
fixed support S only), a :class:`~mmdepth_dgr.models.segmentors.SparsePixelProbe` is trained
with Eq. 6 exactly as the study trains one (the probe's ``train_step`` on raw loader-style
batches, through the data preprocessor, the training mask of the probe's ``mask_sampling``
multiplying the normalised image), then its
mask is binarised as the study does (``G(I) >= threshold``, 0.5) on held-out images and
compared with S: IoU, sparsity (kept fraction) against S's area, and the soft-mask mean.

**The lambda rule.** ``lambda * mean(G)`` lies in ``[0, lambda]``, and the excess of L_dif
over its value on the full image lies in ``[0, gap]`` with the *removal gap*

``gap = L_dif(N(I), N(I * 0)) - L_dif(N(I), N(I))``

(everything removed vs nothing removed, measured by :func:`removal_gap` on a few images
before training). Removing a support of area ``a`` saves ``lambda * a`` and costs about the
whole gap (nothing else is used), so the probe should keep S while ``lambda < gap / a`` and
drop every other pixel for any ``lambda > 0``; ``lambda > gap`` makes the empty mask better
than the full one for every network. The rule is ``lambda = LAMBDA_FACTOR * gap`` with
factor 1: the empty and the full mask then score alike, and S (``a < 1``) is kept with a margin
of ``1 / a``. Measured on the region network with sampled training masks (``init_bias=2``,
lr 5e-3, batch 4, 48x64; ``tools/analysis_tools/probe_validation.py --lambda-factor F``): every
factor from 0.25 to 2 recovers S (IoU >= 0.996) *once the mask has left its initial state*; the
binarised mask keeps every pixel for a first phase that shortens as lambda grows: it leaves 1.00
after about 150 iterations at factor 0.25, 75 at 0.5 and 25 at 1-2. A probe stopped inside that
phase reports the whole image.

Defaults are the study's probe on the generated data
(``configs/probe/sparse-probe_mit-b0-vs-r50_2xb2-120it_synthetic-nyu-96x128.py``): ``MaskNet``
with 16 base channels, 4 stages, GroupNorm and ``init_bias=2`` (initial mask 0.88), AdamW at
a constant ``lr=5e-3`` and weight decay 1e-4, binarisation at 0.5; only the number of
iterations differs (:data:`DEFAULT_ITERS`, see :func:`validate_planted`).
"""
import copy
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmdepth_dgr.models.utils import (
    DEFAULT_MASK_THRESHOLD,
    binarize_mask,
    check_threshold,
    mask_sparsity,
)

from .planted import planted_depth_config, planted_images, planted_support

#: The planted supports validated by default: a rectangle of 30% of the frame off the centre
#: and the 2-pixel bands along the strong edges of the test images (17% of the frame at 48x64).
PLANTED_SUPPORTS: Dict[str, dict] = {
    'region': dict(type='rect', box=(0.2, 0.35, 0.75, 0.9)),
    'edges': dict(type='layout_edges', width=1),
}
#: G of the study's probe on the generated data (configs/probe/*synthetic*.py).
DEFAULT_MASK_NET = dict(type='MaskNet', in_channels=3, base_channels=16, num_stages=4,
                        num_convs=2, norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
                        init_bias=2.0)
#: Its optimiser (AdamW, constant learning rate).
DEFAULT_OPTIM = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=5e-3, betas=(0.9, 0.999), eps=1e-8,
                                    weight_decay=1e-4))
#: lambda = LAMBDA_FACTOR * removal gap (module docstring).
LAMBDA_FACTOR = 1.0
#: Probe iterations of the validation (batch of 4 fresh images each).
DEFAULT_ITERS = 400
#: Acceptance of issue 14.
MIN_IOU = 0.8
MAX_SPARSITY_GAP = 0.05
VALIDATION_COLUMNS = ('network', 'support_area', 'removal_gap', 'lambda', 'iou', 'sparsity',
                      'soft_mean', 'seconds')


def _batch(images: Sequence[torch.Tensor]) -> dict:
    """Raw loader-style batch of uint8 images (the ground truth is not used by the probe)."""
    samples = []
    for img in images:
        hw = tuple(img.shape[-2:])
        sample = SegDataSample(metainfo=dict(img_shape=hw, ori_shape=hw, pad_shape=hw))
        sample.gt_depth_map = PixelData(data=torch.ones(1, *hw))
        samples.append(sample)
    return dict(inputs=list(images), data_samples=samples)


def build_planted_probe(support: dict, lam: float = 1.0, mask_net: Optional[dict] = None,
                        threshold: float = DEFAULT_MASK_THRESHOLD, seed: int = 0,
                        normalize: bool = False, mask_sampling: str = 'bernoulli'):
    """A ``SparsePixelProbe`` whose target is the planted network of ``support``.

    Args:
        support (dict): Support spec (:func:`~.planted.planted_support`).
        lam (float): lambda of Eq. 6.
        mask_net (dict, optional): G's config; default :data:`DEFAULT_MASK_NET`.
        threshold (float): Binarisation threshold of ``test_cfg``.
        seed (int): Seed of G's initialisation.
        normalize (bool): The scale-invariant planted network
            (:class:`~.planted.PlantedSupportBackbone`).
        mask_sampling (str): The probe's training mask (``'bernoulli'`` or ``'soft'``).

    Returns:
        SparsePixelProbe: Initialised, in train mode.
    """
    cfg = dict(type='SparsePixelProbe', target=planted_depth_config(support, normalize=normalize),
               train_cfg=dict(mask_sampling=mask_sampling),
               mask_net=copy.deepcopy(mask_net or DEFAULT_MASK_NET), lambda_sparsity=float(lam),
               loss_dif=dict(type='HuDepthLoss', loss_name='loss_dif'),
               test_cfg=dict(binarize=True, threshold=check_threshold(threshold),
                             with_full_prediction=True))
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmseg'):
        probe = MODELS.build(cfg)
    probe.init_weights()
    return probe.train()


@torch.no_grad()
def removal_gap(probe, images: Sequence[torch.Tensor]) -> float:
    """``L_dif(N(I), N(I * 0)) - L_dif(N(I), N(I))``: L_dif's range on these images.

    Args:
        probe (SparsePixelProbe): Any probe of the network (only N and L_dif are used).
        images (Sequence[Tensor]): uint8 ``(3, H, W)`` images.

    Returns:
        float: The gap (> 0 for a network that uses the image).
    """
    data = probe.data_preprocessor(_batch(images), False)
    return probe.removal_gap(data['inputs'], data['data_samples'])


def lambda_from_gap(gap: float, factor: float = LAMBDA_FACTOR) -> float:
    """The validation's lambda: ``factor * gap`` (module docstring).

    Raises:
        ValueError: The network does not use the image (gap <= 0) or factor <= 0.
    """
    if not gap > 0:
        raise ValueError(f'removal gap {gap} <= 0: the network ignores the image, a probe '
                         'has nothing to find')
    if not factor > 0:
        raise ValueError(f'lambda factor must be positive, got {factor}')
    return float(factor) * float(gap)


def support_iou(mask: torch.Tensor, support: torch.Tensor) -> float:
    """IoU of a binary mask with a support (both boolean-like, same ``(H, W)``)."""
    mask, support = mask.bool(), support.bool()
    union = (mask | support).sum().item()
    return float((mask & support).sum().item() / union) if union else 1.0


@torch.no_grad()
def evaluate_masks(probe, images: Sequence[torch.Tensor],
                   threshold: float = DEFAULT_MASK_THRESHOLD) -> Tuple[torch.Tensor, torch.Tensor]:
    """Binarised and soft masks of a trained probe on images, as the study computes them.

    Returns:
        tuple[Tensor, Tensor]: ``(B, H, W)`` 0/1 masks and ``(B, H, W)`` soft masks.
    """
    probe.eval()
    x = probe.data_preprocessor(_batch(images), False)['inputs']
    soft = probe.soft_mask(x)
    return binarize_mask(soft, threshold)[:, 0], soft[:, 0]


def validate_planted(name: str, support: dict, shape: Tuple[int, int] = (48, 64),
                     iters: int = DEFAULT_ITERS, batch_size: int = 4,
                     lam: Optional[float] = None, lambda_factor: float = LAMBDA_FACTOR,
                     mask_net: Optional[dict] = None, optim_wrapper: Optional[dict] = None,
                     threshold: float = DEFAULT_MASK_THRESHOLD, num_test: int = 8,
                     seed: int = 0, compare_with: Optional[Dict[str, dict]] = None,
                     normalize: bool = False, mask_sampling: str = 'bernoulli') -> dict:
    """Train a probe on one planted network and score its binarised mask against the support.

    Every iteration draws ``batch_size`` fresh images (:func:`~.planted.planted_images`);
    the scores are means over ``num_test`` held-out images.

    Args:
        name (str): Row name.
        support (dict): Support spec of the planted network.
        shape (tuple[int, int]): Image size (a multiple of 16: no padding).
        iters (int): Probe iterations.
        batch_size (int): Images per iteration.
        lam (float, optional): lambda; default :func:`lambda_from_gap` of the removal gap
            measured on 8 training-like images.
        lambda_factor (float): Factor of the rule.
        mask_net (dict, optional): G; default :data:`DEFAULT_MASK_NET`.
        optim_wrapper (dict, optional): Default :data:`DEFAULT_OPTIM`.
        threshold (float): Binarisation threshold (Eq. 7-8).
        num_test (int): Held-out images scored.
        seed (int): Seed of G and of the images.
        compare_with (dict, optional): Other supports (name -> spec); the row gets
            ``iou_<name>`` of the mask with each (a probe must *not* match those).
        normalize (bool): Validate on the scale-invariant planted network.
        mask_sampling (str): The probe's training mask (``'bernoulli'`` or ``'soft'``).

    Returns:
        dict: :data:`VALIDATION_COLUMNS` plus ``iou_<name>`` entries and ``history``
        (iteration, binarised training sparsity) every 25 iterations.
    """
    threshold = check_threshold(threshold)
    if iters < 1 or batch_size < 1 or num_test < 1:
        raise ValueError('iters, batch_size and num_test must be >= 1')
    start = time.time()
    probe = build_planted_probe(support, 1.0, mask_net, threshold, seed, normalize,
                                mask_sampling)
    gap = removal_gap(probe, planted_images(8, shape, seed=10**6 + seed))
    lam = lambda_from_gap(gap, lambda_factor) if lam is None else float(lam)
    probe.lambda_sparsity = lam
    with DefaultScope.overwrite_default_scope('mmseg'):
        optim = build_optim_wrapper(probe, copy.deepcopy(optim_wrapper or DEFAULT_OPTIM))
    history = []
    probe.train()
    for it in range(iters):
        images = planted_images(batch_size, shape, seed=seed * 10**5 + it)
        log = probe.train_step(_batch(images), optim)
        if it % 25 == 0 or it == iters - 1:
            history.append((it, float(log['sparsity'])))
    masks, soft = evaluate_masks(probe, planted_images(num_test, shape, seed=2 * 10**6 + seed),
                                 threshold)
    truth = torch.from_numpy(planted_support(support, shape))
    row = dict(network=name, support_area=float(truth.float().mean()), removal_gap=gap,
               **{'lambda': lam},
               iou=float(np.mean([support_iou(m, truth) for m in masks])),
               sparsity=float(mask_sparsity(masks[:, None]).mean()),
               soft_mean=float(soft.mean()), seconds=time.time() - start)
    for other, spec in (compare_with or {}).items():
        other_truth = torch.from_numpy(planted_support(spec, shape))
        row[f'iou_{other}'] = float(np.mean([support_iou(m, other_truth) for m in masks]))
    row['history'] = history
    return row


def run_planted_validation(supports: Optional[Dict[str, dict]] = None, **kwargs) -> List[dict]:
    """:func:`validate_planted` on every planted support, each also scored against the others.

    Args:
        supports (dict, optional): name -> spec; default :data:`PLANTED_SUPPORTS`.
        **kwargs: Passed to :func:`validate_planted`.

    Returns:
        list[dict]: One row per planted network.
    """
    supports = dict(supports or PLANTED_SUPPORTS)
    return [validate_planted(name, spec, compare_with={k: v for k, v in supports.items()
                                                       if k != name}, **kwargs)
            for name, spec in supports.items()]


def check_validation(rows: Sequence[dict], min_iou: float = MIN_IOU,
                     max_sparsity_gap: float = MAX_SPARSITY_GAP) -> List[str]:
    """Problems of a validation: IoU below ``min_iou`` or sparsity off the support area.

    Returns:
        list[str]: Empty when every row passes.
    """
    problems = []
    for r in rows:
        if not r['iou'] >= min_iou:
            problems.append(f'{r["network"]}: IoU {r["iou"]:.3f} < {min_iou}')
        if not abs(r['sparsity'] - r['support_area']) <= max_sparsity_gap:
            problems.append(f'{r["network"]}: sparsity {r["sparsity"]:.3f} vs support area '
                            f'{r["support_area"]:.3f} (allowed {max_sparsity_gap})')
    return problems


def format_validation_table(rows: Sequence[dict]) -> str:
    """Markdown table of a validation (one row per planted network)."""
    others = sorted({k for r in rows for k in r if k.startswith('iou_')})
    header = ['planted network', 'support area', 'removal gap', 'lambda', 'IoU', 'sparsity',
              'soft mean'] + [f'IoU with {k[4:]} support' for k in others] + ['time (s)']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for r in rows:
        cells = [r['network'], f'{r["support_area"]:.3f}', f'{r["removal_gap"]:.3f}',
                 f'{r["lambda"]:.3f}', f'{r["iou"]:.3f}', f'{r["sparsity"]:.3f}',
                 f'{r["soft_mean"]:.3f}'] + [
                     '-' if k not in r else f'{r[k]:.3f}' for k in others] + [
                         f'{r["seconds"]:.0f}']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


__all__ = [
    'DEFAULT_ITERS', 'DEFAULT_MASK_NET', 'DEFAULT_OPTIM', 'LAMBDA_FACTOR', 'MAX_SPARSITY_GAP',
    'MIN_IOU', 'PLANTED_SUPPORTS', 'VALIDATION_COLUMNS', 'build_planted_probe',
    'check_validation', 'evaluate_masks', 'format_validation_table', 'lambda_from_gap',
    'removal_gap', 'run_planted_validation', 'support_iou', 'validate_planted'
]
