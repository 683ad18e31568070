"""DepthBaseHead: the shared part of every depth decode head of the project."""
import inspect
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.builder import build_loss
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.utils import ConfigType, SampleList
from torch import Tensor


def depth_activation(x: Tensor, kind: str, min_depth: float, max_depth: float) -> Tensor:
    """Map raw head outputs to metric depth.

    Args:
        x (Tensor): Raw output.
        kind (str): ``'sigmoid'`` (``sigmoid(x) * max_depth``, NeWCRFs/VPD style),
            ``'relu'`` (``relu(x) + min_depth``, BTS/DPT style), ``'softplus'``
            (``softplus(x) + min_depth``), ``'exp'`` (``exp(x)``) or ``'identity'``.
        min_depth (float): Smallest depth in metres.
        max_depth (float): Largest depth in metres.

    Returns:
        Tensor: Depth in metres.
    """
    if kind == 'sigmoid':
        return torch.sigmoid(x) * max_depth
    if kind == 'relu':
        return F.relu(x) + min_depth
    if kind == 'softplus':
        return F.softplus(x) + min_depth
    if kind == 'exp':
        return torch.exp(x)
    if kind == 'identity':
        return x
    raise ValueError(f'unknown depth activation {kind!r}')


DEPTH_ACTIVATIONS = ('sigmoid', 'relu', 'softplus', 'exp', 'identity')


def _accepts_valid_mask(loss: nn.Module) -> bool:
    """Whether ``loss.forward`` takes a ``valid_mask`` keyword (this project's losses do)."""
    return 'valid_mask' in inspect.signature(loss.forward).parameters


class DepthBaseHead(BaseDecodeHead):
    """Base class of depth decode heads, for mmseg's ``DepthEstimator``.

    Subclasses implement :meth:`forward` returning depth in metres (use
    :meth:`depth_pred` on the last features). The head computes every loss of
    ``loss_decode`` on the pixels where the ground truth is valid
    (``min_depth < gt <= max_depth`` and finite), after resizing the prediction
    to the ground truth. Losses whose ``forward`` accepts ``valid_mask`` (this
    project's) receive the mask; others (e.g. mmseg's ``SiLogLoss``) receive a
    target with invalid pixels set to 0, which they treat as missing.

    Args:
        in_channels (int | Sequence[int]): Input channels per used level.
        channels (int): Channels of the last feature map before the depth conv.
        min_depth (float): Smallest depth (metres). Defaults to 1e-3.
        max_depth (float): Largest depth (metres). Defaults to 10.
        depth_act (str): Output activation, one of :data:`DEPTH_ACTIVATIONS`.
        loss_decode (dict | Sequence[dict]): Loss config(s).
        in_index (int | Sequence[int]): Backbone levels used.
        input_transform (str, optional): ``'multiple_select'``,
            ``'resize_concat'`` or None, as in mmseg's heads.
        align_corners (bool): For resizing. Defaults to False.
        depth_channels (int, optional): Input channels of the depth conv when
            they differ from ``channels``.
        init_cfg (dict, optional): Initialisation config.
    """

    num_classes = 1
    out_channels = 1
    threshold = None

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 channels: int,
                 min_depth: float = 1e-3,
                 max_depth: float = 10.0,
                 depth_act: str = 'sigmoid',
                 loss_decode: Union[ConfigType, Sequence[ConfigType]] = dict(
                     type='ScaleInvariantLoss'),
                 in_index: Union[int, Sequence[int]] = -1,
                 input_transform: Optional[str] = None,
                 align_corners: bool = False,
                 depth_channels: Optional[int] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Normal', std=0.01, override=dict(name='conv_depth'))) -> None:
        # BaseDecodeHead.__init__ builds a classification conv and a sampler
        # that a depth head has no use for, so only its BaseModule part runs.
        super(BaseDecodeHead, self).__init__(init_cfg=init_cfg)
        if depth_act not in DEPTH_ACTIVATIONS:
            raise ValueError(f'{type(self).__name__}: depth_act must be one of '
                             f'{DEPTH_ACTIVATIONS}, got {depth_act!r}')
        if not 0 <= min_depth < max_depth:
            raise ValueError(f'{type(self).__name__}: need 0 <= min_depth < max_depth, got '
                             f'{min_depth} and {max_depth}')
        self.in_channels = in_channels
        self.channels = channels
        self.min_depth = float(min_depth)
        self.max_depth = float(max_depth)
        self.depth_act = depth_act
        self.in_index = in_index
        self.input_transform = input_transform
        self.align_corners = align_corners
        self.ignore_index = 255
        self.conv_depth = nn.Conv2d(depth_channels or channels, 1, kernel_size=3, padding=1)
        configs = [loss_decode] if isinstance(loss_decode, dict) else list(loss_decode)
        if not configs:
            raise ValueError(f'{type(self).__name__}: loss_decode is empty')
        self.loss_decode = nn.ModuleList(build_loss(cfg) for cfg in configs)
        self._takes_mask = [_accepts_valid_mask(loss) for loss in self.loss_decode]

    def depth_pred(self, feat: Tensor) -> Tensor:
        """Depth from the last feature map: ``conv_depth`` then the activation.

        Args:
            feat (Tensor): (B, channels, H, W) features.

        Returns:
            Tensor: (B, 1, H, W) depth in metres.
        """
        return depth_activation(self.conv_depth(feat), self.depth_act, self.min_depth,
                                self.max_depth)

    def _stack_batch_gt(self, batch_data_samples: SampleList) -> Tensor:
        """Stack ``gt_depth_map`` of the samples into (B, 1, H, W)."""
        return torch.stack([s.gt_depth_map.data for s in batch_data_samples], dim=0)

    def valid_mask(self, gt: Tensor) -> Tensor:
        """Pixels whose ground truth takes part in the loss.

        Args:
            gt (Tensor): Ground-truth depth, 0 where unknown.

        Returns:
            Tensor: bool mask ``min_depth < gt <= max_depth`` (NaN and inf excluded).
        """
        return (gt > self.min_depth) & (gt <= self.max_depth) & torch.isfinite(gt)

    def loss_by_feat(self, pred_depth: Tensor, batch_data_samples: SampleList) -> Dict[str,
                                                                                      Tensor]:
        """Compute the losses of ``loss_decode`` on valid pixels.

        Args:
            pred_depth (Tensor): (B, 1, h, w) head output in metres.
            batch_data_samples (list[SegDataSample]): Samples with ``gt_depth_map``.

        Returns:
            dict[str, Tensor]: Loss per ``loss_name`` (same names are summed).
        """
        gt = self._stack_batch_gt(batch_data_samples).to(pred_depth.dtype)
        pred = resize(pred_depth, size=gt.shape[2:], mode='bilinear',
                      align_corners=self.align_corners, warning=False)
        mask = self.valid_mask(gt)
        gt_zeroed = torch.where(mask, gt, torch.zeros_like(gt))
        losses: Dict[str, Tensor] = {}
        for loss_fn, takes_mask in zip(self.loss_decode, self._takes_mask, strict=True):
            value = loss_fn(pred, gt_zeroed, valid_mask=mask) if takes_mask else loss_fn(
                pred, gt_zeroed)
            name = loss_fn.loss_name
            losses[name] = losses[name] + value if name in losses else value
        return losses

    def predict_by_feat(self, pred_depth: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Resize the prediction to the (padded) input size and clamp it to the depth range.

        Args:
            pred_depth (Tensor): (B, 1, h, w) head output.
            batch_img_metas (list[dict]): Image metas (``img_shape``/``pad_shape``).

        Returns:
            Tensor: (B, 1, H, W) depth in ``[min_depth, max_depth]``.
        """
        depth = super().predict_by_feat(pred_depth, batch_img_metas)
        return depth.clamp(self.min_depth, self.max_depth)

    def _transform_inputs(self, inputs: Union[Tuple[Tensor], List[Tensor]]):
        """Select the levels of ``in_index`` (see mmseg's ``BaseDecodeHead``)."""
        if self.input_transform is None and isinstance(self.in_index, (list, tuple)):
            return [inputs[i] for i in self.in_index]
        return super()._transform_inputs(inputs)
