"""The sparse-pixel study of Sec. 3.1 / 4.1: probes for a Transformer and a CNN, Table 1, Figs.

For each ``lambda`` and each of the two depth networks (Transformer ``T`` and CNN
``C``), a :class:`~mmdepth_dgr.models.segmentors.SparsePixelProbe` is trained with
the project's mmengine runner (:func:`mmdepth_dgr.apis.train`, so a ``pytorch``
launch through torchrun trains every probe distributed). The probes are then
evaluated on the test set with binarised masks (Eq. 7-8):

* ``rmse_t`` / ``rmse_c``: RMSE of ``N_t(I * M_t)`` / ``N_c(I * M_c)``;
* ``sparsity_t`` / ``sparsity_c``: fraction of kept pixels of ``M_t`` / ``M_c``;
* ``rmse_t_mask_c``: ``N_t(I * M_c)`` (Eq. 7), ``rmse_c_mask_t``: ``N_c(I * M_t)`` (Eq. 8);
* an ``original`` row: the unmasked RMSE of both networks, sparsity 1.00.

RMSE, crop and depth caps follow the config's ``DepthEvalMetric`` (see
:mod:`mmdepth_dgr.evaluation.probe_functional`). Outputs in the work dir:
``table1.md``, ``table1.csv``, ``fig5_rmse_vs_sparsity.png``, ``panels/fig3_*.png``,
``panels/fig7_*.png``, ``sparse_probe.log`` and ``probes/<net>_lambda<l>/``.
"""
import copy
import csv
import gc
import math
import os
import os.path as osp
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.dist import (
    barrier,
    collect_results,
    get_rank,
    init_dist,
    is_distributed,
    is_main_process,
)
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint
from mmseg.registry import MODELS

from mmdepth_dgr.evaluation.probe_functional import (
    DEFAULT_MASK_THRESHOLD,
    apply_mask,
    binarize_mask,
    check_threshold,
    depth_rmse,
    gradient_magnitude,
    mask_sparsity,
    restore_map,
)

from .runner import load_config, prepare_runtime, train

#: The two networks of the study, in table order.
NETWORK_KEYS = ('transformer', 'cnn')
#: Columns of ``table1.csv``.
TABLE_COLUMNS = ('lambda', 'rmse_t', 'sparsity_t', 'rmse_c', 'sparsity_c', 'rmse_t_mask_c',
                 'rmse_c_mask_t')


@dataclass
class ProbeNetwork:
    """One target network of the study.

    Attributes:
        key (str): ``'transformer'`` or ``'cnn'``.
        name (str): Display name (tables, plots).
        config (str): Its model config file.
        checkpoint (str): Its trained checkpoint.
    """

    key: str
    name: str
    config: str
    checkpoint: str


def _logger(work_dir: Optional[str] = None) -> MMLogger:
    """The study's progress logger (console, and ``sparse_probe.log`` on rank 0)."""
    name = 'mmdepth_dgr.sparse_probe'
    if MMLogger.check_instance_created(name):
        return MMLogger.get_instance(name)
    log_file = None
    if work_dir is not None and is_main_process():
        os.makedirs(work_dir, exist_ok=True)
        log_file = osp.join(work_dir, 'sparse_probe.log')
    return MMLogger.get_instance(name, log_file=log_file, log_level='INFO')


def resolve_networks(cfg: Config, overrides: Optional[Dict[str, Dict[str, str]]] = None
                     ) -> Dict[str, ProbeNetwork]:
    """The Transformer and CNN of the study, from ``cfg.probe_pair`` and overrides.

    Args:
        cfg (Config): Probe config with ``probe_pair.transformer`` and
            ``probe_pair.cnn`` (``name``, ``config``, ``checkpoint``).
        overrides (dict, optional): ``{'transformer': {'config': ..., 'checkpoint':
            ...}, 'cnn': {...}}``; None values are ignored.

    Returns:
        dict[str, ProbeNetwork]: Keyed by :data:`NETWORK_KEYS`.

    Raises:
        KeyError: The config has no ``probe_pair`` entry for a network.
        FileNotFoundError: A network config or checkpoint is missing.
    """
    pair = cfg.get('probe_pair')
    if pair is None:
        raise KeyError('the probe config needs a probe_pair dict (transformer=..., cnn=...)')
    networks = {}
    for key in NETWORK_KEYS:
        if key not in pair:
            raise KeyError(f'probe_pair.{key} is missing from the config')
        entry = dict(pair[key])
        entry.update({k: v for k, v in ((overrides or {}).get(key) or {}).items()
                      if v is not None})
        config, ckpt = entry.get('config'), entry.get('checkpoint')
        if not config or not osp.isfile(config):
            raise FileNotFoundError(f'{key} network config not found: {config}')
        if not ckpt:
            raise FileNotFoundError(f'no checkpoint for the {key} network: give '
                                    f'--{key}-ckpt or probe_pair.{key}.checkpoint')
        if not osp.isfile(ckpt):
            raise FileNotFoundError(f'{key} network checkpoint not found: {ckpt}')
        name = entry.get('name') or osp.splitext(osp.basename(config))[0]
        networks[key] = ProbeNetwork(key, name, config, ckpt)
    return networks


def check_lambdas(lambdas: Sequence[float]) -> List[float]:
    """Validate the lambdas of Eq. 6: non-empty, distinct, non-negative; sorted.

    Args:
        lambdas (Sequence[float]): Candidate values.

    Returns:
        list[float]: Sorted values.

    Raises:
        ValueError: Empty, negative, non-finite or repeated values.
    """
    values = [float(v) for v in lambdas]
    if not values:
        raise ValueError('no lambda given')
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise ValueError(f'lambdas must be finite and >= 0, got {values}')
    if len(set(values)) != len(values):
        raise ValueError(f'lambdas must be distinct, got {values}')
    return sorted(values)


def probe_run_dir(work_dir: str, key: str, lam: float) -> str:
    """Work dir of one probe training: ``<work_dir>/probes/<key>_lambda<lam>``."""
    return osp.join(work_dir, 'probes', f'{key}_lambda{lam:g}')


def latest_checkpoint(run_dir: str) -> str:
    """The checkpoint named by mmengine's ``last_checkpoint`` file of a work dir.

    Args:
        run_dir (str): A training work dir.

    Returns:
        str: Path of the checkpoint inside ``run_dir``.

    Raises:
        FileNotFoundError: No ``last_checkpoint`` or no such checkpoint.
    """
    marker = osp.join(run_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(f'no last_checkpoint in {run_dir}')
    with open(marker, encoding='utf-8') as f:
        ckpt = osp.join(run_dir, osp.basename(f.read().strip()))
    if not osp.isfile(ckpt):
        raise FileNotFoundError(f'checkpoint named in {marker} not found: {ckpt}')
    return ckpt


def probe_cfg_options(network: ProbeNetwork, lam: float,
                      cfg_options: Optional[dict] = None) -> dict:
    """``--cfg-options`` of one probe training: target network, checkpoint and lambda."""
    options = dict(cfg_options or {})
    options.update({'model.target': network.config,
                    'model.target_checkpoint': network.checkpoint,
                    'model.lambda_sparsity': float(lam)})
    return options


def train_probes(config: str, work_dir: str, networks: Dict[str, ProbeNetwork],
                 lambdas: Sequence[float], cfg_options: Optional[dict] = None,
                 launcher: str = 'none', reuse: bool = False) -> Dict[Tuple[str, float], str]:
    """Train one probe per (network, lambda), each as an mmengine runner run.

    Args:
        config (str): Probe config path.
        work_dir (str): Study work dir (runs go to ``probes/<key>_lambda<l>``).
        networks (dict[str, ProbeNetwork]): From :func:`resolve_networks`.
        lambdas (Sequence[float]): Values of Eq. 6's lambda.
        cfg_options (dict, optional): Extra config overrides for every run.
        launcher (str): Job launcher (``pytorch`` under torchrun).
        reuse (bool): Skip runs whose work dir already has a checkpoint.

    Returns:
        dict[tuple[str, float], str]: Probe checkpoint per (network key, lambda).
    """
    logger = _logger(work_dir)
    checkpoints = {}
    jobs = [(lam, key) for lam in lambdas for key in NETWORK_KEYS]
    for i, (lam, key) in enumerate(jobs, 1):
        network = networks[key]
        run_dir = probe_run_dir(work_dir, key, lam)
        if reuse and osp.isfile(osp.join(run_dir, 'last_checkpoint')):
            checkpoints[(key, lam)] = latest_checkpoint(run_dir)
            logger.info(f'probe {i}/{len(jobs)} ({network.name}, lambda={lam:g}): reusing '
                        f'{checkpoints[(key, lam)]}')
            continue
        logger.info(f'probe {i}/{len(jobs)} ({network.name}, lambda={lam:g}): training in '
                    f'{run_dir}')
        start = time.time()
        runner = train(config, work_dir=run_dir,
                       cfg_options=probe_cfg_options(network, lam, cfg_options),
                       launcher=launcher)
        del runner
        gc.collect()
        barrier()
        checkpoints[(key, lam)] = latest_checkpoint(run_dir)
        logger.info(f'probe {i}/{len(jobs)} done in {time.time() - start:.0f} s: '
                    f'{checkpoints[(key, lam)]}')
    return checkpoints


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
                    logger=_logger())
    return probe.to(device).eval()


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
                       sparsity_t=float(mask_sparsity(masks['t'][None, None])[0]),
                       sparsity_c=float(mask_sparsity(masks['c'][None, None])[0]))
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


def _mean(values: Sequence[Optional[float]]) -> Optional[float]:
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
    rows = [dict(zip(TABLE_COLUMNS, ('original', _mean([r.get('rmse_t_full') for r in first]),
                                     1.0, _mean([r.get('rmse_c_full') for r in first]), 1.0,
                                     None, None), strict=True))]
    for lam in lambdas:
        res = per_lambda[lam]
        rows.append({'lambda': lam, **{k: _mean([r[k] for r in res]) for k in TABLE_COLUMNS[1:]}})
    return rows


def _fmt(value, digits: int = 3) -> str:
    """Table cell."""
    if value is None:
        return '-'
    if isinstance(value, str):
        return value
    return f'{value:.{digits}f}'


def format_table(rows: List[dict], networks: Dict[str, ProbeNetwork], threshold: float) -> str:
    """Table 1 as Markdown (T = the Transformer, C = the CNN).

    Args:
        rows (list[dict]): From :func:`summarize`.
        networks (dict[str, ProbeNetwork]): For the caption.
        threshold (float): Binarisation threshold (caption).

    Returns:
        str: A caption line and the Markdown table.
    """
    t, c = networks['transformer'].name, networks['cnn'].name
    head = ('| lambda | RMSE T | Sparsity T | RMSE C | Sparsity C | RMSE T on C mask (Eq. 7) | '
            'RMSE C on T mask (Eq. 8) |')
    lines = [head, '|' + '---|' * 7]
    for row in rows:
        lam = row['lambda'] if isinstance(row['lambda'], str) else f'{row["lambda"]:g}'
        lines.append('| ' + ' | '.join([lam] + [
            _fmt(row[k], 2 if k.startswith('sparsity') else 3) for k in TABLE_COLUMNS[1:]])
            + ' |')
    caption = (f'T = {t}, C = {c}. RMSE (m) of each network on the image masked by its own '
               f'probe\'s binarised mask (threshold {threshold:g}), sparsity = fraction of kept '
               'pixels, and each network on the other network\'s mask.')
    return caption + '\n\n' + '\n'.join(lines)


def check_sparsity_trend(rows: List[dict]) -> List[str]:
    """Problems with the expected trend: sparsity must fall as lambda grows (Table 1).

    Per network, the sparsity may not increase from one lambda to the next (a
    tolerance of 0.005 absorbs rounding) and must be lower at the largest lambda
    than at the smallest.

    Args:
        rows (list[dict]): From :func:`summarize` (the ``original`` row is ignored).

    Returns:
        list[str]: Human-readable violations; empty when the trend holds.
    """
    lam_rows = sorted((r for r in rows if not isinstance(r['lambda'], str)),
                      key=lambda r: r['lambda'])
    problems = []
    if len(lam_rows) < 2:
        return ['need at least two lambdas to check the trend']
    for suffix, net in (('t', 'Transformer'), ('c', 'CNN')):
        values = [r[f'sparsity_{suffix}'] for r in lam_rows]
        for prev, cur, row in zip(values, values[1:], lam_rows[1:], strict=False):
            if cur > prev + 0.005:
                problems.append(f'{net}: sparsity rises from {prev:.3f} to {cur:.3f} at '
                                f'lambda={row["lambda"]:g}')
        if not values[-1] < values[0]:
            problems.append(f'{net}: sparsity at lambda={lam_rows[-1]["lambda"]:g} '
                            f'({values[-1]:.3f}) is not below lambda={lam_rows[0]["lambda"]:g} '
                            f'({values[0]:.3f})')
    return problems


def write_csv(rows: List[dict], path: str) -> None:
    """Write ``table1.csv`` (empty cells for the undefined cross RMSEs of ``original``)."""
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=list(TABLE_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ('' if row[k] is None else row[k]) for k in TABLE_COLUMNS})


def plot_rmse_vs_sparsity(rows: List[dict], networks: Dict[str, ProbeNetwork],
                          path: str) -> None:
    """Fig. 5: RMSE against sparsity for both networks (matplotlib, Agg backend).

    Solid lines: each network on its own masks (with the unmasked point at
    sparsity 1); dashed: each network on the other network's masks.

    Args:
        rows (list[dict]): From :func:`summarize`.
        networks (dict[str, ProbeNetwork]): For the legend.
        path (str): Output PNG.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=120)
    lam_rows = [r for r in rows if not isinstance(r['lambda'], str)]
    orig = rows[0]
    for key, suffix, color in (('transformer', 't', 'tab:red'), ('cnn', 'c', 'tab:blue')):
        pts = [(1.0, orig[f'rmse_{suffix}'], 'orig')] + [
            (r[f'sparsity_{suffix}'], r[f'rmse_{suffix}'], f'{r["lambda"]:g}') for r in lam_rows]
        pts = [p for p in pts if p[1] is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], 'o-', color=color,
                label=f'{networks[key].name}')
        labels: Dict[Tuple[float, float], List[str]] = {}
        for x, y, label in pts[1:]:  # one label per point, listing the lambdas that share it
            labels.setdefault((round(x, 3), round(y, 3)), []).append(label)
        for (x, y), lams in labels.items():
            ax.annotate(f'$\\lambda$={", ".join(lams)}', (x, y), textcoords='offset points',
                        xytext=(4, 4), fontsize=7, color=color)
        other = 'c' if suffix == 't' else 't'
        cross = [(r[f'sparsity_{other}'], r[f'rmse_{suffix}_mask_{other}']) for r in lam_rows
                 if r[f'rmse_{suffix}_mask_{other}'] is not None]
        if cross:
            other_name = networks['cnn' if suffix == 't' else 'transformer'].name
            ax.plot([p[0] for p in cross], [p[1] for p in cross], 's--', color=color,
                    alpha=0.6, label=f'{networks[key].name} on {other_name} masks')
    ax.set_xlabel('sparsity (fraction of kept pixels)')
    ax.set_ylabel('RMSE (m)')
    ax.set_title('RMSE vs sparsity (Fig. 5)')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def render_panels(panel_maps: Dict[str, Dict[float, dict]], networks: Dict[str, ProbeNetwork],
                  out_dir: str) -> List[str]:
    """Fig. 3 (per image and lambda) and Fig. 7 (per image) pictures.

    Fig. 3: RGB | image gradient | Transformer mask | CNN mask | N_t(I*M_t) |
    N_c(I*M_c). Fig. 7: per network row, RGB | GT | N(I) | masks of every lambda.

    Args:
        panel_maps (dict): ``{name: {lambda: maps}}`` with the ``maps`` of
            :func:`evaluate_probe_pair` (the first lambda also has ``t_full``/``c_full``).
        networks (dict[str, ProbeNetwork]): For the titles.
        out_dir (str): Output folder.

    Returns:
        list[str]: Written files.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    t_name, c_name = networks['transformer'].name, networks['cnn'].name
    written = []
    for name, by_lambda in sorted(panel_maps.items()):
        lambdas = sorted(by_lambda)
        first = by_lambda[lambdas[0]]
        gt = first['gt']
        depths = [first[k] for k in ('t_full', 'c_full') if k in first]
        depths += [m[k] for m in by_lambda.values() for k in ('t', 'c')]
        valid_gt = gt[gt > 0] if gt is not None else np.zeros(0)
        vmax = float(np.percentile(valid_gt, 99)) if valid_gt.size else float(
            np.max([d.max() for d in depths]))
        depth_kw = dict(cmap='magma_r', vmin=0.0, vmax=max(vmax, 1e-3))
        grad = gradient_magnitude(first['rgb'])
        grad_kw = dict(cmap='gray', vmin=0.0, vmax=max(float(np.percentile(grad, 99)), 1e-6))
        mask_kw = dict(cmap='gray', vmin=0.0, vmax=1.0)

        for lam in lambdas:
            maps = by_lambda[lam]
            cols = [(first['rgb'], 'RGB', {}), (grad, 'image gradient', grad_kw),
                    (maps['mask_t'], f'{t_name} mask ({maps["mask_t"].mean():.2f})', mask_kw),
                    (maps['mask_c'], f'{c_name} mask ({maps["mask_c"].mean():.2f})', mask_kw),
                    (maps['t'], f'{t_name}: N(I*M)', depth_kw),
                    (maps['c'], f'{c_name}: N(I*M)', depth_kw)]
            fig, axes = plt.subplots(1, len(cols), figsize=(2.6 * len(cols), 2.4), dpi=110)
            for ax, (img, title, kw) in zip(axes, cols, strict=True):
                ax.imshow(img, **kw)
                ax.set_title(title, fontsize=7)
                ax.axis('off')
            fig.suptitle(f'{name}, lambda={lam:g} (Fig. 3)', fontsize=8)
            fig.tight_layout()
            path = osp.join(out_dir, f'fig3_{name}_lambda{lam:g}.png')
            fig.savefig(path)
            plt.close(fig)
            written.append(path)

        ncols = 3 + len(lambdas)
        fig, axes = plt.subplots(2, ncols, figsize=(2.3 * ncols, 4.4), dpi=110, squeeze=False)
        for row, (suffix, net_name) in enumerate((('t', t_name), ('c', c_name))):
            cols = [(first['rgb'], 'RGB', {}),
                    (gt if gt is not None else np.zeros_like(grad), 'ground truth', depth_kw),
                    (first.get(f'{suffix}_full', np.zeros_like(grad)), f'{net_name}: N(I)',
                     depth_kw)]
            cols += [(by_lambda[lam][f'mask_{suffix}'],
                      f'lambda={lam:g} ({by_lambda[lam][f"mask_{suffix}"].mean():.2f})', mask_kw)
                     for lam in lambdas]
            for ax, (img, title, kw) in zip(axes[row], cols, strict=True):
                ax.imshow(img, **kw)
                ax.set_title(title, fontsize=7)
                ax.axis('off')
            axes[row][0].text(-0.1, 0.5, net_name, transform=axes[row][0].transAxes,
                              rotation=90, va='center', ha='right', fontsize=8)
        fig.suptitle(f'{name}: masks per lambda (Fig. 7)', fontsize=8)
        fig.tight_layout()
        path = osp.join(out_dir, f'fig7_{name}.png')
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def init_distributed(cfg: Config, config: str, work_dir: str, launcher: str) -> None:
    """Create the process group of a launched study before any runner does.

    On CPU, :func:`~mmdepth_dgr.apis.runner.prepare_runtime` creates the gloo group;
    with CUDA, mmengine's ``init_dist`` with the config's ``env_cfg.dist_cfg``, as
    the runner would. Every probe run then reuses the group.

    Args:
        cfg (Config): The probe config (not modified).
        config (str): Its path.
        work_dir (str): The study's work dir.
        launcher (str): Job launcher.
    """
    runtime = prepare_runtime(copy.deepcopy(cfg), config, work_dir, launcher)
    if launcher != 'none' and not is_distributed():
        init_dist(launcher, **runtime.env_cfg.dist_cfg)


def run_sparse_probe(config: str, work_dir: Optional[str] = None,
                     lambdas: Optional[Sequence[float]] = None,
                     overrides: Optional[Dict[str, Dict[str, str]]] = None,
                     threshold: Optional[float] = None, num_panels: Optional[int] = None,
                     cfg_options: Optional[dict] = None, launcher: str = 'none',
                     reuse: bool = False, check_trend: bool = False) -> List[dict]:
    """The whole study: train the probes, evaluate them, write Table 1 and the figures.

    Args:
        config (str): Probe config (``probe_pair``, ``model``, data, schedule).
        work_dir (str, optional): Output dir; default ``./work_dirs/<config name>``.
        lambdas (Sequence[float], optional): Default ``probe_pair.lambdas``.
        overrides (dict, optional): Network config/checkpoint overrides (see
            :func:`resolve_networks`).
        threshold (float, optional): Binarisation threshold; default the
            config's ``model.test_cfg.threshold`` (else 0.5).
        num_panels (int, optional): Test images drawn; default
            ``probe_pair.num_panels`` (else 4).
        cfg_options (dict, optional): Overrides for the config and every run.
        launcher (str): Job launcher (``pytorch`` under torchrun).
        reuse (bool): Reuse probes already trained in the work dir.
        check_trend (bool): Fail when :func:`check_sparsity_trend` finds a
            problem (the trend is logged either way).

    Returns:
        list[dict]: Table 1 rows (on every rank but rank 0: an empty list).

    Raises:
        RuntimeError: ``check_trend`` and the sparsity does not fall with lambda.
    """
    cfg = load_config(config, cfg_options)
    if work_dir is None:
        work_dir = cfg.get('work_dir') or osp.join('./work_dirs',
                                                   osp.splitext(osp.basename(config))[0])
    # the process group exists before the logger, so rank 0 alone writes the log file
    init_distributed(cfg, config, work_dir, launcher)
    logger = _logger(work_dir)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    networks = resolve_networks(cfg, overrides)
    pair = cfg.probe_pair
    lambdas = check_lambdas(lambdas if lambdas is not None else pair.get('lambdas', []))
    if threshold is None:
        threshold = (cfg.model.get('test_cfg') or {}).get('threshold', DEFAULT_MASK_THRESHOLD)
    threshold = check_threshold(threshold)
    num_panels = int(pair.get('num_panels', 4) if num_panels is None else num_panels)
    eval_settings = depth_eval_settings(cfg)
    logger.info(f'sparse-pixel study: {networks["transformer"].name} vs '
                f'{networks["cnn"].name}, lambdas {lambdas}, threshold {threshold}, '
                f'work dir {work_dir}')
    start = time.time()
    checkpoints = train_probes(config, work_dir, networks, lambdas, cfg_options, launcher, reuse)
    logger.info(f'all probes trained in {time.time() - start:.0f} s; evaluating')

    init_default_scope(cfg.get('default_scope', 'mmseg'))
    loader = Runner.build_dataloader(copy.deepcopy(cfg.test_dataloader))
    size = len(loader.dataset)
    panel_indices = sorted(set(np.linspace(0, size - 1, min(num_panels, size)).round()
                               .astype(int).tolist())) if num_panels > 0 else []
    device = get_device()
    per_lambda, panel_maps = {}, {}
    for j, lam in enumerate(lambdas):
        probe_t = build_trained_probe(cfg, networks['transformer'], lam,
                                      checkpoints[('transformer', lam)], device)
        probe_c = build_trained_probe(cfg, networks['cnn'], lam, checkpoints[('cnn', lam)],
                                      device)
        part = evaluate_probe_pair(probe_t, probe_c, loader, eval_settings, threshold,
                                   with_original=(j == 0), panel_indices=panel_indices)
        gathered = collect_results(part, size, device='cpu')
        del probe_t, probe_c
        gc.collect()
        if is_main_process():
            rows = sorted({r['index']: r for r in gathered}.values(), key=lambda r: r['index'])
            for r in rows:
                maps = r.pop('maps', None)
                if maps is not None:
                    panel_maps.setdefault(r['name'], {})[lam] = maps
            per_lambda[lam] = rows
            means = {k: _fmt(_mean([r[k] for r in rows])) for k in TABLE_COLUMNS[1:]}
            logger.info(f'lambda={lam:g} ({len(rows)} images): ' + ', '.join(
                f'{k} {v}' for k, v in means.items()))

    table = None
    if is_main_process():
        table = summarize(per_lambda)
        os.makedirs(work_dir, exist_ok=True)
        markdown = format_table(table, networks, threshold)
        with open(osp.join(work_dir, 'table1.md'), 'w', encoding='utf-8') as f:
            f.write(markdown + '\n')
        write_csv(table, osp.join(work_dir, 'table1.csv'))
        plot_rmse_vs_sparsity(table, networks, osp.join(work_dir, 'fig5_rmse_vs_sparsity.png'))
        files = render_panels(panel_maps, networks, osp.join(work_dir, 'panels'))
        logger.info(f'Table 1:\n{markdown}')
        logger.info(f'wrote {work_dir}/table1.md, table1.csv, fig5_rmse_vs_sparsity.png and '
                    f'{len(files)} panels in {work_dir}/panels (rank {get_rank()}); study took '
                    f'{time.time() - start:.0f} s')
        problems = check_sparsity_trend(table)
        logger.info('sparsity trend: ' + ('falls with lambda for both networks' if not problems
                                          else '; '.join(problems)))
    barrier()
    if check_trend and table is not None and problems:
        raise RuntimeError('sparsity does not fall with lambda: ' + '; '.join(problems))
    return table if table is not None else []
