"""Depth visualisation: RGB | ground truth | prediction | error panels."""
from typing import Optional, Tuple

import cv2
import mmcv
import numpy as np
from mmengine.dist import master_only
from mmengine.visualization import Visualizer
from mmseg.registry import VISUALIZERS

from ..utils.naming import sample_file_name

_COLORMAPS = {'magma': cv2.COLORMAP_MAGMA, 'turbo': cv2.COLORMAP_TURBO,
              'viridis': cv2.COLORMAP_VIRIDIS, 'inferno': cv2.COLORMAP_INFERNO}


def colorize_depth(depth: np.ndarray, vmin: float, vmax: float, cmap: str = 'magma',
                   invalid_color: Tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """Colour-map a depth (or error) map; near is bright, invalid pixels get ``invalid_color``.

    Args:
        depth (np.ndarray): (H, W) map; values <= 0 or non-finite are invalid.
        vmin (float): Value mapped to the bright end.
        vmax (float): Value mapped to the dark end.
        cmap (str): One of ``magma``, ``turbo``, ``viridis``, ``inferno``.
        invalid_color (tuple): RGB colour of invalid pixels.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB image.
    """
    if cmap not in _COLORMAPS:
        raise ValueError(f'unknown colormap {cmap!r}; choose one of {sorted(_COLORMAPS)}')
    depth = np.asarray(depth, dtype=np.float64)
    valid = np.isfinite(depth) & (depth > 0)
    scale = max(vmax - vmin, 1e-12)
    norm = np.clip((np.where(valid, depth, vmax) - vmin) / scale, 0, 1)
    gray = ((1.0 - norm) * 255).round().astype(np.uint8)
    rgb = cv2.applyColorMap(gray, _COLORMAPS[cmap])[..., ::-1].copy()
    rgb[~valid] = invalid_color
    return rgb


def _label(panel: np.ndarray, text: str) -> np.ndarray:
    """Write a small caption in the top-left corner of a panel."""
    panel = np.ascontiguousarray(panel)
    scale = max(panel.shape[0] / 480.0, 0.35)
    cv2.putText(panel, text, (4, int(18 * scale) + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale,
                (255, 255, 255), max(1, int(2 * scale)), cv2.LINE_AA)
    return panel


def depth_panels(image: np.ndarray, pred: np.ndarray, gt: Optional[np.ndarray] = None,
                 max_depth: Optional[float] = None, cmap: str = 'magma') -> np.ndarray:
    """Side-by-side picture: RGB, GT, prediction and abs-rel error (GT-valid pixels).

    Args:
        image (np.ndarray): (H, W, 3) RGB uint8.
        pred (np.ndarray): (H, W) predicted depth (metres).
        gt (np.ndarray, optional): (H, W) ground truth, 0 where unknown.
        max_depth (float, optional): Colour range top; default the 99th
            percentile of GT (or prediction).
        cmap (str): Colour map name.

    Returns:
        np.ndarray: RGB uint8 image of 3 or 4 panels side by side.
    """
    h, w = pred.shape
    if image.shape[:2] != (h, w):
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
    ref = gt[gt > 0] if gt is not None and np.any(gt > 0) else pred[np.isfinite(pred)]
    vmax = float(max_depth) if max_depth else float(np.percentile(ref, 99)) if ref.size else 1.0
    vmin = float(min(np.min(ref), vmax * 0.99)) if ref.size else 0.0
    panels = [_label(image, 'RGB')]
    if gt is not None:
        gt_vis = gt
        if np.mean(gt > 0) < 0.3:  # sparse LiDAR: dilate points so they can be seen
            gt_vis = cv2.dilate(gt.astype(np.float32), np.ones((3, 3), np.uint8))
        panels.append(_label(colorize_depth(gt_vis, vmin, vmax, cmap), 'GT'))
    panels.append(_label(colorize_depth(pred, vmin, vmax, cmap), 'prediction'))
    if gt is not None:
        err = np.where(gt > 0, np.abs(pred - gt) / np.maximum(gt, 1e-6), 0.0)
        if np.mean(gt > 0) < 0.3:
            err = cv2.dilate(err.astype(np.float32), np.ones((3, 3), np.uint8))
        panels.append(_label(colorize_depth(err, 0.0, 0.5, 'inferno')[:, :, :], 'abs rel 0-0.5'))
    return np.concatenate(panels, axis=1)


@VISUALIZERS.register_module()
class DepthLocalVisualizer(Visualizer):
    """Visualizer that saves RGB | GT | prediction | error panels for depth samples.

    It plugs into mmseg's ``SegVisualizationHook`` (``tools/test.py --show-dir``).
    For KB-cropped samples the RGB is cropped the same way.

    Args:
        name (str): Instance name.
        max_depth (float, optional): Top of the colour range; default per image.
        cmap (str): Colour map of depth panels.
        **kwargs: Passed to :class:`mmengine.visualization.Visualizer`.
    """

    def __init__(self, name: str = 'visualizer', max_depth: Optional[float] = None,
                 cmap: str = 'magma', **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.max_depth = max_depth
        self.cmap = cmap

    @master_only
    def add_datasample(self, name: str, image: np.ndarray, data_sample=None,
                       draw_gt: bool = True, draw_pred: bool = True, show: bool = False,
                       wait_time: float = 0, out_file: Optional[str] = None, step: int = 0,
                       **kwargs) -> None:
        """Draw one sample and save (or show) it.

        Args:
            name (str): Picture name; mmseg's ``'<mode>_<basename>'`` becomes
                ``'<mode>_<scene>__<frame>'`` when the sample has a path.
            image (np.ndarray): RGB image as loaded from disk.
            data_sample (SegDataSample): With ``pred_depth_map`` and maybe ``gt_depth_map``.
            draw_gt (bool): Draw the ground-truth panel.
            draw_pred (bool): Draw the prediction panel.
            show (bool): Show in a window.
            wait_time (float): Show delay.
            out_file (str, optional): Write here instead of the vis backends.
            step (int): Global step.
            **kwargs: Ignored (mmseg passes ``with_labels``).
        """
        if data_sample is None or 'pred_depth_map' not in data_sample or not draw_pred:
            return
        if 'img_path' in data_sample.metainfo:
            # mmseg's hook names pictures '<mode>_<basename>' with step 0 in tests, so frames
            # with the same basename in different scenes would overwrite each other.
            name = f"{name.split('_', 1)[0]}_{sample_file_name(data_sample.metainfo)}"
        offset = data_sample.metainfo.get('kb_crop_offset')
        pred = data_sample.pred_depth_map.data.squeeze().float().cpu().numpy()
        if offset is not None:
            top, left = offset
            image = image[top:top + pred.shape[0], left:left + pred.shape[1]]
        gt = None
        if draw_gt and 'gt_depth_map' in data_sample:
            gt = data_sample.gt_depth_map.data.squeeze().float().cpu().numpy()
        drawn = depth_panels(image, pred, gt, self.max_depth, self.cmap)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawn), out_file)
        else:
            self.add_image(name, drawn, step)
