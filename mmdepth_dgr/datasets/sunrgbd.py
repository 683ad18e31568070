"""SUN RGB-D (Song et al., CVPR 2015) as a zero-shot test set of NYU-trained models.

Conventions (facts read from the two toolboxes, reimplemented here):

* Test list: the 5050-image official test set in the Monocular-Depth-Estimation-Toolbox's
  ``splits/SUNRGBD_val_splits.txt``: two columns per line, image and depth paths relative to
  the dataset root, e.g. ``SUNRGBD/kv2/kinect2data/<frame>/image/0000103.jpg
  SUNRGBD/kv2/kinect2data/<frame>/depth/0000103.png`` (the raw ``depth/`` maps, not the
  filled ``depth_bfx/``). ZoeDepth
  (``zoedepth/data/sun_rgbd_loader.py``) reads a preprocessed copy instead (``rgb/rgb/*.jpg``,
  ``gt/gt/*.png`` already in plain millimetres) whose list is not published.
* Depth: 16-bit PNG, millimetres rotated left by 3 bits
  (:func:`~mmdepth_dgr.datasets.transforms.zeroshot_loading.decode_sunrgbd_depth`).
* Images are evaluated at their own sizes (730x530 Kinect v2, 681x531 RealSense, 640x480
  Xtion / B3DO, 561x427 NYU), no resize.
* Evaluation: both toolboxes keep the fixed pixel window ``[45:471, 41:601]`` whatever the
  size (``MaskDepthOutsideWindow``). Depth cap 8 m, as ZoeDepth (``zoedepth/utils/config.py``
  ``max_depth_eval=8``; GT deeper than 8 m is not evaluated); the
  Monocular-Depth-Estimation-Toolbox (``depth/datasets/sunrgbd.py``) clamps both GT and
  prediction to 8 m and evaluates the clamped pixels (valid GT below its ``max_depth`` 10).
* Intrinsics: every frame folder of the release has ``intrinsics.txt`` (the 3x3 matrix, one
  row per line); ``focal`` is its ``fx`` (about 519 to 570 px, by sensor). Neither toolbox
  reads them.

Layout under ``data_root`` (the release ``SUNRGBD.zip`` unpacked, the list next to it)::

    SUNRGBD_val_splits.txt
    SUNRGBD/{kv1,kv2,realsense,xtion}/<sensor folder>/<frame>/image/<name>.jpg
    SUNRGBD/.../<frame>/depth/<name>.png
    SUNRGBD/.../<frame>/intrinsics.txt
"""
import os.path as osp
import re
from typing import List, Tuple

from mmseg.registry import DATASETS

from .bts_dataset import BTSDepthDataset, check_focal, check_sample_files

#: Focal length (px) of lines without intrinsics (``read_intrinsics=False``): NYU's Kinect v1.
SUNRGBD_DEFAULT_FOCAL = 518.8579


def sunrgbd_intrinsics_path(img_path: str, where: str = 'SUN RGB-D') -> str:
    """The ``intrinsics.txt`` of the frame an image belongs to.

    Args:
        img_path (str): ``.../<frame>/image/<name>.jpg``.
        where (str): The list line it comes from (``file:line``), for the message.
            Defaults to ``'SUN RGB-D'``.

    Returns:
        str: ``.../<frame>/intrinsics.txt``.

    Raises:
        ValueError: The image is not inside an ``image`` folder of a frame (list line and
            image named).
    """
    image_dir = osp.dirname(img_path)
    if osp.basename(image_dir) != 'image':
        raise ValueError(f'{where}: SUN RGB-D image {img_path} is not in an "image" folder of '
                         'a frame (.../<frame>/image/<name>.jpg); set read_intrinsics=False '
                         'for other layouts')
    return osp.join(osp.dirname(image_dir), 'intrinsics.txt')


def parse_sunrgbd_intrinsics(path: str, where: str) -> Tuple[float, float, float, float]:
    """``(fx, fy, cx, cy)`` from a SUN RGB-D ``intrinsics.txt`` (3x3 matrix, 9 numbers).

    Args:
        path (str): The file.
        where (str): The split line it belongs to, for the messages.

    Returns:
        tuple[float, float, float, float]: The intrinsics in pixels, focal lengths checked
        by :func:`~mmdepth_dgr.datasets.bts_dataset.check_focal`.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: It is empty or does not hold 9 numbers, or a focal length is not
            plausible.
    """
    from ..evaluation.functional.ibims import calib_intrinsics  # the 3x3 layouts
    check_sample_files(dict(split_line=where, intrinsics_path=path), ('intrinsics_path', ))
    with open(path, encoding='utf-8') as f:
        text = f.read()
    try:
        values = [float(t) for t in re.split(r'[,\s]+', text.strip()) if t]
    except ValueError:
        raise ValueError(f'{where}: malformed SUN RGB-D intrinsics {path}: expected the 9 '
                         f'numbers of a 3x3 matrix, got {text.strip()[:80]!r}') from None
    if len(values) != 9:
        raise ValueError(f'{where}: malformed SUN RGB-D intrinsics {path}: expected the 9 '
                         f'numbers of a 3x3 matrix, got {len(values)}')
    fx, fy, cx, cy = calib_intrinsics(values)
    check_focal(fx, f'{where}: {path} (fx)')
    check_focal(fy, f'{where}: {path} (fy)')
    return fx, fy, cx, cy


@DATASETS.register_module()
class SUNRGBDDataset(BTSDepthDataset):
    """SUN RGB-D test set read from the 5050-line list (see the module docstring).

    A :class:`BTSDepthDataset` whose split lines have no focal column; with
    ``read_intrinsics`` each sample's ``focal`` is the ``fx`` of its frame's
    ``intrinsics.txt`` and ``calib`` holds ``(fx, fy, cx, cy)``. Depth maps are
    decoded by ``LoadSUNRGBDDepth``; ``depth_scale`` 1000 is the value per metre of the
    decoded millimetres (and of the metric's PNG dumps).

    Args:
        ann_file (str): The list, relative to ``data_root``. Defaults to
            ``'SUNRGBD_val_splits.txt'``.
        depth_scale (float): Decoded value per metre. Defaults to 1000.
        min_depth (float): Defaults to 1e-3.
        max_depth (float): Defaults to 8 (the cap of the evaluation).
        default_focal (float): Focal of samples without intrinsics. Defaults to
            :data:`SUNRGBD_DEFAULT_FOCAL`.
        eval_crop (str, optional): Defaults to None (the fixed pixel window is applied by
            ``MaskDepthOutsideWindow`` in the pipeline, not a scaled crop).
        read_intrinsics (bool): Read every frame's ``intrinsics.txt`` at load time (a missing
            or malformed one is an error naming it and the list line). Defaults to True.
            Reading them is reading files at load time, which ``check_files=False`` (lazy
            mode) is meant to skip: that combination is an error; set
            ``read_intrinsics=False`` with it (``focal`` = ``default_focal``, no ``calib``).
        **kwargs: Passed to :class:`BTSDepthDataset` (``check_files``, ...).

    Raises:
        ValueError: ``read_intrinsics=True`` with ``check_files=False``.
    """

    def __init__(self, ann_file: str = 'SUNRGBD_val_splits.txt', depth_scale: float = 1000.0,
                 min_depth: float = 1e-3, max_depth: float = 8.0,
                 default_focal: float = SUNRGBD_DEFAULT_FOCAL, eval_crop=None,
                 read_intrinsics: bool = True, **kwargs) -> None:
        if read_intrinsics and not kwargs.get('check_files', True):
            raise ValueError(
                f'{type(self).__name__}: read_intrinsics=True reads every frame\'s '
                'intrinsics.txt when the dataset is built, which check_files=False (lazy mode) '
                'skips; set read_intrinsics=False (focal = default_focal, no calib) or '
                'check_files=True')
        self.read_intrinsics = read_intrinsics
        super().__init__(ann_file=ann_file, depth_scale=depth_scale, min_depth=min_depth,
                         max_depth=max_depth, default_focal=default_focal,
                         eval_crop=eval_crop, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Parse the list (:meth:`BTSDepthDataset.load_data_list`) and read the intrinsics.

        Returns:
            list[dict]: The data infos; with ``read_intrinsics`` also ``intrinsics_path``
            and ``calib``, and ``focal`` = fx.

        Raises:
            FileNotFoundError / ValueError: As the base class, and for a missing or
                malformed ``intrinsics.txt`` (list line and file named).
        """
        data_list = super().load_data_list()
        if not self.read_intrinsics:
            return data_list
        for info in data_list:
            path = sunrgbd_intrinsics_path(info['img_path'], info['split_line'])
            calib = parse_sunrgbd_intrinsics(path, info['split_line'])
            info.update(intrinsics_path=path, calib=calib, focal=calib[0])
        return data_list
