"""Training-time crop of the white border of NYU Depth v2 images."""
import math
from typing import Dict, Tuple

from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from .utils import aligned_seg_fields


def _round_half_up(x: float) -> int:
    """Round to the nearest integer, halves up (Python's ``round`` is half-even)."""
    return int(math.floor(x + 0.5))


@TRANSFORMS.register_module()
class NYUBorderCrop(BaseTransform):
    """Crop NYU's white border from the image and the depth map (BTS training).

    ``crop_box`` is ``(left, top, right, bottom)`` at the reference size
    ``ref_shape = (H, W)``; at 480x640 the crop is exactly
    ``[45:472, 43:608]`` (427x565). For images of another size the box is
    scaled proportionally per axis and rounded (halves up) to integers.

    Required Keys:

    - img
    - seg_fields (optional) and the maps it lists, cut to the same border box

    Modified Keys:

    - img
    - img_shape
    - the keys listed in seg_fields

    Added Keys:

    - border_crop_box (tuple[int, int, int, int]): The applied
      ``(left, top, right, bottom)`` box.

    Args:
        crop_box (tuple[int, int, int, int]): ``(left, top, right, bottom)`` at
            ``ref_shape``. Defaults to (43, 45, 608, 472).
        ref_shape (tuple[int, int]): ``(H, W)`` the box refers to.
            Defaults to (480, 640).
    """

    def __init__(self,
                 crop_box: Tuple[int, int, int, int] = (43, 45, 608, 472),
                 ref_shape: Tuple[int, int] = (480, 640)) -> None:
        super().__init__()
        if len(crop_box) != 4 or len(ref_shape) != 2:
            raise ValueError('crop_box must be (left, top, right, bottom) and ref_shape (H, W), '
                             f'got {crop_box!r}, {ref_shape!r}')
        left, top, right, bottom = (int(v) for v in crop_box)
        ref_h, ref_w = (int(v) for v in ref_shape)
        if not (0 <= left < right <= ref_w and 0 <= top < bottom <= ref_h):
            raise ValueError(f'crop_box {crop_box!r} is empty or outside ref_shape {ref_shape!r}')
        self.crop_box = (left, top, right, bottom)
        self.ref_shape = (ref_h, ref_w)

    def scaled_box(self, shape: Tuple[int, int]) -> Tuple[int, int, int, int]:
        """The crop box ``(left, top, right, bottom)`` for an image of ``shape``.

        Args:
            shape (tuple[int, int]): Image ``(H, W)``.

        Returns:
            tuple[int, int, int, int]: The scaled box.
        """
        h, w = shape[:2]
        if (h, w) == self.ref_shape:
            return self.crop_box
        sy, sx = h / self.ref_shape[0], w / self.ref_shape[1]
        left, top, right, bottom = self.crop_box
        return (_round_half_up(left * sx), _round_half_up(top * sy),
                _round_half_up(right * sx), _round_half_up(bottom * sy))

    def transform(self, results: Dict) -> Dict:
        """Crop ``img`` and the ``seg_fields`` maps.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The cropped results.
        """
        img = results['img']
        h, w = img.shape[:2]
        _, seg_fields = aligned_seg_fields(results, 'NYUBorderCrop')
        left, top, right, bottom = self.scaled_box((h, w))
        results['img'] = img[top:bottom, left:right, ...]
        for key in seg_fields:
            results[key] = results[key][top:bottom, left:right, ...]
        results['img_shape'] = results['img'].shape[:2]
        results['border_crop_box'] = (left, top, right, bottom)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_box={self.crop_box}, '
                f'ref_shape={self.ref_shape})')
