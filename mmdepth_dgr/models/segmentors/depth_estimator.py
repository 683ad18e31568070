"""SlidingDepthEstimator: mmseg's ``DepthEstimator`` whose ``test_cfg.mode='slide'`` slides.

mmseg 1.2.2's ``DepthEstimator.inference`` reads::

    if self.test_cfg.mode == 'slide':
        depth_map = self.slide_inference(inputs, batch_img_metas)
    if self.test_cfg.mode == 'slide_flip':
        depth_map = self.slide_flip_inference(inputs, batch_img_metas)
    else:
        depth_map = self.whole_inference(inputs, batch_img_metas)

The second ``if`` should be an ``elif``: with ``mode='slide'`` the sliding-window result is
computed, then overwritten by the ``else`` branch's whole-image inference, which is what the
model returns (no warning, at the cost of both). ``'whole'`` and ``'slide_flip'`` are not
affected.
"""
import logging
from typing import List, Tuple

import torch.nn.functional as F
from mmengine.logging import print_log
from mmseg.models.segmentors import DepthEstimator
from mmseg.registry import MODELS
from torch import Tensor

from .depth_tta import flip_average

#: ``test_cfg.mode`` values of :class:`SlidingDepthEstimator` (mmseg's DepthEstimator's).
TEST_MODES = ('whole', 'slide', 'slide_flip')


def slide_windows(height: int, width: int, crop_size: Tuple[int, int],
                  stride: Tuple[int, int]) -> List[Tuple[int, int, int, int]]:
    """The windows of sliding-window inference over an ``height x width`` input, mmseg's grid.

    Window ``(i, j)`` starts at ``(i * stride_h, j * stride_w)``; a window that would end past
    the input is shifted back to end at its border (and clipped to the input when the crop is
    larger than it), so the last row/column of windows is flush with the bottom/right edge.
    Rows first, as mmseg's ``EncoderDecoder.slide_inference`` visits them.

    Args:
        height (int): Input height.
        width (int): Input width.
        crop_size (tuple[int, int]): Window ``(h, w)``.
        stride (tuple[int, int]): Step ``(h, w)``; at most the window size, so that the
            windows cover every pixel.

    Returns:
        list[tuple[int, int, int, int]]: ``(y1, y2, x1, x2)`` of each window (exclusive ends).

    Raises:
        ValueError: A non-positive size, or a stride larger than the window (gaps).
    """
    (h_crop, w_crop), (h_stride, w_stride) = crop_size, stride
    if min(h_crop, w_crop, h_stride, w_stride, height, width) <= 0:
        raise ValueError(f'slide_windows: sizes must be positive, got input {(height, width)}, '
                         f'crop_size {tuple(crop_size)}, stride {tuple(stride)}')
    if h_stride > h_crop or w_stride > w_crop:
        raise ValueError(f'slide_windows: stride {tuple(stride)} larger than crop_size '
                         f'{tuple(crop_size)} leaves pixels without a window')
    h_grids = max(height - h_crop + h_stride - 1, 0) // h_stride + 1
    w_grids = max(width - w_crop + w_stride - 1, 0) // w_stride + 1
    windows = []
    for h_idx in range(h_grids):
        for w_idx in range(w_grids):
            y2 = min(h_idx * h_stride + h_crop, height)
            x2 = min(w_idx * w_stride + w_crop, width)
            windows.append((max(y2 - h_crop, 0), y2, max(x2 - w_crop, 0), x2))
    return windows


# A subclass under a new name: mmseg 1.2.2's DepthEstimator returns whole-image inference for
# test_cfg.mode='slide' (module docstring), and re-registering 'DepthEstimator' would replace
# mmseg's class in its registry for every user.
@MODELS.register_module()
class SlidingDepthEstimator(DepthEstimator):
    """mmseg's ``DepthEstimator`` with working sliding-window inference (``mode='slide'``).

    A strict superset: ``test_cfg.mode='whole'`` runs mmseg's code unchanged (identical
    results), ``'slide_flip'`` gives mmseg's results; ``'slide'`` now returns what mmseg's
    ``slide_inference`` computes: the input (padded batch) is cut into ``crop_size`` windows
    every ``stride`` pixels (:func:`slide_windows`), each window is predicted on its own
    (the head resizes its depth to the window), and every pixel gets the mean depth of the
    windows covering it. Unlike mmseg's loop, the image metas are not modified (each window
    gets copies whose ``img_shape`` is the window) and the number of output channels is the
    head's output (1 for depth), not ``decode_head.out_channels``.

    Test config (``test_cfg``):

    - ``mode``: ``'whole'`` (default), ``'slide'`` or ``'slide_flip'`` (each window also
      averaged with its horizontal flip, :func:`~.depth_tta.flip_average`).
    - ``crop_size``, ``stride``: ``(h, w)`` of the windows and their step (slide modes).

    Args:
        **kwargs: Those of mmseg's ``DepthEstimator`` (``backbone``, ``decode_head``,
            ``neck``, ``auxiliary_head``, ``train_cfg``, ``test_cfg``,
            ``data_preprocessor``, ``pretrained``, ``init_cfg``).
    """

    def inference(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Whole-image or sliding-window inference, as ``test_cfg.mode`` says.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` normalised (and padded) images.
            batch_img_metas (list[dict]): Their metainfo (``ori_shape``, ``img_shape``,
                ``pad_shape``, ...).

        Returns:
            Tensor: ``(N, 1, H, W)`` depth at the input size.

        Raises:
            ValueError: An unknown ``test_cfg.mode``, or a slide mode without valid
                ``crop_size``/``stride``.
        """
        test_cfg = self.test_cfg or {}
        mode = test_cfg.get('mode', 'whole')
        if mode not in TEST_MODES:
            raise ValueError(f'{type(self).__name__}: test_cfg.mode must be one of '
                             f'{TEST_MODES}, got {mode!r}')
        ori_shape = batch_img_metas[0]['ori_shape']
        if not all(meta['ori_shape'] == ori_shape for meta in batch_img_metas):
            print_log('Image shapes are different in the batch.', logger='current',
                      level=logging.WARN)
        if mode == 'slide':
            return self.slide_inference(inputs, batch_img_metas)
        if mode == 'slide_flip':
            return self.slide_flip_inference(inputs, batch_img_metas)
        return self.whole_inference(inputs, batch_img_metas)

    def slide_inference(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Sliding-window inference: overlapping windows' depths averaged per pixel.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images.
            batch_img_metas (list[dict]): Their metainfo (not modified).

        Returns:
            Tensor: ``(N, C, H, W)`` depth (``C = 1``).
        """
        return self._slide(inputs, batch_img_metas, flip=False)

    def slide_flip_inference(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Sliding-window inference, each window averaged with its horizontal flip.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images.
            batch_img_metas (list[dict]): Their metainfo (not modified).

        Returns:
            Tensor: ``(N, C, H, W)`` depth (``C = 1``).
        """
        return self._slide(inputs, batch_img_metas, flip=True)

    def _slide(self, inputs: Tensor, batch_img_metas: List[dict], flip: bool) -> Tensor:
        """The window loop of :meth:`slide_inference` / :meth:`slide_flip_inference`."""
        crop_size, stride = self._slide_cfg()
        batch_size, _, height, width = inputs.shape
        preds = None
        count = inputs.new_zeros((batch_size, 1, height, width))
        for y1, y2, x1, x2 in slide_windows(height, width, crop_size, stride):
            crop = inputs[:, :, y1:y2, x1:x2]
            # a torch.Size img_shape makes the head resize its output to the window
            metas = [dict(meta, img_shape=crop.shape[2:]) for meta in batch_img_metas]
            depth = self.encode_decode(crop, metas)
            if flip:
                flipped = self.encode_decode(crop.flip(dims=(3, )), metas)
                depth = flip_average([depth, flipped], [False, True])
            if preds is None:
                preds = inputs.new_zeros((batch_size, depth.shape[1], height, width))
            preds += F.pad(depth, (x1, width - x2, y1, height - y2))
            count[:, :, y1:y2, x1:x2] += 1
        return preds / count

    def _slide_cfg(self) -> Tuple[Tuple[int, int], Tuple[int, int]]:
        """``crop_size`` and ``stride`` of ``test_cfg`` as ``(h, w)`` int pairs.

        Raises:
            ValueError: One of them is missing or not a pair.
        """
        test_cfg = self.test_cfg or {}
        pairs = []
        for key in ('crop_size', 'stride'):
            value = test_cfg.get(key)
            if value is None or len(value) != 2:
                raise ValueError(f"{type(self).__name__}: test_cfg.mode={test_cfg.get('mode')!r} "
                                 f'needs test_cfg.{key} = (h, w), got {value!r}')
            pairs.append((int(value[0]), int(value[1])))
        return pairs[0], pairs[1]


__all__ = ['SlidingDepthEstimator', 'TEST_MODES', 'slide_windows']
