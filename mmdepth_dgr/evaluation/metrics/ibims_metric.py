"""IBimsDepthMetric: DepthEvalMetric plus the iBims-1 planarity and directed depth errors."""
from typing import Dict, List, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log
from mmseg.registry import METRICS

from ..functional.ibims import PLANE_TYPES, directed_depth_errors, planarity_errors
from .depth_metric import DepthEvalMetric

#: Per-image directed depth errors (fractions), averaged over images.
DDE_METRICS = ('dde_0', 'dde_m', 'dde_p')


def planarity_keys(plane_types: Sequence[str] = PLANE_TYPES) -> tuple:
    """The planarity columns: pooled ``pe_fla``/``pe_ori`` then one pair per plane type."""
    keys = ['pe_fla', 'pe_ori']
    for t in plane_types:
        keys += [f'pe_fla_{t}', f'pe_ori_{t}']
    return tuple(keys)


@METRICS.register_module()
class IBimsDepthMetric(DepthEvalMetric):
    """:class:`DepthEvalMetric` (its numbers unchanged) plus the iBims-1 geometric errors.

    Per image, on the pixels the official evaluation keeps (GT already masked by
    ``LoadIBimsAnnotations``: valid, not transparent, nonzero; prediction finite and
    positive; no depth cap and no crop, as the official script):

    - ``dde_0``, ``dde_m``, ``dde_p``: :func:`directed_depth_errors` at
      ``dde_threshold`` (3 m), fractions, averaged over images;
    - the planarity errors of every annotated plane (:func:`planarity_errors`; NaN for
      planes under 5% of the frame). As the official script, the errors of all planes of
      all images are pooled into one list and averaged ignoring NaN: ``pe_fla`` (cm) and
      ``pe_ori`` (degrees) over every plane, ``pe_fla_<type>`` / ``pe_ori_<type>`` over the
      planes of one type (wall, table, floor). A plane-weighted mean, not a mean of
      per-image means; NaN when no plane qualifies.

    The numbers join DepthEvalMetric's table, returned dict and per-image CSV (through its
    ``extra_*`` hooks); the CSV gets ``n_planes``, ``dde_*`` and the image's own per-type
    plane means. The samples need the meta keys ``ibims_planes`` and ``calib``
    (``configs/_base_/datasets/ibims.py``).

    Args:
        dde_threshold (float): DDE distance in metres. Defaults to 3.0.
        plane_types (Sequence[str]): Plane types. Defaults to wall, table, floor.
        **kwargs: :class:`DepthEvalMetric` arguments.
    """

    def __init__(self, dde_threshold: float = 3.0,
                 plane_types: Sequence[str] = PLANE_TYPES, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dde_threshold = float(dde_threshold)
        self.plane_types = tuple(plane_types)

    def extra_image_metrics(self, sample: dict, gt: np.ndarray, pred: np.ndarray,
                            name: str) -> dict:
        """The image's directed depth errors and the planarity errors of its planes.

        Args:
            sample (dict): Model output with ``ibims_planes`` and ``calib`` meta keys.
            gt (np.ndarray): (H, W) ground truth (masked by ``LoadIBimsAnnotations``).
            pred (np.ndarray): (H, W) prediction at the GT size.
            name (str): The sample's name, for messages.

        Returns:
            dict: :data:`DDE_METRICS`, ``n_planes``, the image's per-type plane means
            (``pe_fla_<type>``, ``pe_ori_<type>``, for the CSV) and the per-plane lists
            (``planes_<type>``, pooled by :meth:`extra_averages`).

        Raises:
            KeyError: The sample lacks ``ibims_planes`` or ``calib``.
            ValueError: Prediction and GT differ in size.
        """
        for key in ('ibims_planes', 'calib'):
            if sample.get(key) is None:
                raise KeyError(f'{type(self).__name__}: sample {name!r} has no {key!r}; add '
                               'LoadIBimsAnnotations to the test pipeline and the key to '
                               'PackSegInputs meta_keys')
        if pred.shape != gt.shape:
            raise ValueError(f'{type(self).__name__}: prediction {pred.shape} and GT '
                             f'{gt.shape} of {name!r} differ in size; iBims-1 is evaluated at '
                             'the GT size (no resize or crop in the test pipeline)')
        out = dict(zip(DDE_METRICS, directed_depth_errors(gt, pred, self.dde_threshold),
                       strict=True))
        n_planes = 0
        for plane_type in self.plane_types:
            plane = sample['ibims_planes'][plane_type]
            fla, ori = planarity_errors(gt, pred, np.asarray(plane['mask']),
                                        np.asarray(plane['params']), sample['calib'])
            out[f'planes_{plane_type}'] = (fla.tolist(), ori.tolist())
            out[f'pe_fla_{plane_type}'] = _nanmean(fla)
            out[f'pe_ori_{plane_type}'] = _nanmean(ori)
            n_planes += len(fla)
        out['n_planes'] = n_planes
        return out

    def extra_averages(self, rows: List[dict]) -> Dict[str, float]:
        """DDE averaged over images; planarity pooled over every plane, as the official script.

        Args:
            rows (list[dict]): The evaluated images' rows.

        Returns:
            dict[str, float]: :data:`DDE_METRICS` then :func:`planarity_keys`.
        """
        extra = {k: _nanmean([r[k] for r in rows]) for k in DDE_METRICS}
        pooled_fla, pooled_ori = [], []
        for plane_type in self.plane_types:
            fla = [v for r in rows for v in r[f'planes_{plane_type}'][0]]
            ori = [v for r in rows for v in r[f'planes_{plane_type}'][1]]
            extra[f'pe_fla_{plane_type}'] = _nanmean(fla)
            extra[f'pe_ori_{plane_type}'] = _nanmean(ori)
            pooled_fla += fla
            pooled_ori += ori
        extra.update(pe_fla=_nanmean(pooled_fla), pe_ori=_nanmean(pooled_ori))
        n_used = int(np.isfinite(pooled_fla).sum()) if pooled_fla else 0
        print_log(f'{type(self).__name__}: DDE at {self.dde_threshold:g} m (fractions); '
                  f'planarity over {n_used} of {len(pooled_fla)} planes (the others under 5% '
                  'of the frame), flatness in cm, orientation in degrees.', logger='current')
        return {k: extra[k] for k in (*DDE_METRICS, *planarity_keys(self.plane_types))}

    def extra_csv_columns(self) -> Tuple[str, ...]:
        """``n_planes``, :data:`DDE_METRICS` and the image's per-type plane means."""
        return ('n_planes', *DDE_METRICS, *planarity_keys(self.plane_types)[2:])


def _nanmean(values: Sequence[float]) -> float:
    """Mean ignoring NaN; NaN (no warning) when nothing is finite."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float('nan')

