"""KITTI benchmark (KB) crop."""
from typing import Dict

from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from .utils import aligned_seg_fields


@TRANSFORMS.register_module()
class KBCrop(BaseTransform):
    """KITTI benchmark crop (as in BTS): bottom ``height`` rows, centred columns.

    With ``H, W`` the input size, ``top = H - height`` and
    ``left = (W - width) // 2``; ``img`` and every key in ``seg_fields`` are
    cropped to ``[top:top + height, left:left + width]``.

    Both ``img_shape`` **and** ``ori_shape`` are set to the cropped shape, so
    mmseg's ``DepthEstimator.postprocess_result`` (which resizes predictions to
    ``ori_shape``) returns predictions aligned with the cropped ground truth.
    The full frame size and the crop position are kept in ``uncropped_shape``
    and ``kb_crop_offset``; the depth metric uses them to place the Garg/Eigen
    evaluation crops in full-frame coordinates. Add both keys to the
    ``meta_keys`` of ``PackSegInputs`` in test pipelines.

    Required Keys:

    - img
    - seg_fields (optional) and the maps it lists, cut to the same KB window

    Modified Keys:

    - img
    - img_shape
    - ori_shape
    - the keys listed in seg_fields

    Added Keys:

    - kb_crop_offset (tuple[int, int]): ``(top, left)``.
    - uncropped_shape (tuple[int, int]): ``(H, W)`` before cropping.

    Args:
        height (int): Crop height. Defaults to 352.
        width (int): Crop width. Defaults to 1216.
    """

    def __init__(self, height: int = 352, width: int = 1216) -> None:
        super().__init__()
        if int(height) <= 0 or int(width) <= 0:
            raise ValueError(f'height and width must be positive, got {height}, {width}')
        self.height = int(height)
        self.width = int(width)

    def transform(self, results: Dict) -> Dict:
        """Crop ``img`` and the ``seg_fields`` maps.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The cropped results.

        Raises:
            ValueError: The image is smaller than the crop, or a ``seg_fields``
                map does not have the image's height and width.
        """
        img = results['img']
        h, w = img.shape[:2]
        if h < self.height or w < self.width:
            raise ValueError(
                f'KBCrop: image of size {(h, w)} is smaller than the crop '
                f'{(self.height, self.width)}: {results.get("img_path")}')
        _, seg_fields = aligned_seg_fields(results, 'KBCrop')

        top = h - self.height
        left = (w - self.width) // 2
        rows = slice(top, top + self.height)
        cols = slice(left, left + self.width)
        results['img'] = img[rows, cols, ...]
        for key in seg_fields:
            results[key] = results[key][rows, cols, ...]

        results['kb_crop_offset'] = (top, left)
        results['uncropped_shape'] = (h, w)
        results['img_shape'] = (self.height, self.width)
        results['ori_shape'] = (self.height, self.width)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(height={self.height}, width={self.width})'
