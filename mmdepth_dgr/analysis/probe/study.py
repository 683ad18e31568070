"""The sparse-pixel study of Sec. 3.1 / 4.1: probes for a Transformer and a CNN, Table 1, Figs.

For each ``lambda`` and each of the two depth networks (Transformer ``T`` and CNN
``C``), a :class:`~mmdepth_dgr.models.segmentors.SparsePixelProbe` is trained with
the project's mmengine runner (:func:`mmdepth_dgr.engine.train`, so a ``pytorch``
launch through torchrun trains every probe distributed). The probes are then
evaluated on the test set with binarised masks (Eq. 7-8):

* ``rmse_t`` / ``rmse_c``: RMSE of ``N_t(I * M_t)`` / ``N_c(I * M_c)``;
* ``sparsity_t`` / ``sparsity_c``: fraction of kept pixels of ``M_t`` / ``M_c``;
* ``rmse_t_mask_c``: ``N_t(I * M_c)`` (Eq. 7), ``rmse_c_mask_t``: ``N_c(I * M_t)`` (Eq. 8);
* an ``original`` row: the unmasked RMSE of both networks, sparsity 1.00, and a ``removed``
  row: every pixel removed, sparsity 0.00 (the two ends of a useful probe's RMSE);
* the soft-mask mean and spatial std, the cross-evaluation at matched sparsity and the edge
  and boundary affinities of the kept pixels (see
  :func:`~mmdepth_dgr.analysis.probe.evaluation.evaluate_probe_pair`).

**Lambdas.** Either one absolute ``lambda`` per row for both networks (``probe_pair.lambdas``,
Table 1's 1-6 on NYU), or factors of each network's *removal gap* (``probe_pair.lambda_factors``):
``lambda = factor * (L_dif(N(I), N(0)) - L_dif(N(I), N(I)))``, measured on training batches
before the probes train (:func:`measure_removal_gaps`). The L1 term of Eq. 6 lies in
``[0, lambda]`` and L_dif's excess in ``[0, gap]``, so a factor is comparable across networks
and data, where one lambda is not: networks that change their prediction less when pixels
are removed need proportionally smaller lambdas.

RMSE, crop and depth caps follow the config's ``DepthEvalMetric`` (see
:func:`mmdepth_dgr.evaluation.functional.depth_rmse`). Outputs in the work dir:
``table1.md``, ``table1.csv``, ``fig5_rmse_vs_sparsity.png``, ``edge_affinity.png``,
``panels/fig3_*.png``,
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
from mmengine.dataset import pseudo_collate
from mmengine.device import get_device
from mmengine.dist import (
    barrier,
    broadcast_object_list,
    collect_results,
    get_rank,
    is_main_process,
)
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.runner.utils import set_random_seed
from mmseg.registry import DATASETS

from mmdepth_dgr.engine import load_config, train, train_config
from mmdepth_dgr.models.utils import DEFAULT_MASK_THRESHOLD, check_threshold

from .evaluation import (
    build_trained_probe,
    depth_eval_settings,
    evaluate_probe_pair,
    mean_of,
    summarize,
)
from .figures import plot_edge_affinity, plot_rmse_vs_sparsity, render_panels
from .networks import NETWORK_KEYS, ProbeNetwork, resolve_networks
from .report import (
    check_operating_range,
    check_sparsity_trend,
    fmt_cell,
    format_table,
    read_csv,
    setting_tag,
    write_csv,
)


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

#: Training batches averaged by :func:`measure_removal_gaps`.
GAP_BATCHES = 4


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

def probe_run_dir(work_dir: str, key: str, lam: float, relative: bool = False) -> str:
    """Work dir of one probe: ``<work_dir>/probes/<key>_lambda<lam>`` (``_gapx<factor>``)."""
    return osp.join(work_dir, 'probes', f'{key}_{setting_tag(relative)}{lam:g}')


def network_lambda(setting: float, key: str, scales: Optional[Dict[str, float]]) -> float:
    """The lambda of Eq. 6 a network's probe trains with: the setting, times its gap if given.

    Args:
        setting (float): Absolute lambda, or factor of the removal gap.
        key (str): Network key.
        scales (dict[str, float], optional): Removal gaps per network; None: absolute.

    Returns:
        float: lambda.
    """
    return setting * (scales[key] if scales else 1.0)


def measure_removal_gaps(cfg, networks: Dict[str, ProbeNetwork],
                         num_batches: int = GAP_BATCHES) -> Dict[str, float]:
    """Each network's removal gap ``L_dif(N(I), N(I * 0)) - L_dif(N(I), N(I))`` (Eq. 6's scale).

    Measured on rank 0 on the first ``num_batches * batch_size`` samples of the training set
    (images as the probes see them, augmentation seeded), the same batches for both networks
    whatever the number of processes, and broadcast, so every rank uses the same lambdas; an
    error on rank 0 is raised on every rank.

    Args:
        cfg (Config): Probe config.
        networks (dict[str, ProbeNetwork]): The two networks.
        num_batches (int): Training batches averaged.

    Returns:
        dict[str, float]: Gap per network key.

    Raises:
        ValueError: A network's gap is not positive (it ignores the image).
        RuntimeError: The measurement failed on rank 0.
    """
    shared = [None]
    if is_main_process():
        try:
            dataset = DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset))
            size = int(cfg.train_dataloader.get('batch_size', 1))
            count = min(len(dataset), num_batches * size)
            set_random_seed(0)
            items = [dataset[i] for i in range(count)]
            batches = [pseudo_collate(items[i:i + size]) for i in range(0, count, size)]
            values = {}
            for key, network in networks.items():
                probe = build_trained_probe(cfg, network, 1.0, None, 'cpu')
                values[key] = float(np.mean([
                    probe.removal_gap(**_preprocessed(probe, batch)) for batch in batches]))
                del probe
            shared = [values]
        except Exception as error:  # noqa: BLE001 - re-raised on every rank below
            shared = [f'{type(error).__name__}: {error}']
    broadcast_object_list(shared)
    if isinstance(shared[0], str):
        raise RuntimeError(f'measuring the removal gaps failed on rank 0: {shared[0]}')
    for key, gap in shared[0].items():
        if not gap > 0:
            raise ValueError(f'{networks[key].name}: removal gap {gap:.4g} <= 0, the network '
                             'ignores the image: a probe has nothing to find')
    return shared[0]


def _preprocessed(probe, batch: dict) -> dict:
    """``inputs`` and ``data_samples`` of a raw batch after the probe's data preprocessor."""
    data = probe.data_preprocessor(copy.copy(batch), False)
    return dict(inputs=data['inputs'], data_samples=data['data_samples'])


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
                 launcher: str = 'none', reuse: bool = False,
                 scales: Optional[Dict[str, float]] = None) -> Dict[Tuple[str, float], str]:
    """Train one probe per (network, lambda), each as an mmengine runner run.

    Args:
        config (str): Probe config path.
        work_dir (str): Study work dir (runs go to ``probes/<key>_lambda<l>``).
        networks (dict[str, ProbeNetwork]): From :func:`resolve_networks`.
        lambdas (Sequence[float]): Values of Eq. 6's lambda, or factors of ``scales``.
        cfg_options (dict, optional): Extra config overrides for every run.
        launcher (str): Job launcher (``pytorch`` under torchrun).
        reuse (bool): Skip runs whose work dir already has a checkpoint.
        scales (dict[str, float], optional): Per network, the removal gap the values of
            ``lambdas`` multiply (runs go to ``probes/<key>_gapx<factor>``); None: absolute.

    Returns:
        dict[tuple[str, float], str]: Probe checkpoint per (network key, setting).
    """
    logger = _logger(work_dir)
    checkpoints = {}
    jobs = [(lam, key) for lam in lambdas for key in NETWORK_KEYS]
    for i, (setting, key) in enumerate(jobs, 1):
        network = networks[key]
        lam = network_lambda(setting, key, scales)
        run_dir = probe_run_dir(work_dir, key, setting, relative=bool(scales))
        if reuse and osp.isfile(osp.join(run_dir, 'last_checkpoint')):
            checkpoints[(key, setting)] = latest_checkpoint(run_dir)
            logger.info(f'probe {i}/{len(jobs)} ({network.name}, lambda={lam:.4g}): reusing '
                        f'{checkpoints[(key, setting)]}')
            continue
        logger.info(f'probe {i}/{len(jobs)} ({network.name}, lambda={lam:.4g}): training in '
                    f'{run_dir}')
        start = time.time()
        runner = train(train_config(config, work_dir=run_dir,
                                    cfg_options=probe_cfg_options(network, lam, cfg_options),
                                    launcher=launcher))
        del runner
        gc.collect()
        barrier()
        checkpoints[(key, setting)] = latest_checkpoint(run_dir)
        logger.info(f'probe {i}/{len(jobs)} done in {time.time() - start:.0f} s: '
                    f'{checkpoints[(key, setting)]}')
    return checkpoints

def study_lambdas(pair: dict, lambdas: Optional[Sequence[float]] = None,
                  lambda_factors: Optional[Sequence[float]] = None
                  ) -> Tuple[List[float], bool]:
    """The study's settings: absolute lambdas or removal-gap factors (one of the two).

    Arguments win over the config's ``probe_pair.lambdas`` / ``probe_pair.lambda_factors``.

    Args:
        pair (dict): The config's ``probe_pair``.
        lambdas (Sequence[float], optional): Absolute lambdas from the command line.
        lambda_factors (Sequence[float], optional): Factors from the command line.

    Returns:
        tuple[list[float], bool]: Sorted settings and whether they are factors.

    Raises:
        ValueError: Both or neither given, or bad values (:func:`check_lambdas`).
    """
    if lambdas is not None and lambda_factors is not None:
        raise ValueError('give lambdas or lambda factors, not both')
    if lambdas is None and lambda_factors is None:
        has_abs, has_rel = 'lambdas' in pair, 'lambda_factors' in pair
        if has_abs == has_rel:
            raise ValueError('probe_pair needs exactly one of lambdas (absolute) and '
                             'lambda_factors (of each network\'s removal gap)')
        lambdas, lambda_factors = pair.get('lambdas'), pair.get('lambda_factors')
    if lambda_factors is not None:
        return check_lambdas(lambda_factors), True
    return check_lambdas(lambdas), False


def run_sparse_probe(config: str, work_dir: Optional[str] = None,
                     lambdas: Optional[Sequence[float]] = None,
                     overrides: Optional[Dict[str, Dict[str, str]]] = None,
                     threshold: Optional[float] = None, num_panels: Optional[int] = None,
                     cfg_options: Optional[dict] = None, launcher: str = 'none',
                     reuse: bool = False, check_trend: bool = False,
                     lambda_factors: Optional[Sequence[float]] = None,
                     check_range: bool = False) -> List[dict]:
    """The whole study: train the probes, evaluate them, write Table 1 and the figures.

    Args:
        config (str): Probe config (``probe_pair``, ``model``, data, schedule).
        work_dir (str, optional): Output dir; default ``./work_dirs/<config name>``.
        lambdas (Sequence[float], optional): Absolute lambdas (both networks).
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
        lambda_factors (Sequence[float], optional): Factors of each network's removal
            gap (module docstring). Without ``lambdas`` or these, the config's
            ``probe_pair.lambdas`` or ``probe_pair.lambda_factors``.
        check_range (bool): Fail when :func:`check_operating_range`, run on the
            ``table1.csv`` written, finds a problem (logged either way).

    Returns:
        list[dict]: Table 1 rows (on every rank but rank 0: an empty list).

    Raises:
        RuntimeError: A requested check fails.
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
    settings, relative = study_lambdas(pair, lambdas, lambda_factors)
    if threshold is None:
        threshold = (cfg.model.get('test_cfg') or {}).get('threshold', DEFAULT_MASK_THRESHOLD)
    threshold = check_threshold(threshold)
    num_panels = int(pair.get('num_panels', 4) if num_panels is None else num_panels)
    eval_settings = depth_eval_settings(cfg)
    start = time.time()
    scales = None
    if relative:
        scales = measure_removal_gaps(cfg, networks)
        logger.info('removal gaps (L_dif with every pixel removed minus with none): ' + ', '.join(
            f'{networks[k].name} {v:.4f}' for k, v in scales.items()))
    logger.info(f'sparse-pixel study: {networks["transformer"].name} vs '
                f'{networks["cnn"].name}, {"lambda factors" if relative else "lambdas"} '
                f'{settings}, threshold {threshold}, work dir {work_dir}')
    checkpoints = train_probes(config, work_dir, networks, settings, cfg_options, launcher,
                               reuse, scales)
    logger.info(f'all probes trained in {time.time() - start:.0f} s; evaluating')

    init_default_scope(cfg.get('default_scope', 'mmseg'))
    loader = Runner.build_dataloader(copy.deepcopy(cfg.test_dataloader))
    size = len(loader.dataset)
    panel_indices = sorted(set(np.linspace(0, size - 1, min(num_panels, size)).round()
                               .astype(int).tolist())) if num_panels > 0 else []
    device = get_device()
    per_lambda, panel_maps = {}, {}
    for j, setting in enumerate(settings):
        lams = {key: network_lambda(setting, key, scales) for key in NETWORK_KEYS}
        probe_t = build_trained_probe(cfg, networks['transformer'], lams['transformer'],
                                      checkpoints[('transformer', setting)], device)
        probe_c = build_trained_probe(cfg, networks['cnn'], lams['cnn'],
                                      checkpoints[('cnn', setting)], device)
        part = evaluate_probe_pair(probe_t, probe_c, loader, eval_settings, threshold,
                                   with_original=(j == 0), panel_indices=panel_indices)
        gathered = collect_results(part, size, device='cpu')
        del probe_t, probe_c
        gc.collect()
        if is_main_process():
            rows = sorted({r['index']: r for r in gathered}.values(), key=lambda r: r['index'])
            for r in rows:
                r.update(lambda_t=lams['transformer'], lambda_c=lams['cnn'])
                maps = r.pop('maps', None)
                if maps is not None:
                    panel_maps.setdefault(r['name'], {})[setting] = maps
            per_lambda[setting] = rows
            means = {k: fmt_cell(mean_of([r.get(k) for r in rows]))
                     for k in ('rmse_t', 'sparsity_t', 'soft_mean_t', 'rmse_c', 'sparsity_c',
                               'soft_mean_c')}
            logger.info(f'{"factor" if relative else "lambda"}={setting:g} ({len(rows)} '
                        'images): ' + ', '.join(f'{k} {v}' for k, v in means.items()))

    table, problems, range_problems = None, [], []
    crash = None
    if is_main_process():
        try:
            table = summarize(per_lambda)
            os.makedirs(work_dir, exist_ok=True)
            markdown = format_table(table, networks, threshold, relative=relative)
            if scales:
                markdown = (f'Removal gaps: {networks["transformer"].name} '
                            f'{scales["transformer"]:.4f}, {networks["cnn"].name} '
                            f'{scales["cnn"]:.4f}.\n\n' + markdown)
            with open(osp.join(work_dir, 'table1.md'), 'w', encoding='utf-8') as f:
                f.write(markdown + '\n')
            csv_path = osp.join(work_dir, 'table1.csv')
            write_csv(table, csv_path)
            setting = 'lambda/gap' if relative else 'lambda'
            plot_rmse_vs_sparsity(table, networks, osp.join(work_dir, 'fig5_rmse_vs_sparsity.png'),
                                  setting)
            plot_edge_affinity(per_lambda, networks, osp.join(work_dir, 'edge_affinity.png'),
                               setting)
            files = render_panels(panel_maps, networks, osp.join(work_dir, 'panels'), setting)
            logger.info(f'Table 1:\n{markdown}')
            logger.info(f'wrote {work_dir}/table1.md, table1.csv, fig5_rmse_vs_sparsity.png, '
                        f'edge_affinity.png and '
                        f'{len(files)} panels in {work_dir}/panels (rank {get_rank()}); study took '
                        f'{time.time() - start:.0f} s')
            problems = check_sparsity_trend(table)
            logger.info('sparsity trend: ' + ('falls with lambda for both networks' if not problems
                                              else '; '.join(problems)))
            range_problems = check_operating_range(read_csv(csv_path))
            logger.info('operating range (from table1.csv): ' + (
                'each network has >= 3 selective lambdas with RMSE between full and removed'
                if not range_problems else '; '.join(range_problems)))
        except Exception as error:  # noqa: BLE001 - raised on every rank below
            crash = f'writing the study outputs failed on rank 0: {type(error).__name__}: {error}'
    failures = [crash] if crash else []
    if check_trend and problems:
        failures.append('sparsity does not fall with lambda: ' + '; '.join(problems))
    if check_range and range_problems:
        failures.append('operating range not met: ' + '; '.join(range_problems))
    shared = [failures]
    broadcast_object_list(shared)  # every rank fails alike (no rank left waiting)
    if shared[0]:
        raise RuntimeError(' | '.join(shared[0]))
    return table if table is not None else []
