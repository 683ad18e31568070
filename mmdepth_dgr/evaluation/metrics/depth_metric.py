"""DepthEvalMetric: the community's nine depth numbers, per image then averaged."""
import csv
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from ...utils.naming import sample_file_name
from ..functional import DEPTH_METRICS, EDGE_METRICS, EVAL_CROPS, edge_depth_errors, evaluate_depth


def _to_numpy(data) -> np.ndarray:
    """(1, H, W) or (H, W) tensor/array -> (H, W) float64 numpy array."""
    if hasattr(data, 'detach'):
        data = data.detach().float().cpu().numpy()
    data = np.asarray(data, dtype=np.float64)
    return data.reshape(data.shape[-2:])


@METRICS.register_module()
class DepthEvalMetric(BaseMetric):
    """Depth metrics with the BTS / Monocular-Depth-Estimation-Toolbox conventions.

    Each image is evaluated on its valid pixels (``min_depth_eval < gt <
    max_depth_eval``, inside ``crop``) after clamping the prediction to the
    evaluation range; the nine numbers (:data:`DEPTH_METRICS`) are averaged over
    images. ``silog`` is ``100 * sqrt(mean(e**2) - mean(e)**2)`` with ``e`` the
    log error, as BTS prints it. For KB-cropped KITTI samples the Garg/Eigen
    crop is placed in the full frame (``uncropped_shape``, ``kb_crop_offset``).
    Samples without ground truth (KITTI ``None`` lines) are skipped and counted.

    Args:
        min_depth_eval (float): Lower evaluation cap (1e-3 for NYU and KITTI).
        max_depth_eval (float): Upper cap (10 for NYU, 80 for KITTI).
        crop (str, optional): ``'nyu'``, ``'garg'``, ``'eigen'`` or None.
        median_scaling (bool): Median-scale each prediction (self-supervised
            protocol). Defaults to False.
        output_dir (str, optional): Directory for per-image 16-bit PNG
            predictions (``depth * depth_scale``) and ``per_image_metrics.csv``.
        depth_scale (float): PNG value per metre for the dump (1000 NYU, 256 KITTI).
        save_png (bool): Dump PNGs when ``output_dir`` is set. Defaults to True.
        edge_metrics (bool): Also report the depth-boundary errors
            ``edge_abs_rel``/``edge_rmse`` (:func:`edge_depth_errors`: the same
            numbers on GT depth discontinuities only), averaged over the images
            that have edge pixels. Defaults to False.
        edge_rel_jump (float): Relative neighbour jump that makes a GT edge.
            Defaults to 0.1.
        collect_device (str): ``'cpu'`` or ``'gpu'``, for distributed gathering.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 min_depth_eval: float = 1e-3,
                 max_depth_eval: float = 10.0,
                 crop: Optional[str] = None,
                 median_scaling: bool = False,
                 output_dir: Optional[str] = None,
                 depth_scale: float = 1000.0,
                 save_png: bool = True,
                 edge_metrics: bool = False,
                 edge_rel_jump: float = 0.1,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if crop is not None and crop not in EVAL_CROPS:
            raise ValueError(f'DepthEvalMetric: unknown crop {crop!r}; choose one of '
                             f'{sorted(EVAL_CROPS)} or None')
        if not min_depth_eval < max_depth_eval:
            raise ValueError(f'DepthEvalMetric: min_depth_eval ({min_depth_eval}) must be '
                             f'below max_depth_eval ({max_depth_eval})')
        self.min_depth_eval = float(min_depth_eval)
        self.max_depth_eval = float(max_depth_eval)
        self.crop = crop
        self.median_scaling = median_scaling
        self.output_dir = output_dir
        self.depth_scale = float(depth_scale)
        self.save_png = save_png
        self.edge_metrics = edge_metrics
        self.edge_rel_jump = float(edge_rel_jump)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Evaluate each sample of a batch (per-image numbers are what ranks exchange).

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): Model outputs with ``pred_depth_map``
                and, when known, ``gt_depth_map``.
        """
        for sample in data_samples:
            pred = _to_numpy(sample['pred_depth_map']['data'])
            name = sample_file_name(sample)
            if self.output_dir is not None and self.save_png:
                self._dump_png(pred, name)
            gt_field = sample.get('gt_depth_map')
            if gt_field is None:
                self.results.append(dict(name=name, skipped='no ground truth'))
                continue
            gt = _to_numpy(gt_field['data'])
            uncropped = sample.get('uncropped_shape')
            offset = sample.get('kb_crop_offset', (0, 0))
            metrics = evaluate_depth(gt, pred, self.min_depth_eval, self.max_depth_eval,
                                     crop=self.crop, median_scaling=self.median_scaling,
                                     uncropped_shape=uncropped, offset=offset)
            if metrics is None:
                self.results.append(dict(name=name, skipped='no valid pixel'))
                continue
            if self.edge_metrics:
                edges = edge_depth_errors(gt, pred, self.min_depth_eval, self.max_depth_eval,
                                          crop=self.crop, rel_jump=self.edge_rel_jump,
                                          uncropped_shape=uncropped, offset=offset)
                metrics.update(edges or dict(n_edge=0))
            self.results.append(dict(name=name, **metrics))

    def _dump_png(self, pred: np.ndarray, name: str) -> None:
        """Write a prediction as a 16-bit PNG of ``depth * depth_scale``."""
        os.makedirs(self.output_dir, exist_ok=True)
        png = np.clip(np.nan_to_num(pred) * self.depth_scale, 0, 65535)
        cv2.imwrite(osp.join(self.output_dir, f'{name}.png'), png.round().astype(np.uint16))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Average the per-image numbers, log a table and write the CSV.

        Args:
            results (list[dict]): Per-image results from all ranks.

        Returns:
            dict[str, float]: Averages keyed by :data:`DEPTH_METRICS`.

        Raises:
            RuntimeError: No sample could be evaluated.
        """
        evaluated = [r for r in results if 'skipped' not in r]
        skipped = [r for r in results if 'skipped' in r]
        if skipped:
            reasons = sorted({r['skipped'] for r in skipped})
            print_log(f'DepthEvalMetric: {len(skipped)} of {len(results)} samples excluded '
                      f'from evaluation ({", ".join(reasons)}).', logger='current')
        if not evaluated:
            raise RuntimeError('DepthEvalMetric: no sample had valid ground truth to evaluate '
                               f'({len(results)} samples seen)')
        averages = {k: float(np.mean([r[k] for r in evaluated])) for k in DEPTH_METRICS}
        if self.edge_metrics:
            with_edges = [r for r in evaluated if r['n_edge'] > 0]
            for k in EDGE_METRICS:
                averages[k] = (float(np.mean([r[k] for r in with_edges])) if with_edges
                               else float('nan'))
        table = PrettyTable(field_names=list(averages))
        table.add_row([f'{v:.4f}' for v in averages.values()])
        print_log(f'Depth metrics over {len(evaluated)} images (crop={self.crop}, '
                  f'depth in ({self.min_depth_eval}, {self.max_depth_eval}) m'
                  f'{", median-scaled" if self.median_scaling else ""}):\n{table}',
                  logger='current')
        if self.output_dir is not None and is_main_process():
            self._write_csv(sorted(evaluated, key=lambda r: r['name']))
        return averages

    def _write_csv(self, rows: List[dict]) -> None:
        """Write ``per_image_metrics.csv`` (one row per evaluated image) to ``output_dir``."""
        os.makedirs(self.output_dir, exist_ok=True)
        path = osp.join(self.output_dir, 'per_image_metrics.csv')
        with open(path, 'w', newline='', encoding='utf-8') as f:
            names = ['name', 'n_valid', *DEPTH_METRICS]
            if self.edge_metrics:
                names += ['n_edge', *EDGE_METRICS]
            writer = csv.DictWriter(f, fieldnames=names, restval='')
            writer.writeheader()
            writer.writerows(rows)
        print_log(f'DepthEvalMetric: per-image metrics written to {path}', logger='current')
