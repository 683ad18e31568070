"""The inference pipeline and batched forward shared by :func:`inference_model` and
:class:`DepthInferencer` (as ``mmseg.apis.utils``).

:func:`build_inference_pipeline` is the one place that turns a config's test pipeline into an
inference pipeline: the ground-truth loaders and the evaluation crops are left out
(:data:`NON_INFERENCE_TRANSFORMS`), the image loader is chosen per input (a path is read with
``LoadImageFromFile``, an array taken with ``LoadImageFromNDArray``, both with the config
loader's arguments) and the config is never written to. Prediction therefore always covers
the whole input image: for the KITTI configs the KB crop (352x1216 window of the benchmark)
is not applied, the network sees the full frame, and a 375x1242 frame gives a 375x1242 depth
map. :func:`forward_by_size` runs ``model.test_step`` once per input size, since mmseg's
data preprocessor refuses a batch of images of different sizes at test time.
"""
import copy
import os.path as osp
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmseg.registry import TRANSFORMS
from mmseg.structures import SegDataSample

from ..models.segmentors.depth_tta import flip_average

#: One inference input: an image file (``str`` or :class:`~pathlib.Path`) or an ``(H, W, 3)``
#: BGR ``uint8`` array (OpenCV / mmcv order).
ImageInput = Union[str, Path, np.ndarray]
#: One input or a list / tuple of them (kinds may be mixed).
ImageType = Union[ImageInput, Sequence[ImageInput]]

#: Ground-truth loaders, left out of the inference pipeline (there is no ground truth).
GT_LOADING_TRANSFORMS: Tuple[str, ...] = ('LoadAnnotations', 'LoadDepthAnnotation',
                                          'LoadDepthMap', 'LoadDepthEdgeMap',
                                          'LoadIBimsAnnotations')
#: Crops that cut the image to an evaluation window: ``KBCrop`` (KITTI benchmark window, which
#: also sets ``ori_shape`` to the window) and ``NYUBorderCrop`` (NYU white border, which would
#: leave ``ori_shape`` at the full frame and stretch the window's prediction over it).
#: Inference predicts the full input image instead.
EVAL_CROP_TRANSFORMS: Tuple[str, ...] = ('KBCrop', 'NYUBorderCrop')
#: What :func:`build_inference_pipeline` leaves out of a test pipeline by default.
NON_INFERENCE_TRANSFORMS: Tuple[str, ...] = GT_LOADING_TRANSFORMS + EVAL_CROP_TRANSFORMS
#: Transforms that may open a test pipeline as its image loader (their arguments are kept).
IMAGE_LOADERS: Tuple[str, ...] = ('LoadImageFromFile', 'LoadImageFromNDArray',
                                  'InferencerLoader')


def transform_name(transform: Mapping) -> str:
    """The type name of a transform config (a string or, in new-style configs, a class).

    Args:
        transform (Mapping): A transform config with ``type``.

    Returns:
        str: The registered name, e.g. ``'LoadImageFromFile'``.
    """
    kind = transform.get('type')
    return kind if isinstance(kind, str) else getattr(kind, '__name__', str(kind))


def get_test_pipeline_cfg(cfg: Mapping) -> List[dict]:
    """A copy of the config's test pipeline: ``test_pipeline``, else the test loader's.

    Args:
        cfg (Config | ConfigDict | dict): The full config (e.g. ``model.cfg``).

    Returns:
        list[dict]: Deep copies of the transform configs (the config is not touched).

    Raises:
        ValueError: The config has neither ``test_pipeline`` nor
            ``test_dataloader.dataset.pipeline``.
    """
    pipeline = cfg.get('test_pipeline')
    if pipeline is None:
        dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
        pipeline = dataset.get('pipeline')
    if pipeline is None:
        raise ValueError('the config has no test pipeline: neither test_pipeline nor '
                         'test_dataloader.dataset.pipeline is set')
    return [copy.deepcopy(transform) for transform in pipeline]


def check_image_array(img: Any) -> None:
    """Raise unless ``img`` is an ``(H, W, 3)`` ``uint8`` array with ``H, W > 0``.

    Args:
        img: The array input.

    Raises:
        ValueError: Another shape or dtype (the message gives both).
    """
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3 or 0 in img.shape:
        raise ValueError('an image array must be an (H, W, 3) uint8 BGR image, got shape '
                         f'{tuple(img.shape)} and dtype {img.dtype}')


class ImageLoader:
    """Load one inference input into a results dict, choosing the loader by its kind.

    A path (``str`` / :class:`~pathlib.Path`) is read with mmcv's ``LoadImageFromFile``,
    an array is taken (copied, so that the caller's array is never modified) with
    mmseg's ``LoadImageFromNDArray``; both get the arguments of the config's loader
    (``color_type``, ``backend_args``, ...). Both set ``img``, ``img_path`` (None for an
    array), ``img_shape`` and ``ori_shape``.

    Args:
        **kwargs: Arguments of ``LoadImageFromFile``.
    """

    def __init__(self, **kwargs) -> None:
        self.from_file = TRANSFORMS.build(dict(type='LoadImageFromFile', **kwargs))
        self.from_array = TRANSFORMS.build(dict(type='LoadImageFromNDArray', **kwargs))

    def __call__(self, image: ImageInput) -> dict:
        """Load ``image``.

        Args:
            image (str | Path | np.ndarray): An image file, or an ``(H, W, 3)`` BGR
                ``uint8`` array.

        Returns:
            dict: The results dict of the loader.

        Raises:
            FileNotFoundError: The file does not exist.
            ValueError: The path is a folder or the file cannot be decoded as an image
                (the message names the file), or the array has another shape or dtype.
            TypeError: ``image`` is neither a path nor an array.
        """
        if isinstance(image, np.ndarray):
            check_image_array(image)
            return self.from_array(dict(img=image.copy()))
        if not isinstance(image, (str, Path)):
            raise TypeError('an inference input is an image file (str or Path) or an '
                            f'(H, W, 3) uint8 array, got {type(image).__name__}')
        path = str(image)
        if '://' not in path:  # a local file (mmengine's backends also read URIs)
            if osp.isdir(path):
                raise ValueError(f'{path} is a folder, not an image file')
            if not osp.isfile(path):
                raise FileNotFoundError(f'image file not found: {path}')
        try:
            results = self.from_file(dict(img_path=path))
        except FileNotFoundError as err:
            raise FileNotFoundError(f'image file not found: {path}') from err
        except Exception as err:  # any decoder failure (mmcv asserts on cv2's None)
            raise ValueError(f'cannot read image {path}: not a readable image file') from err
        if results is None:  # LoadImageFromFile(ignore_empty=True)
            raise ValueError(f'cannot read image {path}: not a readable image file')
        return results


class InferencePipeline:
    """Loader + remaining test transforms; checks that the output keeps the input's size.

    Called on one input, it returns the packed ``dict(inputs=Tensor, data_samples=
    SegDataSample)``. Its ``ori_shape`` must still be the loaded image's size (mmseg's
    ``DepthEstimator.postprocess_result`` resizes the prediction to ``ori_shape`` after
    removing the data preprocessor's padding), so the prediction has the input's size;
    a transform that changes ``ori_shape`` (a crop) is refused.

    Args:
        loader (ImageLoader): Loads the input.
        transforms (Compose): The other transforms, ending with ``PackSegInputs``.
    """

    def __init__(self, loader: ImageLoader, transforms: Compose) -> None:
        self.loader = loader
        self.transforms = transforms

    def __call__(self, image: ImageInput) -> Dict[str, Any]:
        """Load and transform ``image``.

        Args:
            image (str | Path | np.ndarray): See :meth:`ImageLoader.__call__`.

        Returns:
            dict: ``inputs`` (``(3, H, W)`` tensor) and ``data_samples``
            (:class:`SegDataSample` with the meta information).

        Raises:
            ValueError: The input cannot be loaded, a transform dropped it, or the
                pipeline changed ``ori_shape`` (the message names both shapes).
        """
        results = self.loader(image)
        size = tuple(results['img'].shape[:2])
        where = results.get('img_path') or 'the array input'
        packed = self.transforms(results)
        if packed is None:
            raise ValueError(f'the inference pipeline dropped {where}')
        sample: SegDataSample = packed['data_samples']
        if 'ori_shape' not in sample.metainfo:  # PackSegInputs meta_keys without it
            sample.set_metainfo(dict(ori_shape=size))
        ori_shape = tuple(sample.metainfo['ori_shape'])
        if ori_shape != size:
            raise ValueError(
                f'the inference pipeline changed ori_shape of {where} from {size} to '
                f'{ori_shape} (a crop in the test pipeline?): the prediction would not '
                'cover the input image. Transforms after the loader: '
                f'{[type(t).__name__ for t in self.transforms.transforms]}')
        return packed


def build_inference_pipeline(cfg: Mapping,
                             drop: Sequence[str] = NON_INFERENCE_TRANSFORMS
                             ) -> InferencePipeline:
    """The inference pipeline of a config (built anew; the config is not modified).

    The test pipeline (:func:`get_test_pipeline_cfg`) without the transforms in ``drop``;
    its first transform, the image loader, is replaced by :class:`ImageLoader` with the
    same arguments. The transforms are built in the config's ``default_scope``
    (``'mmseg'`` when unset); the global default scope is left as it is.

    Args:
        cfg (Config | ConfigDict | dict): The full config (e.g. ``model.cfg``).
        drop (Sequence[str]): Transform types to leave out. Defaults to
            :data:`NON_INFERENCE_TRANSFORMS` (ground-truth loading, evaluation crops).

    Returns:
        InferencePipeline: Callable on one input (path or array).

    Raises:
        ValueError: The config has no test pipeline, or it does not start with an image
            loader (:data:`IMAGE_LOADERS`) once the dropped transforms are removed.
    """
    transforms = [t for t in get_test_pipeline_cfg(cfg) if transform_name(t) not in drop]
    if not transforms or transform_name(transforms[0]) not in IMAGE_LOADERS:
        raise ValueError(
            f'the test pipeline must start with an image loader (one of {IMAGE_LOADERS}) '
            f'once {tuple(drop)} are removed; got {[transform_name(t) for t in transforms]}')
    loader_args = {k: v for k, v in transforms[0].items() if k != 'type'}
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope') or 'mmseg'):
        return InferencePipeline(ImageLoader(**loader_args), Compose(transforms[1:]))


def forward_by_size(model: nn.Module, data: Mapping[str, Sequence],
                    flip: bool = False) -> List[SegDataSample]:
    """``model.test_step`` under ``torch.no_grad``, one call per input size, in input order.

    mmseg's ``SegDataPreProcessor`` refuses a test batch of images of different sizes, so
    the batch is split into groups of equal size (in order of first appearance). With
    ``flip``, each group also runs on the horizontally flipped images and the prediction is
    ``(N(I) + flip(N(flip(I)))) / 2``
    (:func:`~mmdepth_dgr.models.segmentors.depth_tta.flip_average`, the flip test-time
    augmentation of :class:`~mmdepth_dgr.models.segmentors.DepthTTAModel`).

    Args:
        model (nn.Module): The depth estimator.
        data (Mapping): A collated batch: ``inputs`` (list of ``(3, H, W)`` tensors) and
            ``data_samples`` (list of :class:`SegDataSample`).
        flip (bool): Average with the flipped image's prediction. Defaults to False.

    Returns:
        list[SegDataSample]: The predictions (``pred_depth_map``), one per input.
    """
    inputs, samples = list(data['inputs']), list(data['data_samples'])
    groups: Dict[tuple, List[int]] = {}
    for index, tensor in enumerate(inputs):
        groups.setdefault(tuple(tensor.shape), []).append(index)
    preds: List[Optional[SegDataSample]] = [None] * len(inputs)
    with torch.no_grad():
        for indices in groups.values():
            batch = dict(inputs=[inputs[i] for i in indices],
                         data_samples=[samples[i] for i in indices])
            # test_step writes its predictions into the samples: the flipped pass gets copies
            flipped_batch = dict(inputs=[inputs[i].flip(-1) for i in indices],
                                 data_samples=[copy.deepcopy(samples[i]) for i in indices]
                                 ) if flip else None
            group_preds = model.test_step(batch)
            if flipped_batch is not None:
                for pred, flipped in zip(group_preds, model.test_step(flipped_batch),
                                         strict=True):
                    pred.pred_depth_map.data = flip_average(
                        [pred.pred_depth_map.data, flipped.pred_depth_map.data], [False, True])
            for index, pred in zip(indices, group_preds, strict=True):
                preds[index] = pred
    return preds  # type: ignore[return-value]
