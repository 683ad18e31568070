"""Depth-map loading with clear error messages."""
from typing import Dict, Optional

import numpy as np
from mmengine import fileio
from mmseg.datasets.transforms import LoadDepthAnnotation
from mmseg.registry import TRANSFORMS
from mmseg.utils import datafrombytes


@TRANSFORMS.register_module()
class LoadDepthMap(LoadDepthAnnotation):
    """Load a ground-truth depth map, failing loudly on bad inputs.

    Behaves like mmseg's :class:`LoadDepthAnnotation` (the stored values are
    multiplied by ``depth_rescale_factor``, e.g. ``1 / 1000`` for NYU 16-bit
    PNGs in millimetres or ``1 / 256`` for KITTI, giving metres; 0 stays 0 =
    invalid), but reports missing keys, missing files and corrupt files with
    the offending path instead of an obscure crash.

    Required Keys:

    - depth_map_path

    Modified Keys:

    - seg_fields (created if absent)

    Added Keys:

    - gt_depth_map (np.ndarray): (H, W) depth map, float32 if
      ``to_float32=True``.
    - depth_rescale_factor (float)

    Args:
        decode_backend (str): Decoding backend of ``mmseg.utils.datafrombytes``
            ('cv2', 'numpy', 'nifti' or 'pickle'). Defaults to 'cv2'.
        to_float32 (bool): Convert the map to float32. Defaults to True.
        depth_rescale_factor (float): Multiplier from stored values to metres.
            Defaults to 1.0.
        backend_args (dict, optional): Arguments of the mmengine file backend.
            Defaults to None.
    """

    # Wraps mmseg's class because it crashes with
    # `'NoneType' object has no attribute 'astype'` on a corrupt PNG.

    def __init__(self,
                 decode_backend: str = 'cv2',
                 to_float32: bool = True,
                 depth_rescale_factor: float = 1.0,
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(
            decode_backend=decode_backend,
            to_float32=to_float32,
            depth_rescale_factor=depth_rescale_factor,
            backend_args=backend_args)

    def transform(self, results: Dict) -> Dict:
        """Load the depth map named by ``results['depth_map_path']``.

        Args:
            results (dict): Result dict from the dataset.

        Returns:
            dict: ``results`` with ``gt_depth_map`` added, or unchanged when
            ``depth_map_path`` is None (a split line without ground truth, e.g.
            KITTI Eigen test lines written ``None``: kept for inference only).

        Raises:
            KeyError: ``depth_map_path`` is missing from ``results``.
            FileNotFoundError: The depth file does not exist.
            ValueError: The file cannot be decoded or is not a 2-D map.
        """
        if 'depth_map_path' not in results:
            raise KeyError(
                f"{self.__class__.__name__} needs the key 'depth_map_path' in "
                f'results; got keys {sorted(results)}')
        path = results['depth_map_path']
        if path is None:
            return results
        try:
            data_bytes = fileio.get(path, self.backend_args)
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f"depth map file not found: {path} (results['depth_map_path'])") from err

        try:
            depth = datafrombytes(data_bytes, backend=self.decode_backend)
        except Exception as err:  # any decoder failure means a bad file
            raise ValueError(f'corrupt or unreadable depth PNG: {path}') from err
        if depth is None:
            raise ValueError(f'corrupt or unreadable depth PNG: {path}')
        depth = np.asarray(depth)
        if depth.ndim != 2:
            raise ValueError(
                f'depth map must be 2-D (H, W), got shape {depth.shape}: {path}')

        if self.to_float32:
            depth = depth.astype(np.float32)
        if self.depth_rescale_factor != 1.0:
            # Out of place: an in-place multiply fails on integer maps.
            depth = depth * self.depth_rescale_factor

        results['gt_depth_map'] = depth
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_depth_map' not in seg_fields:
            seg_fields.append('gt_depth_map')
        results['depth_rescale_factor'] = self.depth_rescale_factor
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f"decode_backend='{self.decode_backend}', "
                f'to_float32={self.to_float32}, '
                f'depth_rescale_factor={self.depth_rescale_factor}, '
                f'backend_args={self.backend_args})')
