"""Browse a split's augmented samples as RGB | ground-truth depth pictures.

The library behind ``tools/analysis_tools/browse_dataset.py``, to check a data pipeline: the
split's dataset (``<split>_dataloader.dataset``) is built and indexed in order, and each
sample, as the pipeline leaves it (the packed ``inputs`` tensor and ``gt_depth_map``), is
drawn by the config's visualizer (:class:`~mmdepth_dgr.visualization.DepthLocalVisualizer`:
RGB | GT). Unlike mmseg's ``browse_dataset.py``, which names pictures after the image's
basename so that NYU frames ``rgb_00000.jpg`` of different scenes overwrite each other, the
pictures are named by :func:`~mmdepth_dgr.utils.naming.sample_file_name`
(``<scene>__<frame>.png``), made unique within a run.
"""
import copy
import os.path as osp
from typing import Any, Dict, Iterator, List, Mapping, Optional, Set, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import set_random_seed
from mmengine.utils import ProgressBar, mkdir_or_exist
from mmseg.registry import DATASETS, VISUALIZERS
from mmseg.structures import SegDataSample

from ..utils.naming import sample_file_name, unique_stem

#: The splits a config may have a data loader for (``<split>_dataloader``).
SPLITS: Tuple[str, ...] = ('train', 'val', 'test')
#: Visualizer built when the config has none.
DEFAULT_VISUALIZER: Dict[str, Any] = dict(type='DepthLocalVisualizer')


def split_dataset_cfg(cfg: Mapping, split: str) -> Dict[str, Any]:
    """A copy of the dataset config of a split's data loader.

    Args:
        cfg (Config | dict): The full config.
        split (str): One of :data:`SPLITS`.

    Returns:
        dict: A deep copy of ``cfg['<split>_dataloader']['dataset']``.

    Raises:
        ValueError: ``split`` is not one of :data:`SPLITS`, or the config has no
            ``<split>_dataloader`` with a ``dataset`` (the message names the key).
    """
    if split not in SPLITS:
        raise ValueError(f'unknown split {split!r}: choose one of {", ".join(SPLITS)}')
    key = f'{split}_dataloader'
    loader = cfg.get(key)
    dataset = loader.get('dataset') if isinstance(loader, Mapping) else None
    if not isinstance(dataset, Mapping):
        have = [f'{s}_dataloader' for s in SPLITS
                if isinstance(cfg.get(f'{s}_dataloader'), Mapping)
                and isinstance(cfg[f'{s}_dataloader'].get('dataset'), Mapping)]
        raise ValueError(f'the config has no {key} with a dataset, so split {split!r} cannot '
                         f'be browsed; it has: {", ".join(have) or "none"}')
    return copy.deepcopy(dict(dataset))


def input_channel_order(cfg: Mapping) -> str:
    """The channel order of the ``inputs`` tensors the config's pipelines pack.

    ``PackSegInputs`` keeps the loader's order (BGR for ``LoadImageFromFile``) and the
    model's data preprocessor converts it: ``bgr_to_rgb=True`` means the pipeline gives
    BGR, ``rgb_to_bgr=True`` that it gives RGB; with neither the loader's BGR is assumed.

    Args:
        cfg (Config | dict): The full config (``model.data_preprocessor``, or a top-level
            ``data_preprocessor``).

    Returns:
        str: ``'bgr'`` or ``'rgb'``.
    """
    model = cfg.get('model') or {}
    preprocessor = model.get('data_preprocessor') or cfg.get('data_preprocessor') or {}
    return 'rgb' if preprocessor.get('rgb_to_bgr', False) else 'bgr'


def input_to_rgb(inputs: Any, channel_order: str = 'bgr') -> np.ndarray:
    """An ``(H, W, 3)`` RGB array of a packed ``(3, H, W)`` input tensor.

    Args:
        inputs (Tensor | np.ndarray): The ``inputs`` of a pipeline output (``uint8``, or
            float in 0-255 after a colour augmentation).
        channel_order (str): ``'bgr'`` or ``'rgb'`` (:func:`input_channel_order`).

    Returns:
        np.ndarray: ``(H, W, 3)`` in RGB order, dtype kept.

    Raises:
        ValueError: ``inputs`` is not ``(3, H, W)`` or ``channel_order`` is unknown.
    """
    if channel_order not in ('bgr', 'rgb'):
        raise ValueError(f"channel_order must be 'bgr' or 'rgb', got {channel_order!r}")
    array = inputs.detach().cpu().numpy() if isinstance(inputs, torch.Tensor) else \
        np.asarray(inputs)
    if array.ndim != 3 or array.shape[0] != 3:
        raise ValueError(f'an input must be a (3, H, W) image, got shape {array.shape}')
    image = array.transpose(1, 2, 0)
    if channel_order == 'bgr':
        image = image[..., ::-1]
    return np.ascontiguousarray(image)


def unique_name(meta: Mapping, used: Set[str]) -> str:
    """:func:`~mmdepth_dgr.utils.naming.sample_file_name` of a sample, made unique.

    A stem already in ``used`` gets ``_1``, ``_2``, ... (the first free one); the result is
    added to ``used``.

    Args:
        meta (Mapping): The sample's metainfo (``rel_img_path`` or ``img_path``).
        used (set[str]): Stems given so far (updated).

    Returns:
        str: The stem.
    """
    return unique_stem(sample_file_name(meta), used)


def build_split_dataset(cfg: Mapping, split: str = 'train') -> Any:
    """The dataset of a split's data loader, built in the config's ``default_scope``
    (``'mmseg'`` when unset).

    Args:
        cfg (Config | dict): The full config.
        split (str): One of :data:`SPLITS`. Defaults to ``'train'``.

    Returns:
        BaseDataset: The dataset, its pipeline included.

    Raises:
        ValueError: See :func:`split_dataset_cfg`.
    """
    dataset_cfg = split_dataset_cfg(cfg, split)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope') or 'mmseg'):
        return DATASETS.build(dataset_cfg)


def augmented_samples(dataset: Any, channel_order: str = 'bgr',
                      max_samples: Optional[int] = None, seed: Optional[int] = None
                      ) -> Iterator[Tuple[np.ndarray, SegDataSample]]:
    """A dataset's samples in index order, as its pipeline outputs them.

    Args:
        dataset (BaseDataset): E.g. from :func:`build_split_dataset`.
        channel_order (str): Order of the packed inputs (:func:`input_channel_order`).
            Defaults to ``'bgr'``.
        max_samples (int, optional): Stop after this many samples; None: all.
        seed (int, optional): Seed ``random``, numpy and torch first
            (:func:`mmengine.runner.set_random_seed`), so the augmentations can be repeated.

    Yields:
        tuple[np.ndarray, SegDataSample]: The ``(H, W, 3)`` RGB input image
        (:func:`input_to_rgb`) and its data sample (``gt_depth_map``, metainfo).

    Raises:
        ValueError: ``max_samples < 0``.
    """
    if max_samples is not None and max_samples < 0:
        raise ValueError(f'max_samples must be >= 0, got {max_samples}')
    if seed is not None:
        set_random_seed(seed)
    for index in range(num_samples(dataset, max_samples)):
        item = dataset[index]
        yield input_to_rgb(item['inputs'], channel_order), item['data_samples']


def num_samples(dataset: Any, max_samples: Optional[int] = None) -> int:
    """How many samples of ``dataset`` are browsed: ``min(len(dataset), max_samples)``.

    Args:
        dataset (BaseDataset): The dataset.
        max_samples (int, optional): The limit; None: all.

    Returns:
        int: The count.
    """
    return len(dataset) if max_samples is None else min(len(dataset), max_samples)


def build_browse_visualizer(cfg: Config) -> Any:
    """The config's visualizer (:data:`DEFAULT_VISUALIZER` when it has none), for pictures
    written to files: its vis backends are left out and it gets a name of its own.

    Args:
        cfg (Config): The full config.

    Returns:
        Visualizer: The visualizer (``add_datasample`` draws RGB | GT).
    """
    vis_cfg = copy.deepcopy(dict(cfg.get('visualizer') or DEFAULT_VISUALIZER))
    vis_cfg.pop('vis_backends', None)
    vis_cfg.pop('save_dir', None)
    vis_cfg['name'] = 'browse_dataset'
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope') or 'mmseg'):
        return VISUALIZERS.build(vis_cfg)


def browse_dataset(cfg: Config, output_dir: Optional[str] = None, split: str = 'train',
                   max_samples: Optional[int] = None, show: bool = False,
                   wait_time: float = 2.0, seed: Optional[int] = None,
                   progress: bool = True) -> List[str]:
    """Draw a split's augmented samples as RGB | GT pictures, written and / or shown.

    Args:
        cfg (Config): The full config (e.g. from
            :func:`~mmdepth_dgr.engine.runner.load_config`).
        output_dir (str, optional): Write ``<output_dir>/<scene>__<frame>.png`` here (PNG:
            lossless). None: nothing written.
        split (str): One of :data:`SPLITS`. Defaults to ``'train'``.
        max_samples (int, optional): Draw at most this many samples; None: all.
        show (bool): Show each picture in a window. Defaults to False.
        wait_time (float): Seconds each shown picture stays. Defaults to 2.
        seed (int, optional): Seed the augmentations (see :func:`augmented_samples`).
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        list[str]: The pictures written (in sample order; empty without ``output_dir``).

    Raises:
        ValueError: An unknown split or a config without its data loader
            (:func:`split_dataset_cfg`), ``max_samples < 0``, or neither ``output_dir`` nor
            ``show`` (nothing would be done).
    """
    if output_dir is None and not show:
        raise ValueError('browse_dataset: give an output directory or show the pictures '
                         '(nothing would be done otherwise)')
    if max_samples is not None and max_samples < 0:
        raise ValueError(f'max_samples must be >= 0, got {max_samples}')
    dataset = build_split_dataset(cfg, split)
    visualizer = build_browse_visualizer(cfg)
    if output_dir is not None:
        mkdir_or_exist(output_dir)
    bar = ProgressBar(num_samples(dataset, max_samples)) if progress else None
    used: Set[str] = set()
    written = []
    for image, sample in augmented_samples(dataset, input_channel_order(cfg), max_samples,
                                           seed):
        name = unique_name(sample.metainfo, used)
        out_file = osp.join(output_dir, f'{name}.png') if output_dir is not None else None
        visualizer.add_datasample(name=name, image=image, data_sample=sample, draw_gt=True,
                                  draw_pred=False, show=show, wait_time=wait_time,
                                  out_file=out_file)
        if out_file is not None:
            written.append(out_file)
        if bar is not None:
            bar.update()
    if bar is not None:
        print()  # end the bar's line
    return written
