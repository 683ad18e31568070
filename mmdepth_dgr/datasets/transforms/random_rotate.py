"""BTS-style random rotation of image and depth."""
from typing import Dict

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

from .utils import aligned_seg_fields

_INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}


@TRANSFORMS.register_module()
class DepthRandomRotate(BaseTransform):
    """Rotate image and depth by a random angle about the image centre (BTS).

    The angle is drawn from ``U(-max_degree, max_degree)`` degrees (positive =
    counter-clockwise); the output keeps the input size. ``img`` and every key
    of ``seg_fields`` are warped with one shared affine matrix by
    ``cv2.warpAffine``, the image with ``img_interpolation`` and the maps with
    ``depth_interpolation`` (nearest by default, so no depth value is invented
    across discontinuities). Pixels rotated in from outside are 0 in both; in
    depth 0 means invalid, so they are ignored by losses and metrics. BTS uses
    2.5 degrees for NYU and 1.0 for KITTI.

    Required Keys:

    - img
    - seg_fields (optional) and the keys it lists

    Modified Keys:

    - img
    - the keys listed in seg_fields

    Added Keys:

    - rotate_angle (float): The angle in degrees (0.0 when not rotated).

    Args:
        max_degree (float): Maximum absolute angle in degrees. Defaults to 2.5.
        prob (float): Probability of rotating. Defaults to 1.0.
        img_interpolation (str): Interpolation of the image, one of 'nearest',
            'bilinear', 'bicubic', 'area', 'lanczos'. Defaults to 'bilinear'.
        depth_interpolation (str): Interpolation of the ``seg_fields`` maps.
            Defaults to 'nearest'.
    """

    # mmseg's RandomRotate is unsuitable: it pads seg maps with 255, which in a
    # depth map would be a valid 255 m depth instead of 0 = invalid.

    def __init__(self,
                 max_degree: float = 2.5,
                 prob: float = 1.0,
                 img_interpolation: str = 'bilinear',
                 depth_interpolation: str = 'nearest') -> None:
        super().__init__()
        if max_degree < 0:
            raise ValueError(f'max_degree must be >= 0, got {max_degree}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        for name, value in (('img_interpolation', img_interpolation),
                            ('depth_interpolation', depth_interpolation)):
            if value not in _INTERPOLATIONS:
                raise ValueError(
                    f'{name} must be one of {sorted(_INTERPOLATIONS)}, got {value!r}')
        self.max_degree = float(max_degree)
        self.prob = float(prob)
        self.img_interpolation = img_interpolation
        self.depth_interpolation = depth_interpolation

    @cache_randomness
    def _sample_angle(self) -> float:
        """Draw the rotation angle in degrees (0.0 when not rotating)."""
        apply = np.random.rand() < self.prob
        angle = np.random.uniform(-self.max_degree, self.max_degree)
        return float(angle) if apply else 0.0

    @staticmethod
    def _warp(arr: np.ndarray, matrix: np.ndarray, interpolation: str) -> np.ndarray:
        """Warp ``arr`` keeping its size, filling the outside with 0."""
        h, w = arr.shape[:2]
        out = cv2.warpAffine(
            np.ascontiguousarray(arr),
            matrix, (w, h),
            flags=_INTERPOLATIONS[interpolation],
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0)
        if arr.ndim == 3 and out.ndim == 2:  # cv2 drops a trailing 1-channel axis
            out = out[..., None]
        return out

    def transform(self, results: Dict) -> Dict:
        """Rotate ``img`` and the ``seg_fields`` maps by one random angle.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The rotated results.
        """
        angle = self._sample_angle()
        results['rotate_angle'] = angle
        if angle == 0.0:
            return results

        img = results['img']
        h, w = img.shape[:2]
        _, seg_fields = aligned_seg_fields(results, 'DepthRandomRotate')

        center = ((w - 1) * 0.5, (h - 1) * 0.5)
        matrix = cv2.getRotationMatrix2D(center, angle, 1.0)
        results['img'] = self._warp(img, matrix, self.img_interpolation)
        for key in seg_fields:
            results[key] = self._warp(results[key], matrix, self.depth_interpolation)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_degree={self.max_degree}, '
                f'prob={self.prob}, '
                f"img_interpolation='{self.img_interpolation}', "
                f"depth_interpolation='{self.depth_interpolation}')")
