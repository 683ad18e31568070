"""The sparse-pixel study of Sec. 3.1 / 4.1: probes for a Transformer and a CNN, Table 1, Figs.

For each ``lambda`` and each of the two depth networks (Transformer ``T`` and CNN
``C``), a :class:`~mmdepth_dgr.models.segmentors.SparsePixelProbe` is trained with
the project's mmengine runner (:func:`mmdepth_dgr.engine.train`, so a ``pytorch``
launch through torchrun trains every probe distributed). The probes are then
evaluated on the test set with binarised masks (Eq. 7-8):

* ``rmse_t`` / ``rmse_c``: RMSE of ``N_t(I * M_t)`` / ``N_c(I * M_c)``;
* ``sparsity_t`` / ``sparsity_c``: fraction of kept pixels of ``M_t`` / ``M_c``;
* ``rmse_t_mask_c``: ``N_t(I * M_c)`` (Eq. 7), ``rmse_c_mask_t``: ``N_c(I * M_t)`` (Eq. 8);
* an ``original`` row: the unmasked RMSE of both networks, sparsity 1.00.

RMSE, crop and depth caps follow the config's ``DepthEvalMetric`` (see
:func:`mmdepth_dgr.evaluation.functional.depth_rmse`). Outputs in the work dir:
``table1.md``, ``table1.csv``, ``fig5_rmse_vs_sparsity.png``, ``panels/fig3_*.png``,
``panels/fig7_*.png``, ``sparse_probe.log`` and ``probes/<net>_lambda<l>/``.
"""
import copy
import gc
import math
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.device import get_device
from mmengine.dist import barrier, collect_results, get_rank, is_main_process
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmdepth_dgr.engine import load_config, train, train_config
from mmdepth_dgr.models.utils import DEFAULT_MASK_THRESHOLD, check_threshold

from .evaluation import (
    build_trained_probe,
    depth_eval_settings,
    evaluate_probe_pair,
    mean_of,
    summarize,
)
from .figures import plot_rmse_vs_sparsity, render_panels
from .networks import NETWORK_KEYS, ProbeNetwork, resolve_networks
from .report import TABLE_COLUMNS, check_sparsity_trend, fmt_cell, format_table, write_csv


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
        runner = train(train_config(config, work_dir=run_dir,
                                    cfg_options=probe_cfg_options(network, lam, cfg_options),
                                    launcher=launcher))
        del runner
        gc.collect()
        barrier()
        checkpoints[(key, lam)] = latest_checkpoint(run_dir)
        logger.info(f'probe {i}/{len(jobs)} done in {time.time() - start:.0f} s: '
                    f'{checkpoints[(key, lam)]}')
    return checkpoints

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
    # the tool creates the process group before this runs (engine.init_distributed), so
    # rank 0 alone writes the log file
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
            means = {k: fmt_cell(mean_of([r[k] for r in rows])) for k in TABLE_COLUMNS[1:]}
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
