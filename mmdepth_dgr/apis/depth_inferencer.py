"""Depth inferencer: files, folders and arrays in, depth maps (and pictures) out (as mmseg's
``MMSegInferencer``)."""
import os.path as osp
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

import mmcv
import numpy as np
import torch.nn as nn
from mmengine import fileio
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.infer.infer import BaseInferencer
from mmengine.registry import init_default_scope
from mmengine.utils import mkdir_or_exist
from mmseg.structures import SegDataSample

from ..utils.naming import unique_stem
from .inference import init_model
from .utils import (
    ImageInput,
    ImageType,
    InferencePipeline,
    build_inference_pipeline,
    forward_by_size,
)

#: File name endings (lower case) of the images taken from a folder input.
IMAGE_EXTENSIONS = ('.bmp', '.jpeg', '.jpg', '.png', '.tif', '.tiff', '.webp')


def list_images(folder: Union[str, Path]) -> List[str]:
    """The image files directly inside ``folder`` (by :data:`IMAGE_EXTENSIONS`), sorted.

    Args:
        folder (str | Path): A folder.

    Returns:
        list[str]: Their paths (``folder`` joined with each name), sorted by name.

    Raises:
        ValueError: The folder holds no image file (the message names it).
    """
    folder = str(folder)
    names = sorted(name for name in fileio.list_dir_or_file(folder, list_dir=False)
                   if osp.splitext(name)[1].lower() in IMAGE_EXTENSIONS)
    if not names:
        raise ValueError(f'no image files ({", ".join(IMAGE_EXTENSIONS)}) in folder {folder}')
    return [osp.join(folder, name) for name in names]


class DepthInferencer(BaseInferencer):
    """Depth inferencer: predict depth for image files, folders and arrays.

    An :class:`mmengine.infer.BaseInferencer`, used like mmseg's ``MMSegInferencer``:
    the model comes from :func:`~mmdepth_dgr.apis.init_model` (offline, weights-only
    and strict loading, SyncBN -> BN on the CPU) and the inputs go through the same
    inference pipeline as :func:`~mmdepth_dgr.apis.inference_model`
    (:func:`~mmdepth_dgr.apis.utils.build_inference_pipeline`), so every prediction has
    its input's size. Each input has an output name: the file's stem, or a running
    ``%08d`` number for arrays (a name repeated in one call gets ``_1``, ``_2``, ...);
    it is stored as ``output_name`` in the returned data samples' metainfo.

    Args:
        model (str | Path | Config | ConfigDict | dict): Config file or object.
        weights (str | Path, optional): Checkpoint file. Without it the weights are
            random (a warning is issued).
        device (str, optional): Device; the available one (``cuda`` or ``cpu``) when
            None.
        scope (str, optional): Default registry scope, made the current one as in mmseg.
            Defaults to ``'mmseg'``.
        show_progress (bool): Show a progress bar during inference. Defaults to True.

    Raises:
        FileNotFoundError: The config or checkpoint file does not exist.
        ValueError: No config is given.

    Example:
        >>> inferencer = DepthInferencer('configs/.../config.py', 'iter_2000.pth', 'cpu')
        >>> out = inferencer('demo/', out_dir='outputs')  # outputs/preds/*.npy, vis/*.png
        >>> out['predictions'][0].shape  # (H, W) float32 metres
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = {'flip'}
    visualize_kwargs: set = {'return_vis', 'show', 'wait_time', 'img_out_dir'}
    postprocess_kwargs: set = {'pred_out_dir'}

    def __init__(self,
                 model: Union[str, Path, Config, ConfigDict, dict],
                 weights: Optional[Union[str, Path]] = None,
                 device: Optional[str] = None,
                 scope: Optional[str] = 'mmseg',
                 show_progress: bool = True) -> None:
        if model is None:
            raise ValueError('DepthInferencer needs a config (model=<config file or Config>)')
        if isinstance(model, Path):
            model = str(model)
        if isinstance(model, str) and not osp.isfile(model):
            raise FileNotFoundError(f'config file not found: {model}')
        #: Arrays named so far (their output names are running numbers).
        self.num_array_inputs = 0
        init_default_scope(scope or 'mmseg')
        super().__init__(model=model, weights=weights, device=device, scope=scope,
                         show_progress=show_progress)

    def __call__(self,
                 inputs: Union[ImageType, Path],
                 batch_size: int = 1,
                 return_vis: bool = False,
                 show: bool = False,
                 wait_time: float = 0,
                 out_dir: Union[str, Path] = '',
                 return_datasamples: bool = False,
                 **kwargs) -> Dict[str, list]:
        """Predict depth for ``inputs``.

        Args:
            inputs (str | Path | np.ndarray | list): An image file, a folder (its image
                files, sorted; sub-folders are not entered), an ``(H, W, 3)`` BGR ``uint8``
                array, or a list of files and arrays.
            batch_size (int): Images per ``test_step`` (a batch of mixed sizes runs one
                forward pass per size). Defaults to 1.
            return_vis (bool): Return the pictures (RGB arrays). Defaults to False.
            show (bool): Show the pictures in a window. Defaults to False.
            wait_time (float): Show delay (s). Defaults to 0.
            out_dir (str | Path): When set, write ``<out_dir>/preds/<name>.npy``
                (``(H, W)`` float32 metres) and ``<out_dir>/vis/<name>.png`` (the config's
                visualizer: RGB | prediction). Defaults to '' (nothing written).
            return_datasamples (bool): Return :class:`SegDataSample` predictions instead
                of arrays. Defaults to False.
            **kwargs: ``flip=True`` for flip test-time augmentation (see
                :func:`~mmdepth_dgr.apis.inference_model`); further arguments of
                :meth:`visualize` / :meth:`postprocess`.

        Returns:
            dict: ``predictions`` (list, in input order, of ``(H, W)`` float32 depth maps
            in metres at each input's size, or of data samples) and ``visualization``
            (list of RGB pictures with ``return_vis``, else empty).

        Raises:
            FileNotFoundError: An image file does not exist.
            ValueError: A folder holds no image, a file cannot be read, or an array is
                not ``(H, W, 3)`` ``uint8``.
        """
        out_dir = str(out_dir)
        return super().__call__(
            inputs,
            return_datasamples=return_datasamples,
            batch_size=batch_size,
            return_vis=return_vis,
            show=show,
            wait_time=wait_time,
            img_out_dir=osp.join(out_dir, 'vis') if out_dir else '',
            pred_out_dir=osp.join(out_dir, 'preds') if out_dir else '',
            **kwargs)

    def _init_model(self, cfg: Union[Config, ConfigDict], weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        """Build the model with :func:`~mmdepth_dgr.apis.init_model`.

        Args:
            cfg (Config | ConfigDict): The config.
            weights (str, optional): Checkpoint file.
            device (str): Device.

        Returns:
            nn.Module: The model in eval mode.

        Raises:
            ValueError: The config is empty (BaseInferencer's ``model=None``).
        """
        if not cfg:
            raise ValueError('DepthInferencer needs a config; reading it from the '
                             'checkpoint is not supported')
        return init_model(cfg, weights, device)

    def _init_collate(self, cfg: Union[Config, ConfigDict]) -> Callable:
        """``test_dataloader.collate_fn`` of the config (BaseInferencer's lookup), else
        mmengine's ``pseudo_collate`` (without BaseInferencer's registry-scope warning).

        Args:
            cfg (Config | ConfigDict): The config.

        Returns:
            Callable: The collate function.
        """
        if (cfg.get('test_dataloader') or {}).get('collate_fn') is None:
            return pseudo_collate
        return super()._init_collate(cfg)

    def _init_pipeline(self, cfg: Union[Config, ConfigDict]) -> InferencePipeline:
        """The inference pipeline of :func:`~mmdepth_dgr.apis.inference_model`.

        Args:
            cfg (Config | ConfigDict): The config.

        Returns:
            InferencePipeline: Callable on one input (path or array).
        """
        return build_inference_pipeline(cfg)

    def _inputs_to_list(self, inputs: Union[ImageType, Path]) -> List[ImageInput]:
        """The inputs as a list: a folder's image files, or the input(s) themselves.

        Args:
            inputs (str | Path | np.ndarray | list | tuple): See :meth:`__call__`.

        Returns:
            list: Paths (``str``) and arrays.

        Raises:
            ValueError: A folder holds no image file.
        """
        if isinstance(inputs, (str, Path)) and osp.isdir(str(inputs)):
            return list_images(inputs)
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        return [str(item) if isinstance(item, Path) else item for item in items]

    def _output_names(self, inputs: Sequence[ImageInput]) -> List[str]:
        """One output name per input, unique within the call (see the class docstring).

        Args:
            inputs (Sequence): Paths and arrays.

        Returns:
            list[str]: The names (without extension).
        """
        names: List[str] = []
        used: set = set()
        for item in inputs:
            if isinstance(item, np.ndarray):
                stem = f'{self.num_array_inputs:08d}'
                self.num_array_inputs += 1
            else:
                stem = Path(str(item)).stem
            names.append(unique_stem(stem, used))
        return names

    def preprocess(self, inputs: Sequence[ImageInput], batch_size: int = 1,
                   **kwargs) -> Iterable[Dict[str, list]]:
        """Run the pipeline on each input (naming it) and collate batches.

        Args:
            inputs (Sequence): Paths and arrays from :meth:`_inputs_to_list`.
            batch_size (int): Inputs per batch.
            **kwargs: Unused.

        Yields:
            dict: Collated batches (``inputs``, ``data_samples``).
        """
        names = self._output_names(inputs)

        def load(item) -> Dict[str, Any]:
            image, name = item
            packed = self.pipeline(image)
            packed['data_samples'].set_metainfo(dict(output_name=name))
            return packed

        chunks = self._get_chunk_data(map(load, zip(inputs, names, strict=True)), batch_size)
        yield from map(self.collate_fn, chunks)

    def forward(self, inputs: Dict[str, list], flip: bool = False,
                **kwargs) -> List[SegDataSample]:
        """Predict a batch without gradients, one ``test_step`` per input size.

        Args:
            inputs (dict): A collated batch.
            flip (bool): Flip test-time augmentation (see
                :func:`~mmdepth_dgr.apis.inference_model`). Defaults to False.
            **kwargs: Unused.

        Returns:
            list[SegDataSample]: The predictions.
        """
        return forward_by_size(self.model, inputs, flip=flip)

    def visualize(self,
                  inputs: List[ImageInput],
                  preds: List[SegDataSample],
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0,
                  img_out_dir: str = '') -> Optional[List[np.ndarray]]:
        """Draw RGB | prediction with the config's visualizer.

        Args:
            inputs (list): Paths and arrays (BGR).
            preds (list[SegDataSample]): The predictions.
            return_vis (bool): Return the pictures.
            show (bool): Show them.
            wait_time (float): Show delay (s).
            img_out_dir (str): Write ``<img_out_dir>/<name>.png`` when set.

        Returns:
            list[np.ndarray] | None: RGB pictures with ``return_vis``, else None.

        Raises:
            ValueError: A picture is asked for but the config has no visualizer.
        """
        if not (return_vis or show or img_out_dir):
            return None
        if self.visualizer is None:
            raise ValueError('visualization needs a visualizer in the config')
        pictures = []
        for image, pred in zip(inputs, preds, strict=True):
            if isinstance(image, np.ndarray):
                rgb = np.ascontiguousarray(image[..., ::-1])
            else:
                rgb = mmcv.imfrombytes(fileio.get(str(image)), channel_order='rgb')
            name = pred.metainfo['output_name']
            out_file = osp.join(img_out_dir, f'{name}.png') if img_out_dir else None
            self.visualizer.add_datasample(name, rgb, pred, draw_gt=False, draw_pred=True,
                                           show=show, wait_time=wait_time, out_file=out_file)
            if return_vis:
                pictures.append(self.visualizer.get_image())
        return pictures if return_vis else None

    def postprocess(self,
                    preds: List[SegDataSample],
                    visualization: Optional[List[np.ndarray]],
                    return_datasample: bool = False,
                    pred_out_dir: str = '') -> Dict[str, list]:
        """Pack the predictions (and write them as ``.npy`` files).

        Args:
            preds (list[SegDataSample]): The predictions.
            visualization (list[np.ndarray], optional): From :meth:`visualize`.
            return_datasample (bool): Return the data samples instead of arrays.
            pred_out_dir (str): Write ``<pred_out_dir>/<name>.npy`` when set.

        Returns:
            dict: ``predictions`` and ``visualization`` (see :meth:`__call__`).
        """
        depths = [pred.pred_depth_map.data[0].detach().float().cpu().numpy() for pred in preds]
        if pred_out_dir:
            mkdir_or_exist(pred_out_dir)
            for pred, depth in zip(preds, depths, strict=True):
                np.save(osp.join(pred_out_dir, f'{pred.metainfo["output_name"]}.npy'), depth)
        return dict(predictions=list(preds) if return_datasample else depths,
                    visualization=list(visualization or []))
