"""Depth visualisation: RGB | ground truth | prediction | error panels."""
import warnings
from typing import Any, Optional, Tuple

import cv2
import mmcv
import numpy as np
from mmengine.dist import master_only
from mmseg.registry import VISUALIZERS
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from ..utils.depth_io import colorize_depth_image, get_colormap
from ..utils.naming import sample_file_name


def colorize_depth(depth: np.ndarray, vmin: float, vmax: float,
                   cmap: str = 'magma') -> np.ndarray:
    """Colour-map a depth (or error) map over ``[vmin, vmax]``; near is bright, invalid black.

    The panels' colouring is :func:`~mmdepth_dgr.utils.depth_io.colorize_depth_image` (the
    demo's), with the range given by both ends.

    Args:
        depth (np.ndarray): (H, W) map; values <= 0 or non-finite are invalid.
        vmin (float): Value mapped to the bright end.
        vmax (float): Value mapped to the dark end.
        cmap (str): matplotlib colour map name.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB image.
    """
    # a flat map (e.g. an untrained head predicting one value everywhere) still gets a picture
    return colorize_depth_image(depth, max(float(vmax), float(vmin) + 1e-6), cmap,
                                min_depth=vmin)


def _label(panel: np.ndarray, text: str) -> np.ndarray:
    """A copy of a panel with a small caption in its top-left corner (the input is kept)."""
    panel = np.array(panel, dtype=np.uint8, order='C', copy=True)
    scale = max(panel.shape[0] / 480.0, 0.35)
    cv2.putText(panel, text, (4, int(18 * scale) + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale,
                (255, 255, 255), max(1, int(2 * scale)), cv2.LINE_AA)
    return panel


def _as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB from a uint8 or float (0-255) image, or a grey (H, W) one.

    mmseg's ``browse_dataset.py`` passes the augmented input tensor as a numpy array, which
    is float when a transform made it so; values are clipped to ``[0, 255]``.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.dtype != np.uint8:
        image = np.clip(np.nan_to_num(image.astype(np.float64)), 0, 255).round()
        image = image.astype(np.uint8)
    return image


def depth_panels(image: np.ndarray, pred: Optional[np.ndarray] = None,
                 gt: Optional[np.ndarray] = None, max_depth: Optional[float] = None,
                 cmap: str = 'magma') -> np.ndarray:
    """Side-by-side picture: RGB, GT, prediction and abs-rel error (GT-valid pixels).

    The panels present are the RGB image, then the ground truth (when given), the
    prediction (when given) and, when both are given, the abs-rel error.

    Args:
        image (np.ndarray): (H, W, 3) RGB uint8; resized to the depth maps' size.
        pred (np.ndarray, optional): (H, W) predicted depth (metres).
        gt (np.ndarray, optional): (H, W) ground truth, 0 where unknown.
        max_depth (float, optional): Colour range top; default the 99th
            percentile of GT (or prediction).
        cmap (str): Colour map name.

    Returns:
        np.ndarray: RGB uint8 image of 2 (RGB and one map), or 4 panels side by side.

    Raises:
        ValueError: Neither ``pred`` nor ``gt`` is given, or their shapes differ.
    """
    if pred is None and gt is None:
        raise ValueError('depth_panels needs a prediction or a ground truth (both are None)')
    if pred is not None and gt is not None and pred.shape != gt.shape:
        raise ValueError(f'depth_panels: prediction of shape {pred.shape} and ground truth '
                         f'of shape {gt.shape} differ')
    h, w = (pred if pred is not None else gt).shape
    image = _as_rgb_uint8(image)
    if image.shape[:2] != (h, w):
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
    if gt is not None and np.any(gt > 0):
        ref = gt[gt > 0]
    elif pred is not None:
        ref = pred[np.isfinite(pred)]
    else:  # ground truth without a valid pixel: nothing sets the range
        ref = np.zeros(0)
    vmax = float(max_depth) if max_depth else float(np.percentile(ref, 99)) if ref.size else 1.0
    vmin = float(min(np.min(ref), vmax * 0.99)) if ref.size else 0.0
    panels = [_label(image, 'RGB')]
    sparse = gt is not None and np.mean(gt > 0) < 0.3
    if gt is not None:
        gt_vis = gt
        if sparse:  # sparse LiDAR: dilate points so they can be seen
            gt_vis = cv2.dilate(gt.astype(np.float32), np.ones((3, 3), np.uint8))
        panels.append(_label(colorize_depth(gt_vis, vmin, vmax, cmap), 'GT'))
    if pred is not None:
        panels.append(_label(colorize_depth(pred, vmin, vmax, cmap), 'prediction'))
    if gt is not None and pred is not None:
        err = np.where(gt > 0, np.abs(pred - gt) / np.maximum(gt, 1e-6), 0.0)
        if sparse:
            err = cv2.dilate(err.astype(np.float32), np.ones((3, 3), np.uint8))
        panels.append(_label(colorize_depth(err, 0.0, 0.5, 'inferno'), 'abs rel 0-0.5'))
    return np.concatenate(panels, axis=1)


def _depth_array(field: Any) -> np.ndarray:
    """(H, W) float32 numpy map of a ``PixelData`` holding a (1, H, W) tensor or array.

    Args:
        field (PixelData): ``gt_depth_map`` / ``pred_depth_map`` of a data sample, before
            or after ``SegDataSample.numpy()``.

    Returns:
        np.ndarray: The map.
    """
    data = field.data
    if hasattr(data, 'detach'):
        data = data.detach().float().cpu().numpy()
    data = np.asarray(data, dtype=np.float32)
    return data.reshape(data.shape[-2:])


@VISUALIZERS.register_module()
class DepthLocalVisualizer(SegLocalVisualizer):
    """Visualizer that saves RGB | GT | prediction | error panels for depth samples.

    A :class:`~mmseg.visualization.SegLocalVisualizer`, so that mmseg's tools and APIs
    take it: ``SegVisualizationHook`` (``tools/test.py --show-dir``), ``browse_dataset.py``
    (RGB | GT of the augmented training samples) and ``MMSegInferencer`` (RGB |
    prediction; ``return_vis=True`` returns :meth:`get_image`). The class metadata that
    mmseg sets (``set_dataset_meta``, ``alpha``) is accepted and unused: depth has no
    classes. For KB-cropped samples drawn on the full frame the RGB is cropped the same way.

    Args:
        name (str): Instance name.
        max_depth (float, optional): Top of the colour range; default per image.
        cmap (str): matplotlib colour map of the depth panels (e.g. ``magma``,
            ``turbo``, ``viridis``).
        **kwargs: Passed to :class:`mmseg.visualization.SegLocalVisualizer`
            (``vis_backends``, ``save_dir``, ``image``, ``classes``, ``palette``,
            ``dataset_name``, ``alpha``, ...).

    Raises:
        ValueError: ``cmap`` is not a known colour map.
    """

    def __init__(self, name: str = 'visualizer', max_depth: Optional[float] = None,
                 cmap: str = 'magma', **kwargs) -> None:
        get_colormap(cmap)  # an unknown name fails here, not at the first picture
        super().__init__(name=name, **kwargs)
        self.max_depth = max_depth
        self.cmap = cmap

    @master_only
    def add_datasample(self, name: str, image: np.ndarray,
                       data_sample: Optional[SegDataSample] = None, draw_gt: bool = True,
                       draw_pred: bool = True, show: bool = False, wait_time: float = 0,
                       out_file: Optional[str] = None, step: int = 0, **kwargs) -> None:
        """Draw one sample, keep it as the current image (:meth:`get_image`) and save or show it.

        The picture is RGB | GT | prediction | abs-rel error when both maps are drawn,
        RGB | GT without a prediction (or ``draw_pred=False``) and RGB | prediction without
        ground truth (or ``draw_gt=False``). With neither, nothing is drawn or written and a
        warning names the sample.

        Args:
            name (str): Picture name; mmseg's ``'<mode>_<basename>'`` becomes
                ``'<mode>_<scene>__<frame>'`` when the sample has a path.
            image (np.ndarray): RGB image, either as loaded from disk (the full frame of a
                KB-cropped sample is cropped like the maps) or the model input (uint8 or
                float in 0-255, as ``browse_dataset.py`` passes it).
            data_sample (SegDataSample, optional): With ``pred_depth_map`` and/or
                ``gt_depth_map`` holding tensors or numpy arrays (``.numpy()``).
            draw_gt (bool): Draw the ground-truth panel.
            draw_pred (bool): Draw the prediction panel.
            show (bool): Show in a window.
            wait_time (float): Show delay.
            out_file (str, optional): Write here instead of the vis backends.
            step (int): Global step.
            **kwargs: Ignored (mmseg passes ``with_labels``).
        """
        meta = data_sample.metainfo if data_sample is not None else {}
        pred = gt = None
        if data_sample is not None and draw_pred and 'pred_depth_map' in data_sample:
            pred = _depth_array(data_sample.pred_depth_map)
        if data_sample is not None and draw_gt and 'gt_depth_map' in data_sample:
            gt = _depth_array(data_sample.gt_depth_map)
        if pred is None and gt is None:
            wanted = [key for key, on in (('pred_depth_map', draw_pred),
                                          ('gt_depth_map', draw_gt)) if on]
            if data_sample is None:
                reason = 'no data sample was given'
            elif not wanted:
                reason = 'draw_gt and draw_pred are both False'
            else:
                reason = f'the data sample has no {" or ".join(wanted)}'
            warnings.warn(f'DepthLocalVisualizer: nothing drawn or written for {name!r} '
                          f'(img_path={meta.get("img_path")!r}): {reason}', stacklevel=3)
            return
        if meta.get('img_path'):
            # mmseg's hook names pictures '<mode>_<basename>' with step 0 in tests, so frames
            # with the same basename in different scenes would overwrite each other.
            name = f"{name.split('_', 1)[0]}_{sample_file_name(meta)}"
        image = self._kb_crop_image(image, (pred if pred is not None else gt).shape, meta)
        drawn = depth_panels(image, pred, gt, self.max_depth, self.cmap)
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawn), out_file)
        else:
            self.add_image(name, drawn, step)

    @staticmethod
    def _kb_crop_image(image: np.ndarray, shape: Tuple[int, int], meta: dict) -> np.ndarray:
        """Cut the KB window out of a full-frame image whose maps are KB-cropped.

        Only a full-frame image is cut (``uncropped_shape`` when known, else any image of
        another size than the maps): the model input of a KB-cropped sample, as
        ``browse_dataset.py`` passes it, is already aligned with the maps.

        Args:
            image (np.ndarray): The image given to :meth:`add_datasample`.
            shape (tuple[int, int]): ``(H, W)`` of the depth maps.
            meta (dict): The sample's metainfo (``kb_crop_offset``, ``uncropped_shape``).

        Returns:
            np.ndarray: The image, cropped where needed.
        """
        offset = meta.get('kb_crop_offset')
        if offset is None or tuple(image.shape[:2]) == tuple(shape):
            return image
        full = meta.get('uncropped_shape')
        if full is not None and tuple(image.shape[:2]) != tuple(full):
            return image
        top, left = offset
        return image[top:top + shape[0], left:left + shape[1]]
