"""Evaluation of trained probes (Eq. 7-8): binarised masks, own and crossed RMSE per image.

RMSE, crop and depth caps follow the config's ``DepthEvalMetric``
(:func:`~mmdepth_dgr.evaluation.functional.depth_rmse`); the sparsity of a
mask is :class:`~mmdepth_dgr.evaluation.MaskSparsityMetric`'s per-image value.
"""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS

from mmdepth_dgr.evaluation import MaskSparsityMetric
from mmdepth_dgr.evaluation.functional import (
    depth_rmse,
    edge_affinity,
    gradient_magnitude,
    gt_edges_from_depth,
)
from mmdepth_dgr.models.utils import (
    apply_mask,
    binarize_at_sparsity,
    binarize_mask,
    mask_sparsity,
    restore_map,
)

from .networks import ProbeNetwork
from .report import SPREAD_COLUMNS, TABLE_COLUMNS

#: Factor of the uniformly dimmed image evaluated with the originals (a soft mask of this
#: constant value): how much a network's prediction depends on image contrast.
DIMMING = 0.3


def depth_eval_settings(cfg: Config) -> dict:
    """The ``DepthEvalMetric`` settings of ``cfg.test_evaluator`` (caps and crop).

    Args:
        cfg (Config): Probe config.

    Returns:
        dict: ``min_depth``, ``max_depth``, ``crop``.

    Raises:
        KeyError: No ``DepthEvalMetric`` in the test evaluator, or it median-scales.
    """
    evaluators = cfg.get('test_evaluator')
    items = evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]
    for item in items:
        if isinstance(item, dict) and item.get('type') == 'DepthEvalMetric':
            if item.get('median_scaling', False):
                raise KeyError('the sparse-pixel study evaluates metric depth; '
                               'DepthEvalMetric.median_scaling must be False')
            return dict(min_depth=float(item.get('min_depth_eval', 1e-3)),
                        max_depth=float(item.get('max_depth_eval', 10.0)),
                        crop=item.get('crop'))
    raise KeyError('test_evaluator has no DepthEvalMetric to take the RMSE conventions from')

def build_trained_probe(cfg: Config, network: ProbeNetwork, lam: float,
                        checkpoint: Optional[str],
                        device: str) -> torch.nn.Module:
    """Build a probe for ``network`` and load its trained checkpoint (eval mode).

    Args:
        cfg (Config): Probe config.
        network (ProbeNetwork): Its target network.
        lam (float): Its lambda (recorded only).
        checkpoint (str, optional): Probe checkpoint (G and N); None keeps G untrained
            (N has its own trained weights either way).
        device (str): Device to put it on.

    Returns:
        SparsePixelProbe: The probe in eval mode.
    """
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(target=network.config, target_checkpoint=network.checkpoint,
                     lambda_sparsity=float(lam))
    probe = MODELS.build(model_cfg)
    if checkpoint is not None:
        load_checkpoint(probe, checkpoint, map_location='cpu', strict=True,
                        logger=MMLogger.get_current_instance())
    return probe.to(device).eval()

def _sparsity(mask: torch.Tensor) -> float:
    """Fraction of kept pixels of one binarised (H, W) mask, as :class:`MaskSparsityMetric`."""
    metric = MaskSparsityMetric()
    metric.process({}, [dict(pred_mask=dict(data=mask))])
    return metric.results[0]


def _rgb(image: torch.Tensor, bgr: bool, shape: Tuple[int, int]) -> np.ndarray:
    """(3, H, W) loaded image -> (H, W, 3) uint8 RGB at ``shape``."""
    rgb = image.detach().cpu().numpy().transpose(1, 2, 0)
    rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    if bgr:
        rgb = rgb[..., ::-1]
    if rgb.shape[:2] != tuple(shape):
        rgb = cv2.resize(rgb, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(rgb)

def _sample_name(meta: dict, index: int) -> str:
    """A flat file name for a test sample."""
    rel = meta.get('rel_img_path') or osp.basename(meta.get('img_path', f'sample{index}'))
    return osp.splitext(rel.strip('/').replace('/', '__'))[0]

def boundary_map(sample, gt: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """The GT depth-boundary map of a test sample: the renderer's, else the GT-edge rule.

    Args:
        sample (SegDataSample): With ``gt_edge_map`` when the pipeline loaded one
            (``LoadDepthEdgeMap``, the generator's exact occlusion edges).
        gt (np.ndarray, optional): ``(H, W)`` GT depth in metres (0 = no depth).

    Returns:
        np.ndarray | None: bool ``(H, W)``; None without GT depth or edge map.
    """
    if 'gt_edge_map' in sample:
        return sample.gt_edge_map.data[0].cpu().numpy().astype(bool)
    if gt is None:
        return None
    return gt_edges_from_depth(gt, gt > 0)


def _affinity(mask: np.ndarray, weight: Optional[np.ndarray]) -> Optional[float]:
    """:func:`edge_affinity` of a mask, None when undefined (no weight, nothing kept)."""
    if weight is None:
        return None
    value = edge_affinity(mask > 0, weight.astype(np.float64))
    return None if np.isnan(value) else value


def _masked_predictions(probe_t, probe_c, x_t, x_c, masks: Dict[str, torch.Tensor],
                        suffix: str = '') -> Dict[str, torch.Tensor]:
    """Each network on its own and on the other's mask (Eq. 3-4, 7-8)."""
    return {f't{suffix}': probe_t.target_depth(apply_mask(x_t, masks['t'])),
            f'c{suffix}': probe_c.target_depth(apply_mask(x_c, masks['c'])),
            f't_mask_c{suffix}': probe_t.target_depth(apply_mask(x_t, masks['c'])),
            f'c_mask_t{suffix}': probe_c.target_depth(apply_mask(x_c, masks['t']))}


@torch.no_grad()
def evaluate_probe_pair(probe_t, probe_c, loader, eval_settings: dict, threshold: float,
                        with_original: bool = False, panel_indices: Sequence[int] = ()
                        ) -> List[dict]:
    """Per-image numbers of one lambda (this rank's share of the test set).

    Masks are binarised with ``threshold`` (Eq. 7-8) and multiply each network's
    normalised input; each network is also fed the other network's mask. For the
    cross-evaluation at *matched sparsity* both soft masks are also binarised by rank
    (:func:`~mmdepth_dgr.models.utils.binarize_at_sparsity`) at the same fraction, the mean
    of the two thresholded masks' sparsities on that image, so that each network's mask is
    compared with the other's at an equal number of kept pixels.

    Args:
        probe_t: Trained probe of the Transformer.
        probe_c: Trained probe of the CNN.
        loader (DataLoader): Test dataloader (its sampler gives dataset indices).
        eval_settings (dict): From :func:`depth_eval_settings`.
        threshold (float): Binarisation threshold.
        with_original (bool): Also evaluate the unmasked networks (``*_full``), the
            networks on the image with every pixel removed (``*_removed``) and on the
            uniformly dimmed image ``DIMMING * I`` (``*_dimmed``: what a soft mask of
            constant value costs, see ``SparsePixelProbe``).
        panel_indices (Sequence[int]): Dataset indices whose maps are kept for
            the figures.

    Returns:
        list[dict]: One dict per image with ``index``, ``name``, the RMSEs ``rmse_t``,
        ``rmse_c``, ``rmse_t_mask_c``, ``rmse_c_mask_t``, their matched-sparsity
        versions ``rmse_*_m`` and ``matched_sparsity``; ``sparsity_t``/``_c`` (binarised),
        ``soft_mean_t``/``_c`` and ``soft_std_t``/``_c`` (mean and spatial std of G(I));
        ``edge_affinity_t``/``_c`` (kept pixels' image-gradient magnitude over the image's,
        :func:`~mmdepth_dgr.evaluation.functional.edge_affinity`) and
        ``boundary_affinity_t``/``_c`` (the same with the GT depth-boundary map of
        :func:`boundary_map`); with ``with_original`` also ``rmse_t_full``,
        ``rmse_c_full``, ``rmse_t_removed``, ``rmse_c_removed``, ``rmse_t_dimmed``,
        ``rmse_c_dimmed``; plus ``maps`` for panel images.
    """
    indices = list(iter(loader.sampler))
    panel_indices = set(int(i) for i in panel_indices)
    results, seen = [], 0
    bgr = bool(getattr(probe_t.data_preprocessor, 'channel_conversion', False))
    for batch in loader:
        data_t = probe_t.data_preprocessor(copy.copy(batch), False)
        data_c = probe_c.data_preprocessor(copy.copy(batch), False)
        x_t, x_c = data_t['inputs'], data_c['inputs']
        if x_t.shape != x_c.shape:
            raise ValueError(f'the two networks get inputs of different sizes: '
                             f'{tuple(x_t.shape)} vs {tuple(x_c.shape)}')
        region = probe_t._region(x_t, data_t['data_samples'])
        soft = dict(t=probe_t.soft_mask(x_t), c=probe_c.soft_mask(x_c))
        masks = {k: binarize_mask(v, threshold) for k, v in soft.items()}
        matched = (mask_sparsity(masks['t'], None, region)
                   + mask_sparsity(masks['c'], None, region)) / 2
        masks_m = {k: binarize_at_sparsity(v, matched[:, None], region) for k, v in soft.items()}
        preds = _masked_predictions(probe_t, probe_c, x_t, x_c, masks)
        preds.update(_masked_predictions(probe_t, probe_c, x_t, x_c, masks_m, '_m'))
        if with_original:
            empty = torch.zeros_like(x_t[:, :1])
            preds.update(t_full=probe_t.target_depth(x_t), c_full=probe_c.target_depth(x_c),
                         t_removed=probe_t.target_depth(apply_mask(x_t, empty)),
                         c_removed=probe_c.target_depth(apply_mask(x_c, empty)),
                         t_dimmed=probe_t.target_depth(x_t * DIMMING),
                         c_dimmed=probe_c.target_depth(x_c * DIMMING))
        for i, sample in enumerate(data_t['data_samples']):
            index = indices[seen] if seen < len(indices) else -1
            seen += 1
            meta = sample.metainfo
            restored = {k: restore_map(v[i], meta, 'bilinear', False)[0].float().cpu().numpy()
                        for k, v in preds.items()}
            kept = {k: restore_map(v[i], meta, 'nearest')[0].cpu() for k, v in masks.items()}
            softs = {k: restore_map(v[i], meta, 'bilinear', False)[0].float().cpu().numpy()
                     for k, v in soft.items()}
            gt = sample.gt_depth_map.data[0].float().cpu().numpy() if 'gt_depth_map' in \
                sample else None
            shape = gt.shape if gt is not None else restored['t'].shape
            rgb = _rgb(batch['inputs'][i], bgr, shape)
            weights = dict(edge=gradient_magnitude(rgb), boundary=boundary_map(sample, gt))
            row = dict(index=int(index), name=_sample_name(meta, index),
                       matched_sparsity=float(matched[i]))
            for key in ('t', 'c'):
                row[f'sparsity_{key}'] = _sparsity(kept[key])
                row[f'soft_mean_{key}'] = float(softs[key].mean())
                row[f'soft_std_{key}'] = float(softs[key].std())
                for kind, weight in weights.items():
                    row[f'{kind}_affinity_{key}'] = _affinity(kept[key].numpy(), weight)
            kwargs = dict(uncropped_shape=meta.get('uncropped_shape'),
                          offset=meta.get('kb_crop_offset', (0, 0)), **eval_settings)
            for key, pred in restored.items():
                row[f'rmse_{key}'] = None if gt is None else depth_rmse(gt, pred, **kwargs)
            if index in panel_indices:
                row['maps'] = dict(rgb=rgb, gt=gt, mask_t=kept['t'].numpy(),
                                   mask_c=kept['c'].numpy(), soft_t=softs['t'],
                                   soft_c=softs['c'], **restored)
            results.append(row)
    return results


def mean_of(values: Sequence[Optional[float]]) -> Optional[float]:
    """Mean of the non-None values (None if there are none)."""
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def std_of(values: Sequence[Optional[float]]) -> Optional[float]:
    """Sample standard deviation (ddof 1) of the non-None values.

    Args:
        values (Sequence[float | None]): Per-image values.

    Returns:
        float | None: The std; None for fewer than 2 values.
    """
    values = [v for v in values if v is not None]
    return float(np.std(values, ddof=1)) if len(values) > 1 else None

def summarize(per_lambda: Dict[float, List[dict]]) -> List[dict]:
    """Table 1 rows from the per-image results (images averaged, as DepthEvalMetric).

    Args:
        per_lambda (dict[float, list[dict]]): Per-image results of each lambda (setting);
            the first one's results carry ``rmse_*_full`` and ``rmse_*_removed``.

    Returns:
        list[dict]: The ``original`` row (unmasked), the ``removed`` row (every pixel
        removed), the ``dimmed x0.3`` row (the image times :data:`DIMMING`), then one row
        per lambda (ascending), keyed by :data:`TABLE_COLUMNS`
        (means over images) and :data:`SPREAD_COLUMNS` (``<column>_std``: standard
        deviation over images).
    """
    lambdas = sorted(per_lambda)
    first = per_lambda[lambdas[0]]
    rows = []
    for label, suffix, sparsity in (('original', 'full', 1.0), ('removed', 'removed', 0.0),
                                    (f'dimmed x{DIMMING:g}', 'dimmed', None)):
        row = {k: None for k in TABLE_COLUMNS + tuple(f'{c}_std' for c in SPREAD_COLUMNS)}
        row.update({'lambda': label, 'sparsity_t': sparsity, 'sparsity_c': sparsity,
                    'rmse_t': mean_of([r.get(f'rmse_t_{suffix}') for r in first]),
                    'rmse_c': mean_of([r.get(f'rmse_c_{suffix}') for r in first])})
        rows.append(row)
    for lam in lambdas:
        res = per_lambda[lam]
        row = {'lambda': lam, **{k: mean_of([r.get(k) for r in res]) for k in TABLE_COLUMNS[1:]}}
        row.update({f'{k}_std': std_of([r.get(k) for r in res]) for k in SPREAD_COLUMNS})
        rows.append(row)
    return rows
