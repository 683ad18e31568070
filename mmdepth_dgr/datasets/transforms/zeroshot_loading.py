"""Loading for the zero-shot indoor test sets: SUN RGB-D and DIODE depth, fixed-pixel windows.

* SUN RGB-D stores depth as a 16-bit PNG whose millimetre value is rotated left by 3 bits
  (the SUN RGB-D toolbox's ``read3dPoints.m`` undoes it; so does the
  Monocular-Depth-Estimation-Toolbox's ``depth/datasets/sunrgbd.py``):
  ``mm = (v >> 3) | (v << 13)`` within 16 bits, metres = mm / 1000. Below 8.192 m this is
  ``v / 8000`` (the toolbox's ``depth_scale=8000``); beyond, the 3 top bits wrap into the
  low bits and ``v / 8000`` is wrong. :class:`LoadSUNRGBDDepth`.
* DIODE stores float32 metres in ``*_depth.npy`` (H x W x 1) and a validity mask
  (1 = valid sensor return) in ``*_depth_mask.npy`` (DIODE devkit README).
  :class:`LoadDIODEDepth`.
* Both toolboxes evaluate these sets on the fixed pixel window ``[45:471, 41:601]`` of the
  ground truth whatever its size (the Eigen crop of 480x640 NYU, applied as pixel indices).
  :class:`MaskDepthOutsideWindow` reproduces it by setting the GT outside the window to 0
  (invalid for every metric), so the metric runs with ``crop=None``.
"""
from typing import Dict, Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...evaluation.functional.depth import EVAL_CROPS
from .loading import LoadDepthMap, read_2d_image
from .utils import check_depth_matches_image

#: The size (H, W) of the NYU frames the Eigen crop is defined on.
NYU_FRAME_HW: Tuple[int, int] = (480, 640)

#: ``(top, bottom, left, right)`` pixel window of the Eigen crop of 480x640 NYU frames, which
#: both toolboxes apply unscaled to SUN RGB-D and ZoeDepth to DIODE (numpy slice semantics:
#: clipped to smaller maps): ``(45, 471, 41, 601)``, the metric's ``'nyu'`` crop
#: (:data:`~mmdepth_dgr.evaluation.functional.depth.EVAL_CROPS`) at 480x640.
EIGEN_PIXEL_WINDOW: Tuple[int, int, int, int] = tuple(
    round(fraction * size) for fraction, size in zip(
        EVAL_CROPS['nyu'], (NYU_FRAME_HW[0], NYU_FRAME_HW[0], NYU_FRAME_HW[1], NYU_FRAME_HW[1]),
        strict=True))


def decode_sunrgbd_depth(raw: np.ndarray) -> np.ndarray:
    """SUN RGB-D depth in metres from the stored 16-bit PNG values.

    The PNG holds the millimetre depth rotated left by 3 bits; rotating right by 3 within
    16 bits gives millimetres back: ``mm = ((v >> 3) | (v << 13)) & 0xFFFF``.

    Args:
        raw (np.ndarray): The decoded PNG, any shape; integer values in [0, 65535].

    Returns:
        np.ndarray: float32 metres (``mm / 1000``), 0 where nothing was measured.

    Raises:
        ValueError: ``raw`` is not an integer array or holds values outside 16 bits.
    """
    raw = np.asarray(raw)
    if raw.dtype.kind not in 'ui':
        raise ValueError(f'SUN RGB-D depth must be an integer (uint16) map, got {raw.dtype}')
    if raw.size and (raw.min() < 0 or raw.max() > 0xFFFF):
        raise ValueError('SUN RGB-D depth values must lie in [0, 65535]')
    v = raw.astype(np.uint32)
    mm = ((v >> 3) | (v << 13)) & 0xFFFF
    return mm.astype(np.float32) / np.float32(1000.0)


@TRANSFORMS.register_module()
class LoadSUNRGBDDepth(LoadDepthMap):
    """Load a SUN RGB-D depth PNG (bit-rotated millimetres) as metres.

    Reads ``results['depth_map_path']`` with :class:`LoadDepthMap`'s checks (missing, empty,
    corrupt or 8-bit files and a size other than the loaded image's are errors naming the
    file), then decodes it with :func:`decode_sunrgbd_depth`. No depth cap is applied here:
    the metric's ``max_depth_eval`` is the cap (8 m, ZoeDepth: deeper pixels are not
    evaluated). The Monocular-Depth-Estimation-Toolbox instead clamps GT (and predictions)
    deeper than 8 m to 8 m and evaluates them; ``clamp_max=8.0`` does the GT half of that.

    Optional Keys:

    - depth_map_path (str | None)

    Modified Keys:

    - seg_fields (created if absent)

    Added Keys:

    - gt_depth_map (np.ndarray): (H, W) float32 metres, 0 = no measurement.
    - depth_rescale_factor (float): 1.0, the loader's ``depth_rescale_factor`` (the raw
      values are read unscaled; :func:`decode_sunrgbd_depth`, not a factor, makes metres).

    Args:
        clamp_max (float, optional): Set GT deeper than this to this value (the toolbox's
            ``depth[depth > 8] = 8``). Defaults to None (no clamp).
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
        decode_backend (str): mmseg ``datafrombytes`` backend. Defaults to ``'cv2'``.

    Raises:
        ValueError: ``clamp_max`` is not positive.
    """

    def __init__(self, clamp_max: Optional[float] = None, backend_args: Optional[dict] = None,
                 decode_backend: str = 'cv2') -> None:
        # read the raw uint16 values; the decoding below makes the metres
        super().__init__(decode_backend=decode_backend, to_float32=False,
                         depth_rescale_factor=1.0, backend_args=backend_args,
                         allowed_dtypes=('uint16', ))
        if clamp_max is not None and not clamp_max > 0:
            raise ValueError(f'clamp_max must be None or positive, got {clamp_max!r}')
        self.clamp_max = clamp_max

    def transform(self, results: Dict) -> Dict:
        """Load and decode the depth map named by ``results['depth_map_path']``.

        Args:
            results (dict): Result dict from the dataset.

        Returns:
            dict: ``results`` with ``gt_depth_map`` in metres, or unchanged without a depth
            map to load (see :class:`LoadDepthMap`).

        Raises:
            KeyError / FileNotFoundError / ValueError: As :meth:`LoadDepthMap.transform`.
        """
        results = super().transform(results)
        if results.get('depth_map_path') is None:
            return results
        depth = decode_sunrgbd_depth(results['gt_depth_map'])
        if self.clamp_max is not None:
            depth = np.minimum(depth, np.float32(self.clamp_max))
        results['gt_depth_map'] = depth
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(clamp_max={self.clamp_max}, '
                f"backend_args={self.backend_args}, decode_backend='{self.decode_backend}')")


@TRANSFORMS.register_module()
class LoadDIODEDepth(BaseTransform):
    """Load a DIODE depth map (``*_depth.npy``, metres) and its validity mask.

    ``depth_map_path`` is an (H, W, 1) (or (H, W)) float array of metres, ``depth_mask_path``
    an (H, W) array, nonzero = valid sensor return (DIODE devkit). With ``apply_mask`` the GT
    is set to 0 (= invalid for every metric) where the mask is 0; ZoeDepth's DIODE loader
    reads the mask but does not use it, relying on its depth range alone
    (``apply_mask=False`` reproduces that).

    The GT stays at the original resolution (1024x768 for DIODE): it is not added to
    ``seg_fields``, so it can be loaded after a ``Resize`` of the image (ZoeDepth feeds the
    network 640x480 images and compares the prediction, resized back to the original size,
    with the full-resolution GT; mmseg's ``DepthEstimator`` resizes predictions to
    ``ori_shape``). Its size is checked against ``ori_shape`` (the image as loaded).

    Optional Keys:

    - depth_map_path (str | None), depth_mask_path (str | None), ori_shape, img

    Added Keys:

    - gt_depth_map (np.ndarray): (H, W) float32 metres, 0 = invalid.
    - gt_depth_valid (np.ndarray): (H, W) bool, the file's mask (before the depth range).

    Args:
        apply_mask (bool): Zero the GT where the mask file says invalid. Defaults to True.
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
    """

    def __init__(self, apply_mask: bool = True, backend_args: Optional[dict] = None) -> None:
        self.apply_mask = apply_mask
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results: Dict) -> Dict:
        """Load the depth and mask of one sample.

        Args:
            results (dict): Result dict from the dataset (after ``LoadImageFromFile``).

        Returns:
            dict: ``results`` with ``gt_depth_map`` and ``gt_depth_valid``, or unchanged
            without a depth map to load (a bare image's results at inference).

        Raises:
            KeyError: A dataset sample (with ``sample_idx``) lacks ``depth_map_path`` or
                ``depth_mask_path``.
            FileNotFoundError: A file does not exist.
            ValueError: A file is empty or unreadable, the depth is not a float array, the
                mask and depth differ in size, or they differ from the image's original
                size (files named).
        """
        if 'sample_idx' in results:
            for key in ('depth_map_path', 'depth_mask_path'):
                if key not in results:
                    raise KeyError(f'{type(self).__name__}: the dataset sample '
                                   f'{results.get("img_path")!r} has no {key!r}; got keys '
                                   f'{sorted(results)}')
        path = results.get('depth_map_path')
        if path is None:
            return results
        depth = read_2d_image(path, 'DIODE depth', 'depth_map_path', self.backend_args,
                              decode_backend='numpy', file_kind='DIODE depth .npy',
                              allow_channel_dim=True)
        if depth.dtype.kind != 'f':
            raise ValueError(f'DIODE depth must be a float array of metres, got dtype '
                             f'{depth.dtype}: {path}')
        mask_path = results.get('depth_mask_path')
        if mask_path is None:
            valid = np.ones(depth.shape, dtype=bool)
        else:
            mask = read_2d_image(mask_path, 'DIODE depth mask', 'depth_mask_path',
                                 self.backend_args, decode_backend='numpy',
                                 file_kind='DIODE depth mask .npy', allow_channel_dim=True)
            if mask.shape != depth.shape:
                raise ValueError(f'{results.get("split_line") or "sample"}: DIODE depth mask '
                                 f'{mask_path} has size {mask.shape}, the depth {path} has '
                                 f'{depth.shape} (H, W)')
            valid = mask != 0
        # the image as loaded (before a Resize), else as it is now
        check_depth_matches_image(results, depth.shape, image_shape=results.get('ori_shape'))
        depth = depth.astype(np.float32)
        if self.apply_mask:
            depth = np.where(valid, depth, np.float32(0))
        results['gt_depth_map'] = depth
        results['gt_depth_valid'] = valid
        results['depth_rescale_factor'] = 1.0
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(apply_mask={self.apply_mask}, '
                f'backend_args={self.backend_args})')


@TRANSFORMS.register_module()
class MaskDepthOutsideWindow(BaseTransform):
    """Set the GT depth outside a fixed pixel window to 0 (invalid for every metric).

    The window is given in pixels of the GT map and is not scaled with its size, as the
    toolboxes apply the NYU Eigen crop ``[45:471, 41:601]`` to SUN RGB-D (any size) and
    ZoeDepth to DIODE (1024x768); for maps smaller than the window it is clipped like a numpy
    slice. Put it last before ``PackSegInputs`` and evaluate with ``crop=None``.

    Required Keys:

    - gt_depth_map (when present; results without it pass unchanged)

    Modified Keys:

    - gt_depth_map

    Args:
        window (tuple[int, int, int, int]): ``(top, bottom, left, right)``; rows
            ``top:bottom`` and columns ``left:right`` are kept. Defaults to
            :data:`EIGEN_PIXEL_WINDOW`.

    Raises:
        ValueError: The window is not four integers with ``0 <= top < bottom`` and
            ``0 <= left < right``.
    """

    def __init__(self, window: Tuple[int, int, int, int] = EIGEN_PIXEL_WINDOW) -> None:
        window = tuple(window)
        if (len(window) != 4 or not all(isinstance(v, (int, np.integer)) for v in window)
                or not 0 <= window[0] < window[1] or not 0 <= window[2] < window[3]):
            raise ValueError(f'window must be (top, bottom, left, right) pixel indices with '
                             f'0 <= top < bottom and 0 <= left < right, got {window!r}')
        self.window = tuple(int(v) for v in window)

    def transform(self, results: Dict) -> Dict:
        """Mask one sample's GT.

        Args:
            results (dict): Result dict, with ``gt_depth_map`` once loaded.

        Returns:
            dict: ``results`` with the GT outside the window set to 0.
        """
        gt = results.get('gt_depth_map')
        if gt is None:
            return results
        top, bottom, left, right = self.window
        keep = np.zeros(gt.shape[:2], dtype=bool)
        keep[top:bottom, left:right] = True
        results['gt_depth_map'] = np.where(keep, gt, 0).astype(gt.dtype)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(window={self.window})'
