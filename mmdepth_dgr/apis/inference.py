"""Build a depth network from a config and predict depth on images (as ``mmseg.apis``).

:func:`init_model` is mmseg's ``init_model`` for the project's networks: offline (no
pretrained weights are downloaded), CPU-safe (SyncBN reverted to BN on the CPU) and with
the project's weights-only, strict checkpoint loading. :func:`inference_model` takes image
files and BGR arrays and returns depth in metres at each input's own size; its pipeline
(:func:`~mmdepth_dgr.apis.utils.build_inference_pipeline`) is built anew from
``model.cfg`` on every call and never written back, so inputs of any kind may follow
each other.

Example:
    >>> model = init_model('configs/.../config.py', 'work_dirs/.../iter_2000.pth', 'cpu')
    >>> depth = inference_model(model, 'demo.png').pred_depth_map.data  # (1, H, W) metres
"""
import copy
import os.path as osp
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from ..engine.cfg_options import check_cfg_options
from ..engine.checkpoint import load_checkpoint_weights
from ..engine.runner import load_config
from ..utils import strip_pretrained
from ..utils.checkpoint import load_weights_only
from .utils import ImageType, build_inference_pipeline, forward_by_size

#: ``model.dataset_meta`` when the checkpoint has none: depth has no classes, but mmseg's
#: ``show_result_pyplot`` reads these keys.
DEFAULT_DATASET_META = dict(classes=None, palette=None)


def _load_config(config: Union[str, Path, Config, ConfigDict, dict],
                 cfg_options: Optional[dict] = None) -> Config:
    """A config of its own, with ``cfg_options`` merged after the tools' key check.

    Args:
        config (str | Path | Config | ConfigDict | dict): Config file or object.
        cfg_options (dict, optional): Dotted key -> value; every key must exist in the
            config (:func:`~mmdepth_dgr.engine.cfg_options.check_cfg_options`, as for the
            tools' ``--cfg-options``).

    Returns:
        Config: A config that may be modified without touching the caller's.

    Raises:
        FileNotFoundError: The config file does not exist.
        ConfigKeyError: A ``cfg_options`` key that the config does not have.
        TypeError: ``config`` is none of the accepted types.
    """
    if isinstance(config, (str, Path)):
        return load_config(str(config), cfg_options)
    if isinstance(config, Config):
        config = copy.deepcopy(config)
    elif isinstance(config, dict):  # ConfigDict too
        config = Config(copy.deepcopy(dict(config)))
    else:
        raise TypeError('config must be a file name (str or Path) or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(check_cfg_options(config, cfg_options,
                                                 config.filename or 'the config'))
    return config


def init_model(config: Union[str, Path, Config, dict],
               checkpoint: Optional[Union[str, Path]] = None,
               device: str = 'cuda:0',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a depth estimator from a config and load its checkpoint for inference.

    As mmseg's ``init_model``: the config (a copy: the caller's is not modified) gets
    ``cfg_options`` merged, every pretrained-weight initialisation is switched off
    anywhere in the model config (``init_cfg`` of type ``Pretrained`` and
    ``pretrained``; :func:`~mmdepth_dgr.utils.strip_pretrained`) so that nothing is
    downloaded, and ``train_cfg`` is set to None; the model is built in the config's
    ``default_scope`` (``'mmseg'`` when unset), which becomes the default scope as with
    mmseg. On the CPU, SyncBN layers are reverted to BN. The checkpoint is loaded
    weights-only (:func:`~mmdepth_dgr.utils.checkpoint.load_weights_only`) and strictly:
    its keys and shapes must be the model's (BatchNorm step counters may be absent).

    Args:
        config (str | Path | Config | dict): Config file or object (a ``dict`` /
            ``ConfigDict`` holds the full config).
        checkpoint (str | Path, optional): Checkpoint file (mmengine's ``state_dict`` +
            ``meta`` layout, or a bare state dict; a DataParallel ``module.`` prefix is
            removed). Without it the weights stay random (a warning is issued).
        device (str): Device, as in mmseg (``'cuda:0'``, ``'cpu'``, ...). Defaults to
            ``'cuda:0'``.
        cfg_options (dict, optional): Options merged into the config
            (``Config.merge_from_dict``).

    Returns:
        nn.Module: The model in eval mode on ``device``, with ``cfg`` (the config it was
        built from) and ``dataset_meta`` (the checkpoint's ``meta['dataset_meta']`` over
        :data:`DEFAULT_DATASET_META`, so ``classes`` and ``palette`` always exist).

    Raises:
        FileNotFoundError: The config or checkpoint file does not exist.
        ConfigKeyError: A ``cfg_options`` key that the config does not have (a typo).
        CheckpointMismatchError: The checkpoint's keys or shapes differ from the model's;
            the message names the file and gives the count and the first names of the
            missing, unexpected and mis-shaped keys.
        UnsafeCheckpointError: The checkpoint holds objects that weights-only loading
            refuses.
    """
    config = _load_config(config, cfg_options)
    if checkpoint is not None and not osp.isfile(str(checkpoint)):
        raise FileNotFoundError(f'checkpoint file not found: {checkpoint}')
    strip_pretrained(config.model)
    if 'pretrained' in config.model:
        config.model.pretrained = None
    config.model.train_cfg = None
    init_default_scope(config.get('default_scope') or 'mmseg')
    model = MODELS.build(config.model)
    if torch.device(device).type == 'cpu':
        model = revert_sync_batchnorm(model)

    dataset_meta = dict(DEFAULT_DATASET_META)
    if checkpoint is None:
        warnings.warn('init_model: no checkpoint given, the model keeps its random weights',
                      UserWarning, stacklevel=2)
    else:
        path = str(checkpoint)
        loaded = load_weights_only(path)
        load_checkpoint_weights(model, loaded, path, strict=True)
        meta = loaded.get('meta') if isinstance(loaded, Mapping) else None
        if isinstance(meta, Mapping) and isinstance(meta.get('dataset_meta'), Mapping):
            dataset_meta.update(meta['dataset_meta'])
    model.dataset_meta = dataset_meta
    model.cfg = config
    model.to(device)
    model.eval()
    return model


def inference_model(model: nn.Module, img: ImageType,
                    flip: bool = False) -> Union[SegDataSample, List[SegDataSample]]:
    """Predict depth on one image or a list of images.

    The inference pipeline is built from ``model.cfg``
    (:func:`~mmdepth_dgr.apis.utils.build_inference_pipeline`: the test pipeline without
    ground-truth loading and evaluation crops, the loader chosen per input); the inputs
    run through ``model.test_step`` without gradients, one batch per input size. mmseg's
    ``DepthEstimator`` removes the data preprocessor's padding and resizes the
    prediction to ``ori_shape``, which the pipeline keeps at the input's size.

    Args:
        model (nn.Module): A model from :func:`init_model` (it needs ``model.cfg``).
        img (str | Path | np.ndarray | list | tuple): An image file, an ``(H, W, 3)`` BGR
            ``uint8`` array, or a list / tuple of them (kinds and sizes may be mixed).
        flip (bool): Flip test-time augmentation, the evaluation convention of AdaBins,
            NeWCRFs and PixelFormer: ``(N(I) + flip(N(flip(I)))) / 2`` (``tools/test.py
            --tta`` evaluates the same way). Defaults to False.

    Returns:
        SegDataSample | list[SegDataSample]: For a list / tuple a list in the same order,
        else one sample. ``pred_depth_map.data`` is a ``(1, H, W)`` float tensor of depth
        in metres at the input image's size (on the model's device).

    Raises:
        AttributeError: The model has no ``cfg``.
        FileNotFoundError: An image file does not exist.
        ValueError: An image file cannot be read, or an array is not ``(H, W, 3)``
            ``uint8``; the message names the file or the shape and dtype.
    """
    cfg = getattr(model, 'cfg', None)
    if cfg is None:
        raise AttributeError('inference_model needs model.cfg (the config the model was '
                             'built from); build the model with init_model')
    is_batch = isinstance(img, (list, tuple))
    images = list(img) if is_batch else [img]
    pipeline = build_inference_pipeline(cfg)
    packed = [pipeline(image) for image in images]
    preds = forward_by_size(model, dict(inputs=[p['inputs'] for p in packed],
                                        data_samples=[p['data_samples'] for p in packed]),
                            flip=flip)
    return preds if is_batch else preds[0]
