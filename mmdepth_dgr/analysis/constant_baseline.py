"""The constant-mean-depth predictor: the floor any trained depth model must clear."""
from typing import Dict

import numpy as np
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, METRICS


def _build_dataset(cfg: Config, key: str):
    """Build the dataset of ``cfg[key].dataset`` with only the loading (and KB crop) steps."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset_cfg = cfg[key].dataset.copy()
    dataset_cfg.pipeline = [t for t in dataset_cfg.pipeline if t['type'] in (
        'LoadImageFromFile', 'LoadDepthMap', 'LoadDepthAnnotation', 'KBCrop', 'PackSegInputs')]
    return DATASETS.build(dataset_cfg)


def mean_train_depth(cfg: Config, max_samples: int = 2000) -> float:
    """Mean valid ground-truth depth over (up to ``max_samples`` of) the training set.

    Args:
        cfg (Config): A config with ``train_dataloader``.
        max_samples (int): Cap on the number of samples read (evenly spaced).

    Returns:
        float: Mean depth in metres over valid pixels.
    """
    dataset = _build_dataset(cfg, 'train_dataloader')
    idx = np.linspace(0, len(dataset) - 1, min(len(dataset), max_samples)).round().astype(int)
    total, count = 0.0, 0
    for i in np.unique(idx):
        sample = dataset[int(i)]['data_samples']
        if 'gt_depth_map' not in sample:
            continue
        gt = sample.gt_depth_map.data.numpy()
        valid = (gt > dataset.min_depth) & (gt <= dataset.max_depth)
        total += float(gt[valid].sum())
        count += int(valid.sum())
    if count == 0:
        raise RuntimeError('the training set has no valid depth pixel')
    return total / count


def evaluate_constant(cfg: Config, depth: float) -> Dict[str, float]:
    """Evaluate a predictor that outputs ``depth`` everywhere on the test set.

    The config's ``test_evaluator`` is used, so crops and depth caps are the
    same as for the trained model.

    Args:
        cfg (Config): A config with ``test_dataloader`` and ``test_evaluator``.
        depth (float): The constant prediction in metres.

    Returns:
        dict[str, float]: The test metrics.
    """
    dataset = _build_dataset(cfg, 'test_dataloader')
    evaluator_cfg = cfg.test_evaluator.copy()
    evaluator_cfg.pop('output_dir', None)
    metric = METRICS.build(evaluator_cfg)
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        shape = sample.metainfo['img_shape']
        out = sample.to_dict()
        out['pred_depth_map'] = dict(data=np.full((1, *shape), depth, dtype=np.float32))
        metric.process({}, [out])
    print_log(f'constant predictor ({depth:.3f} m):', logger='current')
    return metric.compute_metrics(metric.results)


def compare_with_constant(model_metrics: Dict[str, float], constant_metrics: Dict[str, float],
                          constant_depth: float) -> str:
    """Markdown table of a model's test metrics next to the constant predictor's.

    Args:
        model_metrics (dict): Test metrics of the trained model.
        constant_metrics (dict): Test metrics of the constant predictor.
        constant_depth (float): The constant (mean training depth, metres).

    Returns:
        str: A Markdown table with the abs_rel ratio in the last line.
    """
    keys = [k for k in ('abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10', 'silog', 'd1', 'd2',
                        'd3') if k in model_metrics and k in constant_metrics]
    lines = ['| predictor | ' + ' | '.join(keys) + ' |', '|---' * (len(keys) + 1) + '|',
             '| trained model | ' + ' | '.join(f'{model_metrics[k]:.4f}' for k in keys) + ' |',
             f'| constant {constant_depth:.3f} m | ' + ' | '.join(
                 f'{constant_metrics[k]:.4f}' for k in keys) + ' |']
    ratio = model_metrics['abs_rel'] / constant_metrics['abs_rel']
    lines.append(f'\nabs_rel ratio (model / constant): {ratio:.3f}')
    return '\n'.join(lines)
