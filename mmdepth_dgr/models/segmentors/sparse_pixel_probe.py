"""SparsePixelProbe: which pixels a frozen depth network needs (paper Sec. 3.1, Eq. 3-8)."""
import copy
import logging
import os.path as osp
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.runner import load_checkpoint
from mmengine.structures import PixelData
from mmseg.models.segmentors import DepthEstimator
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor

from mmdepth_dgr.utils import strip_pretrained, sync_bn_to_bn

from ..utils import probe_ops

#: Keys of the data preprocessor that must agree between the probe and its target.
_PREPROCESSOR_KEYS = ('mean', 'std', 'bgr_to_rgb', 'rgb_to_bgr', 'pad_val')


def load_target_model_config(target: Union[str, dict]) -> ConfigDict:
    """The model config of the frozen target network N.

    Pretrained-weight ``init_cfg`` entries are switched off (N's weights come
    from its trained checkpoint, never from ImageNet) and SyncBN becomes BN (N
    always runs in eval mode, where both compute the same).

    Args:
        target (str | dict): A config file whose ``model`` is N, or N's model
            config itself.

    Returns:
        ConfigDict: A copy of the model config.

    Raises:
        FileNotFoundError: ``target`` is a path that does not exist.
        TypeError: ``target`` is neither a path nor a dict.
    """
    if isinstance(target, str):
        if not osp.isfile(target):
            raise FileNotFoundError(f'SparsePixelProbe: target config not found: {target}')
        model_cfg = Config.fromfile(target).model
    elif isinstance(target, dict):
        model_cfg = target
    else:
        raise TypeError(f'SparsePixelProbe: target must be a config path or a model dict, got '
                        f'{type(target).__name__}')
    model_cfg = ConfigDict(copy.deepcopy(dict(model_cfg)))
    return sync_bn_to_bn(strip_pretrained(model_cfg))


def _resolve_preprocessor(probe_cfg: Optional[dict], target_cfg: Optional[dict]) -> dict:
    """The probe's data preprocessor: N's unless given; both must normalise alike."""
    if probe_cfg is None:
        if target_cfg is None:
            raise ValueError('SparsePixelProbe: neither the probe nor its target config has a '
                             'data_preprocessor')
        return copy.deepcopy(dict(target_cfg))
    if target_cfg is not None:
        for key in _PREPROCESSOR_KEYS:
            mine, theirs = probe_cfg.get(key), target_cfg.get(key)
            if mine is not None and theirs is not None and list(
                    mine if isinstance(mine, (list, tuple)) else [mine]) != list(
                        theirs if isinstance(theirs, (list, tuple)) else [theirs]):
                raise ValueError(f'SparsePixelProbe: data_preprocessor.{key} = {mine!r} differs '
                                 f'from the target network\'s {theirs!r}; N must see images '
                                 'normalised as in its training')
    return probe_cfg


@MODELS.register_module()
class SparsePixelProbe(BaseModel):
    """Mask network G in front of a frozen depth network N (Hu et al.'s probe, Eq. 6).

    Training minimises Eq. 6,

    ``L = L_dif(N(I), N(I * G(I))) + lambda * (1/n) ||G(I)||_1``,

    where ``L_dif`` is the Hu et al. loss of Eq. 22 (``loss_dif``) between the
    full-image prediction (the target, without gradient) and the prediction
    from the masked image (M of :meth:`train_mask`), ``n`` the number of image pixels (padding
    excluded) and ``G(I)`` in (0, 1) (sigmoid). Only G learns: N's parameters
    have ``requires_grad=False`` and N stays in eval mode even when the probe
    is in train mode, so its BN statistics never change.

    The mask multiplies the image *after* the data preprocessor's
    normalisation (a removed pixel becomes the mean colour, 0, like padding);
    see :mod:`mmdepth_dgr.models.utils.probe_ops`. ``predict`` binarises G(I)
    (Eq. 7-8) with ``test_cfg.threshold`` unless ``test_cfg.binarize=False``.

    **The training mask** (``train_cfg.mask_sampling``). ``'bernoulli'`` (the
    default) feeds N a 0/1 mask drawn with keep probability G(I), with a
    straight-through gradient (:func:`~mmdepth_dgr.models.utils.sample_binary_mask`):
    the L1 term of Eq. 6 is its expectation and N only sees binary masks, as at
    evaluation. ``'soft'`` feeds ``I * G(I)`` itself (Hu et al.'s probe as
    written). Soft masks fail on networks whose first layer normalises its
    input (a patch embedding followed by LayerNorm, as in SegFormer): ``N(c * I)``
    is close to ``N(I)``, so G lowers the L1 term by dimming the whole image at
    almost no L_dif cost and the binarised mask keeps all pixels or none. The
    probe job's SegFormer (MiT-b0) shows it in its Table 1 (the ``dimmed x0.3``
    row), and the planted validation has a known-answer case (a scale-invariant
    planted network: the soft probe removes everything, the sampled one finds
    the support; ``tests/test_analysis/test_probe/test_validation.py``).

    Padding added by the data preprocessor counts neither in ``L_dif`` nor in
    ``n``; G's output there is therefore unconstrained, so train on crops that
    need no padding (multiples of ``size_divisor``, like NYU's 416x544).

    N runs as whole-image inference on the (padded) batch through its own
    ``encode_decode`` (backbone, optional neck, head, resizing to the input
    and clamping to the head's depth range), exactly as its ``predict`` in
    ``'whole'`` mode.

    Args:
        target (str | dict): N: a config file whose ``model`` is a
            ``DepthEstimator``, or its model config.
        target_checkpoint (str, optional): N's trained weights (an mmengine
            checkpoint of ``target``). None keeps N randomly initialised (a
            warning is logged): right only when a probe checkpoint, which holds
            N too, is loaded next (``tools/test.py``), or in tests.
        mask_net (dict): Config of G. Defaults to ``MaskNet``.
        lambda_sparsity (float): ``lambda`` of Eq. 6 (>= 0). Defaults to 1.0.
        loss_dif (dict): Config of ``L_dif``. Defaults to ``HuDepthLoss``
            named ``loss_dif``.
        data_preprocessor (dict, optional): Defaults to N's data preprocessor;
            if given, its normalisation must equal N's.
        train_cfg (dict, optional): ``mask_sampling``: ``'bernoulli'`` (default)
            or ``'soft'`` (see above).
        test_cfg (dict, optional): ``binarize`` (bool, default True),
            ``threshold`` (float in (0, 1), default 0.5) and
            ``with_full_prediction`` (bool, default True: also return N(I) as
            ``pred_full_depth_map``).
        init_cfg (dict, optional): Unused by G's initialisation (G has its
            own ``init_cfg``).

    Outputs of ``predict`` (per ``SegDataSample``, at the original image size):
        ``pred_depth_map`` N(I * M), ``pred_mask`` M (binary unless
        ``binarize=False``), ``pred_soft_mask`` G(I) and, by default,
        ``pred_full_depth_map`` N(I).
    """

    def __init__(self,
                 target: Union[str, dict],
                 target_checkpoint: Optional[str] = None,
                 mask_net: dict = dict(type='MaskNet'),
                 lambda_sparsity: float = 1.0,
                 loss_dif: dict = dict(type='HuDepthLoss', loss_name='loss_dif'),
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        target_cfg = load_target_model_config(target)
        super().__init__(
            data_preprocessor=_resolve_preprocessor(data_preprocessor,
                                                    target_cfg.get('data_preprocessor')),
            init_cfg=init_cfg)
        if float(lambda_sparsity) < 0:
            raise ValueError(f'SparsePixelProbe: lambda_sparsity must be >= 0, got '
                             f'{lambda_sparsity}')
        self.lambda_sparsity = float(lambda_sparsity)
        train_cfg = dict(train_cfg or {})
        unknown = set(train_cfg) - {'mask_sampling'}
        if unknown:
            raise KeyError(f'SparsePixelProbe: unknown train_cfg keys {sorted(unknown)}')
        self.mask_sampling = probe_ops.check_mask_sampling(
            train_cfg.get('mask_sampling', 'bernoulli'))
        self.train_cfg = train_cfg
        test_cfg = dict(test_cfg or {})
        unknown = set(test_cfg) - {'binarize', 'threshold', 'with_full_prediction'}
        if unknown:
            raise KeyError(f'SparsePixelProbe: unknown test_cfg keys {sorted(unknown)}')
        self.binarize = bool(test_cfg.get('binarize', True))
        self.threshold = probe_ops.check_threshold(
            test_cfg.get('threshold', probe_ops.DEFAULT_MASK_THRESHOLD))
        self.with_full_prediction = bool(test_cfg.get('with_full_prediction', True))
        self.test_cfg = test_cfg

        self.mask_net = MODELS.build(mask_net)
        self.loss_dif = MODELS.build(loss_dif)
        self.target = MODELS.build(target_cfg)
        if not isinstance(self.target, DepthEstimator):
            raise TypeError(f'SparsePixelProbe: the target must be a DepthEstimator, got '
                            f'{type(self.target).__name__}')
        mode = (self.target.test_cfg or {}).get('mode', 'whole')
        if mode != 'whole':
            raise ValueError(f'SparsePixelProbe: the target runs whole-image inference; its '
                             f'test_cfg.mode is {mode!r}')
        self.target_checkpoint = target_checkpoint
        if target_checkpoint is None:
            self.target.init_weights()
            print_log('SparsePixelProbe: no target_checkpoint, the target network starts from '
                      'random weights (right only when a probe checkpoint is loaded next, as in '
                      'tools/test.py, or in tests)', logger='current', level=logging.WARNING)
        else:
            if not osp.isfile(target_checkpoint):
                raise FileNotFoundError(f'SparsePixelProbe: target_checkpoint not found: '
                                        f'{target_checkpoint}')
            load_checkpoint(self.target, target_checkpoint, map_location='cpu', strict=True,
                            logger='current')
        self.target.requires_grad_(False)
        self.target.eval()

    # ------------------------------------------------------------------ set-up

    def init_weights(self) -> None:
        """Initialise G only: N keeps the weights loaded from ``target_checkpoint``."""
        self.mask_net.init_weights()
        self._is_init = True

    def train(self, mode: bool = True) -> 'SparsePixelProbe':
        """Set G's mode; N always stays in eval mode (frozen BN statistics, no dropout).

        Args:
            mode (bool): Train (True) or eval (False) mode for G.

        Returns:
            SparsePixelProbe: self.
        """
        super().train(mode)
        self.target.eval()
        return self

    # ------------------------------------------------------------ building blocks

    def soft_mask(self, inputs: Tensor) -> Tensor:
        """``G(I)`` for normalised inputs.

        Args:
            inputs (Tensor): ``(B, C, H, W)`` normalised images.

        Returns:
            Tensor: ``(B, 1, H, W)`` soft mask in (0, 1).
        """
        mask = self.mask_net(inputs)
        if mask.shape[0] != inputs.shape[0] or mask.shape[1] != 1 or \
                mask.shape[2:] != inputs.shape[2:]:
            raise ValueError(f'mask network output {tuple(mask.shape)} must be (B, 1, H, W) at '
                             f'the input size {tuple(inputs.shape[2:])}')
        return mask

    def target_depth(self, inputs: Tensor) -> Tensor:
        """N's whole-image depth prediction at the input size.

        Args:
            inputs (Tensor): ``(B, C, H, W)`` normalised (possibly masked) images.

        Returns:
            Tensor: ``(B, 1, H, W)`` depth in metres (clamped to N's head range).
        """
        hw = tuple(int(v) for v in inputs.shape[2:])
        metas = [dict(img_shape=hw, pad_shape=hw, ori_shape=hw, padding_size=[0, 0, 0, 0])
                 for _ in range(inputs.shape[0])]
        return self.target.encode_decode(inputs, metas)

    def eval_mask(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """The mask used at evaluation: binarised ``G(I)`` (unless ``binarize=False``).

        Args:
            inputs (Tensor): ``(B, C, H, W)`` normalised images.

        Returns:
            tuple[Tensor, Tensor]: The evaluation mask and the soft mask.
        """
        soft = self.soft_mask(inputs)
        return (probe_ops.binarize_mask(soft, self.threshold) if self.binarize else soft), soft

    @staticmethod
    def _region(inputs: Tensor, data_samples: Optional[list]) -> Tensor:
        """Image pixels of the batch (False on the padding)."""
        pads = None
        if data_samples is not None:
            pads = [s.metainfo.get('img_padding_size', s.metainfo.get('padding_size'))
                    for s in data_samples]
        return probe_ops.image_region_mask(inputs.shape, pads, device=inputs.device)

    # ---------------------------------------------------------------- modes

    @torch.no_grad()
    def removal_gap(self, inputs: Tensor, data_samples: Optional[list] = None) -> float:
        """``L_dif(N(I), N(I * 0)) - L_dif(N(I), N(I))``: the range of Eq. 6's first term.

        Removing every pixel costs the whole gap; the L1 term lies in ``[0, lambda]``, so
        ``lambda / gap`` is a scale-free strength of the sparsity pressure.

        Args:
            inputs (Tensor): ``(B, C, H, W)`` normalised images.
            data_samples (list[SegDataSample], optional): For the padding sizes.

        Returns:
            float: The gap over the batch (> 0 for a network that uses the image).
        """
        region = self._region(inputs, data_samples)
        full = self.target_depth(inputs)
        empty = self.target_depth(probe_ops.apply_mask(inputs, torch.zeros_like(inputs[:, :1])))
        return float(self.loss_dif(empty, full, valid_mask=region)
                     - self.loss_dif(full, full, valid_mask=region))

    def train_mask(self, soft: Tensor) -> Tensor:
        """The mask N sees in training: a Bernoulli draw of ``soft`` or ``soft`` itself.

        Args:
            soft (Tensor): G(I), ``(B, 1, H, W)``.

        Returns:
            Tensor: The mask multiplying the normalised image in Eq. 6.
        """
        if self.mask_sampling == 'bernoulli':
            return probe_ops.sample_binary_mask(soft)
        return soft

    def loss(self, inputs: Tensor, data_samples: Optional[list] = None) -> Dict[str, Tensor]:
        """Eq. 6 on a batch (N fed the mask of :meth:`train_mask`).

        Args:
            inputs (Tensor): ``(B, C, H, W)`` normalised images.
            data_samples (list[SegDataSample], optional): For the padding sizes;
                ground truth is not used.

        Returns:
            dict[str, Tensor]: ``loss_dif`` (or the name of ``loss_dif``),
            ``loss_sparsity`` (``lambda * mean(G)``, the expected L1 of a sampled
            mask), and logged-only
            ``mask_mean`` (``mean(G)``) and ``sparsity`` (kept fraction of the
            binarised mask).
        """
        region = self._region(inputs, data_samples)
        with torch.no_grad():
            full = self.target_depth(inputs)
        soft = self.soft_mask(inputs)
        masked = self.target_depth(probe_ops.apply_mask(inputs, self.train_mask(soft)))
        l1 = probe_ops.mask_l1(soft, region)
        losses = {
            self.loss_dif.loss_name: self.loss_dif(masked, full.detach(), valid_mask=region),
            'loss_sparsity': self.lambda_sparsity * l1.mean(),
            'mask_mean': l1.mean().detach(),
            'sparsity': probe_ops.mask_sparsity(soft.detach(), self.threshold, region).mean(),
        }
        return losses

    def predict(self, inputs: Tensor, data_samples: Optional[list] = None) -> List[SegDataSample]:
        """Depth from the sparse image ``N(I * M)`` and the mask (Eq. 3-4, 7-8).

        Args:
            inputs (Tensor): ``(B, C, H, W)`` normalised images.
            data_samples (list[SegDataSample], optional): Samples with metainfo.

        Returns:
            list[SegDataSample]: With ``pred_depth_map``, ``pred_mask``,
            ``pred_soft_mask`` and (by default) ``pred_full_depth_map``, at the
            original image size.
        """
        mask, soft = self.eval_mask(inputs)
        depth = self.target_depth(probe_ops.apply_mask(inputs, mask))
        full = self.target_depth(inputs) if self.with_full_prediction else None
        if data_samples is None:
            hw = tuple(inputs.shape[2:])
            data_samples = [SegDataSample(metainfo=dict(ori_shape=hw, img_shape=hw))
                            for _ in range(inputs.shape[0])]
        align = bool(self.target.align_corners)
        restore = probe_ops.restore_map
        mask_mode = 'nearest' if self.binarize else 'bilinear'
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            fields = dict(pred_depth_map=restore(depth[i], meta, 'bilinear', align),
                          pred_mask=restore(mask[i], meta, mask_mode, align),
                          pred_soft_mask=restore(soft[i], meta, 'bilinear', align))
            if full is not None:
                fields['pred_full_depth_map'] = restore(full[i], meta, 'bilinear', align)
            sample.set_data({k: PixelData(data=v) for k, v in fields.items()})
        return data_samples

    def forward(self, inputs: Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], list, Tuple[Tensor, Tensor]]:
        """mmengine's entry point.

        Args:
            inputs (Tensor): ``(B, C, H, W)`` normalised images.
            data_samples (list[SegDataSample], optional): Samples.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'`` (returns
                ``(N(I * M), M)`` at the input size, M as in ``predict``).

        Returns:
            dict | list | tuple: Losses, samples or tensors.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            mask, _ = self.eval_mask(inputs)
            return self.target_depth(probe_ops.apply_mask(inputs, mask)), mask
        raise RuntimeError(f'SparsePixelProbe: invalid mode {mode!r}; use loss, predict or '
                           'tensor')
