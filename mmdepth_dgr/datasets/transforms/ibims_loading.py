"""iBims-1 evaluation annotations: the official GT masking, plane masks and parameters."""
import os.path as osp
from typing import Dict, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

#: Plane types of iBims-1 (the ``mask_<type>`` / ``mask_<type>_paras`` fields).
IBIMS_PLANE_TYPES = ('wall', 'table', 'floor')


def _read_mask_png(path: str, key: str) -> np.ndarray:
    """A 2-D mask PNG as bool (nonzero = True), naming the file on any failure."""
    import cv2
    if not osp.isfile(path):
        raise FileNotFoundError(f"iBims-1 mask file not found: {path} (results['{key}'])")
    if osp.getsize(path) == 0:
        raise ValueError(f'corrupt or unreadable iBims-1 mask PNG (empty file, 0 bytes): {path}')
    mask = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise ValueError(f'corrupt or unreadable iBims-1 mask PNG: {path}')
    if mask.ndim != 2:
        raise ValueError(f'iBims-1 mask must be a 2-D single-channel image, got shape '
                         f'{mask.shape}: {path}')
    return mask != 0


def read_plane_annotations(path: str,
                           plane_types: Sequence[str] = IBIMS_PLANE_TYPES) -> Dict[str, dict]:
    """Plane masks and parameters of one image from its iBims-1 ``.mat`` file.

    The release's ``{name}.mat`` holds a struct ``data`` whose fields include
    ``mask_<type>`` (H x W labels, 0 = none, k = plane k) and ``mask_<type>_paras``
    (N x 7, one row per plane, the GT normal in columns 4..6; empty when the image has no
    plane of that type). A file with these fields at the top level is read too.

    Args:
        path (str): The ``.mat`` file.
        plane_types (Sequence[str]): The types to read.

    Returns:
        dict[str, dict]: ``{type: {'mask': (H, W) int32, 'params': (N, 7) float64}}``.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is empty, not a MATLAB file, lacks a field, or a field has a
            bad shape (file and field named).
    """
    from scipy import io as sio
    if not osp.isfile(path):
        raise FileNotFoundError(f"iBims-1 plane file not found: {path} "
                                "(results['plane_mat_path'])")
    if osp.getsize(path) == 0:
        raise ValueError(f'corrupt or unreadable iBims-1 .mat file (empty, 0 bytes): {path}')
    try:
        mat = sio.loadmat(path)
    except Exception as err:  # any reader failure means a bad file
        raise ValueError(f'corrupt or unreadable iBims-1 .mat file: {path}') from err
    if 'data' in mat and getattr(mat['data'].dtype, 'names', None):
        struct = mat['data']
        fields = set(struct.dtype.names)

        def get(field):
            return struct[field][0, 0]
    else:
        fields = {k for k in mat if not k.startswith('__')}

        def get(field):
            return mat[field]
    planes = {}
    for plane_type in plane_types:
        for field in (f'mask_{plane_type}', f'mask_{plane_type}_paras'):
            if field not in fields:
                raise ValueError(f'iBims-1 .mat file {path} has no field {field!r} '
                                 f'(fields: {sorted(fields)})')
        mask = np.asarray(get(f'mask_{plane_type}'))
        if mask.ndim != 2:
            raise ValueError(f'{path}: mask_{plane_type} must be 2-D, got shape {mask.shape}')
        params = np.asarray(get(f'mask_{plane_type}_paras'), dtype=np.float64)
        if params.size == 0:
            params = np.zeros((0, 7))
        elif params.ndim == 1:
            params = params[None]
        if params.ndim != 2 or params.shape[1] < 7:
            raise ValueError(f'{path}: mask_{plane_type}_paras must be (N, 7), got shape '
                             f'{params.shape}')
        planes[plane_type] = dict(mask=mask.astype(np.int32), params=params)
    return planes


@TRANSFORMS.register_module()
class LoadIBimsAnnotations(BaseTransform):
    """Mask the GT depth as the official iBims-1 evaluation does and load the planes.

    Reads ``mask_invalid_path`` (1 = valid) and ``mask_transp_path`` (1 = not
    transparent) and sets ``gt_depth_map`` to 0 (= invalid for every metric) where either
    is 0, as the official script multiplies the depth by both masks. Loads the plane masks
    and parameters of ``plane_mat_path`` (:func:`read_plane_annotations`) into
    ``results['ibims_planes']``, and reads ``calib_path`` into ``calib`` / ``focal``
    when the dataset did not (``check_files=False``). ``ibims_planes`` and ``calib`` reach
    the metric as meta keys of ``PackSegInputs`` (the iBims-1 base config lists them):
    evaluation keeps the GT at its original 480x640 size, so no geometric transform may
    follow this one in the test pipeline (the planes are not in ``seg_fields``).

    Required Keys:

    - gt_depth_map (from ``LoadDepthMap``), mask_invalid_path, mask_transp_path,
      plane_mat_path, calib or calib_path

    Modified Keys:

    - gt_depth_map

    Added Keys:

    - ibims_planes (dict): ``{type: {'mask': (H, W) int32, 'params': (N, 7)}}``
    - calib, focal (when absent)

    Args:
        plane_types (Sequence[str]): Plane types to load. Defaults to wall, table, floor.
        mask_gt (bool): Apply the invalid/transparent masks to ``gt_depth_map``.
            Defaults to True.
    """

    def __init__(self, plane_types: Sequence[str] = IBIMS_PLANE_TYPES,
                 mask_gt: bool = True) -> None:
        self.plane_types = tuple(plane_types)
        self.mask_gt = mask_gt

    def transform(self, results: Dict) -> Dict:
        """Load the annotations of one sample.

        Args:
            results (dict): Result dict from the dataset, after ``LoadDepthMap``.

        Returns:
            dict: ``results`` with the masked GT, ``ibims_planes`` and ``calib``.

        Raises:
            KeyError: A required key is absent.
            FileNotFoundError / ValueError: A file is missing, empty or corrupt, or a map's
                size differs from the GT depth (file named).
        """
        from ..ibims import parse_ibims_calib
        for key in ('gt_depth_map', 'mask_invalid_path', 'mask_transp_path',
                    'plane_mat_path'):
            if key not in results:
                raise KeyError(f'{type(self).__name__}: results of {results.get("img_path")!r} '
                               f'have no {key!r} (use IBimsDataset and put LoadDepthMap '
                               'before this transform)')
        gt = results['gt_depth_map']
        shape = tuple(gt.shape[:2])
        if self.mask_gt:
            keep = np.ones(shape, dtype=bool)
            for key in ('mask_invalid_path', 'mask_transp_path'):
                mask = _read_mask_png(results[key], key)
                self._check_shape(mask.shape, shape, results[key], results)
                keep &= mask
            results['gt_depth_map'] = np.where(keep, gt, 0).astype(gt.dtype)
        planes = read_plane_annotations(results['plane_mat_path'], self.plane_types)
        for plane in planes.values():
            self._check_shape(plane['mask'].shape, shape, results['plane_mat_path'], results)
        results['ibims_planes'] = planes
        if results.get('calib') is None:
            calib = parse_ibims_calib(results['calib_path'])
            results['calib'] = calib
            results['focal'] = calib[0]
        return results

    @staticmethod
    def _check_shape(got, want, path: str, results: Dict) -> None:
        if tuple(got) != tuple(want):
            where = results.get('split_line') or 'sample'
            raise ValueError(f'{where}: {path} has size {tuple(got)}, the GT depth '
                             f'{results.get("depth_map_path")} has {tuple(want)} (H, W)')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(plane_types={self.plane_types}, '
                f'mask_gt={self.mask_gt})')
