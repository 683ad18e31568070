"""DepthEvalMetric: the community's nine depth numbers, per image then averaged."""
import csv
import logging
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from ...utils.depth_io import save_depth_png
from ...utils.naming import sample_file_name
from ..functional import (
    BOUNDARY_METRICS,
    DEPTH_METRICS,
    EDGE_METRICS,
    EVAL_CROPS,
    NON_FINITE_COUNTS,
    edge_depth_errors,
    evaluate_depth,
    image_boundary_metrics,
)


def _to_numpy(data) -> np.ndarray:
    """(1, H, W) or (H, W) tensor/array -> (H, W) float64 numpy array."""
    if hasattr(data, 'detach'):
        data = data.detach().float().cpu().numpy()
    data = np.asarray(data, dtype=np.float64)
    return data.reshape(data.shape[-2:])


def non_finite_summary(rows: Sequence[dict], min_depth: float,
                       max_depth: float) -> Optional[str]:
    """The warning about replaced non-finite predictions, or None when there were none.

    Args:
        rows (Sequence[dict]): Per-image results with the :data:`NON_FINITE_COUNTS` keys.
        min_depth (float): The value NaN was replaced by.
        max_depth (float): The value +-inf was replaced by.

    Returns:
        str | None: The message (pixel counts and the number of affected images).
    """
    totals = {k: sum(r.get(k, 0) for r in rows) for k in NON_FINITE_COUNTS}
    affected = sum(any(r.get(k, 0) for k in NON_FINITE_COUNTS) for r in rows)
    if not affected:
        return None
    return (f'DepthEvalMetric: non-finite predictions in {affected} of {len(rows)} evaluated '
            f'images, replaced as BTS does before computing the metrics: {totals["n_nan"]} '
            f'NaN pixels -> min_depth_eval ({min_depth:g}), {totals["n_posinf"]} +inf and '
            f'{totals["n_neginf"]} -inf pixels -> max_depth_eval ({max_depth:g}). The metrics '
            'include these pixels; per-image counts are in per_image_metrics.csv (--out).')


def no_ground_truth_note(n_samples: int, output_dir: Optional[str]) -> str:
    """The note logged when no sample of a run has ground truth (inference-only split).

    Args:
        n_samples (int): Number of predictions made.
        output_dir (str, optional): Where they were written, None when not written.

    Returns:
        str: The message.
    """
    written = (f'wrote {n_samples} predictions to {output_dir}' if output_dir is not None
               else f'{n_samples} predictions not written (pass --out DIR to write them)')
    return f'DepthEvalMetric: no sample has ground truth: {written}, no metrics.'


@METRICS.register_module()
class DepthEvalMetric(BaseMetric):
    """Depth metrics with the BTS / Monocular-Depth-Estimation-Toolbox conventions.

    Each image is evaluated on its valid pixels (``min_depth_eval < gt <
    max_depth_eval``, inside ``crop``) after clamping the prediction to the
    evaluation range; the nine numbers (:data:`DEPTH_METRICS`) are averaged over
    images. ``silog`` is ``100 * sqrt(mean(e**2) - mean(e)**2)`` with ``e`` the
    log error, as BTS prints it. For KB-cropped KITTI samples the Garg/Eigen
    crop is placed in the full frame (``uncropped_shape``, ``kb_crop_offset``).
    Samples without ground truth (KITTI ``None`` lines) are skipped and counted;
    when no sample has ground truth (an inference-only split) the predictions
    are still written and :meth:`compute_metrics` returns an empty dict. NaN and
    +-inf predictions are replaced as BTS does (NaN -> ``min_depth_eval``,
    +-inf -> ``max_depth_eval``), counted, and reported in a warning and in the
    per-image CSV (``n_nan``, ``n_posinf``, ``n_neginf``).

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
        boundary_metrics (bool): Also report :data:`BOUNDARY_METRICS`
            (:func:`~mmdepth_dgr.evaluation.functional.image_boundary_metrics`:
            iBims-1 ``dbe_acc``/``dbe_comp``, Depth Pro ``boundary_f1``,
            ``spurious_jump_rate``, ``smooth_log_grad_error``), each averaged
            over the images that have it (a log line counts the others). GT
            edges are the sample's ``gt_edge_map`` when it has one, else
            :func:`~mmdepth_dgr.evaluation.functional.gt_edges_from_depth`.
            Defaults to False.
        boundary_edge_ratio (float): Depth ratio of the GT-edge rule used
            without ``gt_edge_map``. Defaults to 1.1.
        format_only (bool): As mmseg's ``IoUMetric``: only write the predictions
            to ``output_dir`` (e.g. for a benchmark server), evaluate nothing
            (ground truth is not read) and return an empty dict. Needs
            ``output_dir`` and ``save_png``. Defaults to False.
        keep_results (bool): Keep the predictions written to ``output_dir``.
            This metric never deletes anything, so the flag changes nothing;
            it is accepted because mmseg's ``tools/test.py --out DIR`` sets it
            (mmseg 1.x's ``IoUMetric`` ignores it too). Defaults to False.
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
                 boundary_metrics: bool = False,
                 boundary_edge_ratio: float = 1.1,
                 format_only: bool = False,
                 keep_results: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if format_only and (output_dir is None or not save_png):
            raise ValueError('DepthEvalMetric: format_only=True only writes the predictions, '
                             'so it needs output_dir (tools/test.py --out DIR) and '
                             f'save_png=True; got output_dir={output_dir!r}, '
                             f'save_png={save_png!r}')
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
        self.boundary_metrics = boundary_metrics
        self.boundary_edge_ratio = float(boundary_edge_ratio)
        self.format_only = format_only
        self.keep_results = keep_results

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
            png_info = {}
            if self.output_dir is not None and self.save_png:
                self._dump_png(pred, name)
                png_info['png_non_finite'] = int(pred.size - np.isfinite(pred).sum())
            if self.format_only:
                self.results.append(dict(name=name, skipped='format only', **png_info))
                continue
            gt_field = sample.get('gt_depth_map')
            if gt_field is None:
                self.results.append(dict(name=name, skipped='no ground truth', **png_info))
                continue
            gt = _to_numpy(gt_field['data'])
            uncropped = sample.get('uncropped_shape')
            offset = sample.get('kb_crop_offset', (0, 0))
            metrics = evaluate_depth(gt, pred, self.min_depth_eval, self.max_depth_eval,
                                     crop=self.crop, median_scaling=self.median_scaling,
                                     uncropped_shape=uncropped, offset=offset)
            if metrics is None:
                self.results.append(dict(name=name, skipped='no valid pixel', **png_info))
                continue
            if self.edge_metrics:
                edges = edge_depth_errors(gt, pred, self.min_depth_eval, self.max_depth_eval,
                                          crop=self.crop, rel_jump=self.edge_rel_jump,
                                          uncropped_shape=uncropped, offset=offset)
                metrics.update(edges or dict(n_edge=0))
            if self.boundary_metrics:
                edge_field = sample.get('gt_edge_map')
                metrics.update(image_boundary_metrics(
                    gt, pred, self.min_depth_eval, self.max_depth_eval, crop=self.crop,
                    median_scaling=self.median_scaling, uncropped_shape=uncropped,
                    offset=offset, edge_ratio=self.boundary_edge_ratio,
                    gt_edges=None if edge_field is None else _to_numpy(edge_field['data'])))
            metrics.update(self.extra_image_metrics(sample, gt, pred, name))
            self.results.append(dict(name=name, **metrics, **png_info))

    # Hooks of dataset-specific metrics (e.g. IBimsDepthMetric): their numbers join this
    # metric's rows, table and CSV.

    def extra_image_metrics(self, sample: dict, gt: np.ndarray, pred: np.ndarray,
                            name: str) -> dict:
        """More per-image numbers of an evaluated sample (none here; subclasses add some).

        Args:
            sample (dict): The model output with its ground truth and meta keys.
            gt (np.ndarray): (H, W) ground truth.
            pred (np.ndarray): (H, W) prediction.
            name (str): The sample's name, for messages.

        Returns:
            dict: Added to the image's row.
        """
        return {}

    def extra_averages(self, rows: List[dict]) -> Dict[str, float]:
        """More averaged numbers for the table and the returned dict (none here).

        Args:
            rows (list[dict]): The evaluated images' rows.

        Returns:
            dict[str, float]: Appended after the other columns.
        """
        return {}

    def extra_csv_columns(self) -> Tuple[str, ...]:
        """More per-image CSV columns, keys of :meth:`extra_image_metrics` (none here)."""
        return ()

    def _dump_png(self, pred: np.ndarray, name: str) -> None:
        """Write a prediction as a 16-bit PNG of ``depth * depth_scale``, atomically
        (:func:`~mmdepth_dgr.utils.depth_io.save_depth_png`: non-finite or <= 0 -> 0 = no
        prediction, above the 16-bit range clipped with a warning)."""
        save_depth_png(osp.join(self.output_dir, f'{name}.png'), pred, scale=self.depth_scale)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Average the per-image numbers, log a table and write the CSV.

        Args:
            results (list[dict]): Per-image results from all ranks.

        Returns:
            dict[str, float]: Averages keyed by :data:`DEPTH_METRICS` (and
            :data:`EDGE_METRICS` with ``edge_metrics``, :data:`BOUNDARY_METRICS`
            with ``boundary_metrics``: NaN when no image has the number); an empty dict with
            ``format_only`` or when no sample has ground truth (inference only:
            a note says so).

        Raises:
            RuntimeError: Some samples have ground truth but none has a valid
                pixel (wrong depth scale or evaluation caps?).
        """
        evaluated = [r for r in results if 'skipped' not in r]
        skipped = [r for r in results if 'skipped' in r]
        self._warn_non_finite_pngs(results)
        if self.format_only:
            print_log(f'DepthEvalMetric: format_only: wrote {len(results)} predictions to '
                      f'{self.output_dir}, no metrics.', logger='current')
            return {}
        if results and all(r.get('skipped') == 'no ground truth' for r in results):
            dumped = self.output_dir if self.save_png else None
            print_log(no_ground_truth_note(len(results), dumped), logger='current',
                      level=logging.WARNING)
            return {}
        if skipped:
            reasons = sorted({r['skipped'] for r in skipped})
            print_log(f'DepthEvalMetric: {len(skipped)} of {len(results)} samples excluded '
                      f'from evaluation ({", ".join(reasons)}).', logger='current')
        if not evaluated:
            raise RuntimeError('DepthEvalMetric: no sample had valid ground truth to evaluate '
                               f'({len(results)} samples seen, none with a ground-truth pixel '
                               f'in ({self.min_depth_eval}, {self.max_depth_eval}) m inside '
                               f'crop={self.crop!r})')
        warning = non_finite_summary(evaluated, self.min_depth_eval, self.max_depth_eval)
        if warning is not None:
            print_log(warning, logger='current', level=logging.WARNING)
        averages = {k: float(np.mean([r[k] for r in evaluated])) for k in DEPTH_METRICS}
        if self.edge_metrics:
            with_edges = [r for r in evaluated if r['n_edge'] > 0]
            for k in EDGE_METRICS:
                averages[k] = (float(np.mean([r[k] for r in with_edges])) if with_edges
                               else float('nan'))
        if self.boundary_metrics:
            averages.update(self._average_boundary(evaluated))
        averages.update(self.extra_averages(evaluated))
        table = PrettyTable(field_names=list(averages))
        table.add_row([f'{v:.4f}' for v in averages.values()])
        print_log(f'Depth metrics over {len(evaluated)} images (crop={self.crop}, '
                  f'depth in ({self.min_depth_eval}, {self.max_depth_eval}) m'
                  f'{", median-scaled" if self.median_scaling else ""}):\n{table}',
                  logger='current')
        if self.output_dir is not None and is_main_process():
            self._write_csv(sorted(evaluated, key=lambda r: r['name']))
        return averages

    @staticmethod
    def _average_boundary(rows: List[dict]) -> Dict[str, float]:
        """NaN-safe means of the :data:`BOUNDARY_METRICS`, logging the images without them."""
        averages, missing = {}, {}
        for k in BOUNDARY_METRICS:
            values = np.array([r[k] for r in rows], dtype=np.float64)
            have = np.isfinite(values)
            averages[k] = float(values[have].mean()) if have.any() else float('nan')
            missing[k] = int((~have).sum())
        notes = [f'{missing["dbe_acc"]} of {len(rows)} images without GT edges (dbe_acc, '
                 'dbe_comp skipped)']
        if missing['boundary_f1']:
            notes.append(f'{missing["boundary_f1"]} without GT depth contours (boundary_f1 '
                         'skipped)')
        if missing['spurious_jump_rate']:
            notes.append(f'{missing["spurious_jump_rate"]} without GT-smooth pixel pairs '
                         '(continuity metrics skipped)')
        print_log(f'DepthEvalMetric: boundary metrics: {"; ".join(notes)}.', logger='current')
        return averages

    def _warn_non_finite_pngs(self, results: List[dict]) -> None:
        """Warn when written PNG predictions had non-finite pixels (any pixel, GT or not)."""
        bad = [r['png_non_finite'] for r in results if r.get('png_non_finite')]
        if bad:
            print_log(f'DepthEvalMetric: {len(bad)} of {len(results)} predictions written to '
                      f'{self.output_dir} had non-finite pixels ({sum(bad)} in all), stored as '
                      '0 (no prediction) in the PNGs.', logger='current',
                      level=logging.WARNING)

    def _write_csv(self, rows: List[dict]) -> None:
        """Write ``per_image_metrics.csv`` (one row per evaluated image) to ``output_dir``."""
        os.makedirs(self.output_dir, exist_ok=True)
        path = osp.join(self.output_dir, 'per_image_metrics.csv')
        with open(path, 'w', newline='', encoding='utf-8') as f:
            names = ['name', 'n_valid', *NON_FINITE_COUNTS, *DEPTH_METRICS]
            if self.edge_metrics:
                names += ['n_edge', *EDGE_METRICS]
            if self.boundary_metrics:
                names += ['n_gt_edge', *BOUNDARY_METRICS]
            names += list(self.extra_csv_columns())
            writer = csv.DictWriter(f, fieldnames=names, restval='', extrasaction='ignore')
            writer.writeheader()
            writer.writerows(rows)
        print_log(f'DepthEvalMetric: per-image metrics written to {path}', logger='current')
