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
from mmdepth_dgr.evaluation.functional import depth_rmse
from mmdepth_dgr.models.utils import apply_mask, binarize_mask, restore_map

from .networks import ProbeNetwork
from .report import TABLE_COLUMNS


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

def build_trained_probe(cfg: Config, network: ProbeNetwork, lam: float, checkpoint: str,
                        device: str) -> torch.nn.Module:
    """Build a probe for ``network`` and load its trained checkpoint (eval mode).

    Args:
        cfg (Config): Probe config.
        network (ProbeNetwork): Its target network.
        lam (float): Its lambda (recorded only).
        checkpoint (str): Probe checkpoint (G and N).
        device (str): Device to put it on.

    Returns:
        SparsePixelProbe: The probe in eval mode.
    """
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(target=network.config, target_checkpoint=network.checkpoint,
                     lambda_sparsity=float(lam))
    probe = MODELS.build(model_cfg)
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

@torch.no_grad()
def evaluate_probe_pair(probe_t, probe_c, loader, eval_settings: dict, threshold: float,
                        with_original: bool = False, panel_indices: Sequence[int] = ()
                        ) -> List[dict]:
    """Per-image numbers of one lambda (this rank's share of the test set).

    Masks are binarised with ``threshold`` (Eq. 7-8) and multiply each network's
    normalised input; each network is also fed the other network's mask.

    Args:
        probe_t: Trained probe of the Transformer.
        probe_c: Trained probe of the CNN.
        loader (DataLoader): Test dataloader (its sampler gives dataset indices).
        eval_settings (dict): From :func:`depth_eval_settings`.
        threshold (float): Binarisation threshold.
        with_original (bool): Also evaluate the unmasked networks.
        panel_indices (Sequence[int]): Dataset indices whose maps are kept for
            the figures.

    Returns:
        list[dict]: One dict per image with ``index``, ``name``, ``rmse_t``,
        ``rmse_c``, ``rmse_t_mask_c``, ``rmse_c_mask_t``, ``sparsity_t``,
        ``sparsity_c`` (and ``rmse_t_full``, ``rmse_c_full``), plus ``maps`` for
        panel images.
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
        m_t = binarize_mask(probe_t.soft_mask(x_t), threshold)
        m_c = binarize_mask(probe_c.soft_mask(x_c), threshold)
        preds = dict(
            t=probe_t.target_depth(apply_mask(x_t, m_t)),
            c=probe_c.target_depth(apply_mask(x_c, m_c)),
            t_mask_c=probe_t.target_depth(apply_mask(x_t, m_c)),
            c_mask_t=probe_c.target_depth(apply_mask(x_c, m_t)))
        if with_original:
            preds.update(t_full=probe_t.target_depth(x_t), c_full=probe_c.target_depth(x_c))
        for i, sample in enumerate(data_t['data_samples']):
            index = indices[seen] if seen < len(indices) else -1
            seen += 1
            meta = sample.metainfo
            restored = {k: restore_map(v[i], meta, 'bilinear', False)[0].float().cpu().numpy()
                        for k, v in preds.items()}
            masks = {k: restore_map(v[i], meta, 'nearest')[0].cpu() for k, v in
                     (('t', m_t), ('c', m_c))}
            gt = sample.gt_depth_map.data[0].float().cpu().numpy() if 'gt_depth_map' in \
                sample else None
            row = dict(index=int(index), name=_sample_name(meta, index),
                       sparsity_t=_sparsity(masks['t']), sparsity_c=_sparsity(masks['c']))
            kwargs = dict(uncropped_shape=meta.get('uncropped_shape'),
                          offset=meta.get('kb_crop_offset', (0, 0)), **eval_settings)
            for key, pred in restored.items():
                row[f'rmse_{key}'] = None if gt is None else depth_rmse(gt, pred, **kwargs)
            if index in panel_indices:
                row['maps'] = dict(
                    rgb=_rgb(batch['inputs'][i], bgr, gt.shape if gt is not None else
                             restored['t'].shape),
                    gt=gt, mask_t=masks['t'].numpy(), mask_c=masks['c'].numpy(), **restored)
            results.append(row)
    return results

def mean_of(values: Sequence[Optional[float]]) -> Optional[float]:
    """Mean of the non-None values (None if there are none)."""
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None

def summarize(per_lambda: Dict[float, List[dict]]) -> List[dict]:
    """Table 1 rows from the per-image results (images averaged, as DepthEvalMetric).

    Args:
        per_lambda (dict[float, list[dict]]): Per-image results of each lambda;
            the first lambda's results carry ``rmse_t_full``/``rmse_c_full``.

    Returns:
        list[dict]: The ``original`` row, then one row per lambda (ascending),
        keyed by :data:`TABLE_COLUMNS`.
    """
    lambdas = sorted(per_lambda)
    first = per_lambda[lambdas[0]]
    rows = [dict(zip(TABLE_COLUMNS, ('original', mean_of([r.get('rmse_t_full') for r in first]),
                                     1.0, mean_of([r.get('rmse_c_full') for r in first]), 1.0,
                                     None, None), strict=True))]
    for lam in lambdas:
        res = per_lambda[lam]
        rows.append({'lambda': lam, **{k: mean_of([r[k] for r in res]) for k in TABLE_COLUMNS[1:]}})
    return rows
