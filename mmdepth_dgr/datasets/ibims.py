"""iBims-1 (Koch et al., ECCV-W 2018): 100 indoor test images with laser-scan ground truth.

Layout read under ``data_root`` (the two zips of the official release unpacked side by side
with the release's image list)::

    imagelist.txt                       one image name per line (e.g. corridor_01)
    ibims1_core_raw/rgb/{name}.png      640x480 RGB
    ibims1_core_raw/depth/{name}.png    uint16, metres = value * 50 / 65535
    ibims1_core_raw/edges/{name}.png    GT depth-boundary map (nonzero = edge)
    ibims1_core_raw/calib/{name}.txt    intrinsics (see parse_ibims_calib)
    ibims1_core_raw/mask_invalid/{name}.png   1 = valid measurement (0 = invalid)
    ibims1_core_raw/mask_transp/{name}.png    1 = not transparent (0 = glass, windows)
    ibims1_core_mat/{name}.mat          struct ``data`` with the plane masks
                                        ``mask_{wall,table,floor}`` and their parameters
                                        ``mask_{wall,table,floor}_paras``
"""
import os.path as osp
import re
from typing import List, Optional, Tuple

from mmseg.registry import DATASETS

from .bts_dataset import BTSDepthDataset, check_focal, check_sample_files

#: iBims-1 depth PNG value per metre: the release stores ``depth * 65535 / 50`` (0..50 m).
IBIMS_DEPTH_SCALE = 65535.0 / 50.0

#: The path keys of an iBims-1 data info, all checked at load time.
IBIMS_PATH_KEYS = ('img_path', 'depth_map_path', 'edge_map_path', 'calib_path',
                   'mask_invalid_path', 'mask_transp_path', 'plane_mat_path')

_NAME = re.compile(r'^[A-Za-z0-9_.-]+$')


def parse_ibims_calib(path: str) -> Tuple[float, float, float, float]:
    """Read an iBims-1 calibration text file as ``(fx, fy, cx, cy)``.

    The file holds comma- (or whitespace-) separated numbers: the four ``fx, fy, cx, cy``,
    or the nine of a 3x3 intrinsic matrix, either MATLAB's transposed layout of the
    ``.mat`` release (``cx, cy`` in the last row) or the usual one (in the last column).

    Args:
        path (str): The file.

    Returns:
        tuple[float, float, float, float]: ``(fx, fy, cx, cy)`` in pixels, ``fx`` and ``fy``
        checked by :func:`check_focal`.

    Raises:
        ValueError: The file holds something else than 4 or 9 numbers, or a focal length
            is not plausible (file named in the message).
    """
    from ..evaluation.functional.ibims import calib_intrinsics
    with open(path, encoding='utf-8') as f:
        text = f.read()
    fields = [t for t in re.split(r'[,\s;]+', text.strip()) if t]
    try:
        values = [float(t) for t in fields]
    except ValueError:
        raise ValueError(f'malformed iBims-1 calibration {path}: expected 4 (fx, fy, cx, cy) '
                         f'or 9 (3x3 matrix) numbers, got {text.strip()[:80]!r}') from None
    if len(values) not in (4, 9):
        raise ValueError(f'malformed iBims-1 calibration {path}: expected 4 (fx, fy, cx, cy) '
                         f'or 9 (3x3 matrix) numbers, got {len(values)}')
    fx, fy, cx, cy = calib_intrinsics(values)
    check_focal(fx, f'{path} (fx)')
    check_focal(fy, f'{path} (fy)')
    return fx, fy, cx, cy


def parse_image_list_line(line: str, ann_file: str, lineno: int) -> Optional[str]:
    """One image name from a line of the iBims-1 image list (None for a blank line).

    Args:
        line (str): The raw line.
        ann_file (str): The list file, for messages.
        lineno (int): 1-based line number, for messages.

    Returns:
        str | None: The name.

    Raises:
        ValueError: The line has more than one field, or the name holds a path separator
            or other characters than letters, digits, ``_``, ``-`` and ``.``.
    """
    fields = line.split()
    if not fields:
        return None
    if len(fields) != 1 or not _NAME.match(fields[0]):
        raise ValueError(f'{ann_file}:{lineno}: expected one image name per line (e.g. '
                         f'"corridor_01"), got {line.strip()!r}')
    return fields[0]


@DATASETS.register_module()
class IBimsDataset(BTSDepthDataset):
    """iBims-1, evaluation only (no training split exists).

    Reads the release's image list (``ann_file``) and the raw layout of the module
    docstring. Each data info holds ``img_path``, ``depth_map_path``, ``edge_map_path``
    (read by ``LoadDepthEdgeMap``), ``mask_invalid_path``, ``mask_transp_path`` and
    ``plane_mat_path`` (read by ``LoadIBimsAnnotations``), ``calib_path`` and ``calib``
    (``(fx, fy, cx, cy)`` from the calibration file), ``focal`` (= fx), and the BTS
    metainfo keys (``depth_scale`` 65535/50, ``min_depth``, ``max_depth``, ``eval_crop``
    None: iBims-1 is evaluated on the whole frame).

    Args:
        ann_file (str): Image list, relative to ``data_root``. Defaults to
            ``'imagelist.txt'``.
        data_prefix (dict, optional): Sub-folders ``raw`` (default
            ``'ibims1_core_raw'``) and ``mat`` (default ``'ibims1_core_mat'``).
        depth_scale (float): PNG value per metre. Defaults to 65535 / 50.
        min_depth (float): Defaults to 1e-3.
        max_depth (float): Defaults to 10 (the community's iBims-1 cap).
        eval_crop (str, optional): Defaults to None.
        check_files (bool): Check every listed file at load time. Defaults to True.
        **kwargs: Passed to :class:`BTSDepthDataset` (``test_mode`` is forced True).

    Raises:
        FileNotFoundError / ValueError: see :meth:`load_data_list`.
    """

    def __init__(self, ann_file: str = 'imagelist.txt', data_prefix: Optional[dict] = None,
                 depth_scale: float = IBIMS_DEPTH_SCALE, min_depth: float = 1e-3,
                 max_depth: float = 10.0, eval_crop: Optional[str] = None,
                 check_files: bool = True, **kwargs) -> None:
        kwargs['test_mode'] = True
        prefix = {'raw': 'ibims1_core_raw', 'mat': 'ibims1_core_mat', **(data_prefix or {})}
        super().__init__(ann_file=ann_file, data_prefix=prefix, depth_scale=depth_scale,
                         min_depth=min_depth, max_depth=max_depth, default_focal=None,
                         eval_crop=eval_crop, check_files=check_files, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Parse the image list into data infos.

        Returns:
            list[dict]: One dict per listed image.

        Raises:
            FileNotFoundError: The image list or (``check_files``) a listed file is
                missing (the list line, the key and the path in the message).
            ValueError: A list line is malformed, a listed file is empty, or a
                calibration file is malformed (file named).
        """
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'{type(self).__name__}: image list not found: '
                                    f'{self.ann_file}')
        raw = self.data_prefix['raw']
        mat = self.data_prefix['mat']
        data_list = []
        with open(self.ann_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, start=1):
                name = parse_image_list_line(line, self.ann_file, lineno)
                if name is None:
                    continue
                info = dict(
                    img_path=osp.join(raw, 'rgb', f'{name}.png'),
                    rel_img_path=f'{name}.png',
                    depth_map_path=osp.join(raw, 'depth', f'{name}.png'),
                    edge_map_path=osp.join(raw, 'edges', f'{name}.png'),
                    calib_path=osp.join(raw, 'calib', f'{name}.txt'),
                    mask_invalid_path=osp.join(raw, 'mask_invalid', f'{name}.png'),
                    mask_transp_path=osp.join(raw, 'mask_transp', f'{name}.png'),
                    plane_mat_path=osp.join(mat, f'{name}.mat'),
                    has_gt=True,
                    **self.sample_meta(lineno))
                if self.check_files:
                    check_sample_files(info, IBIMS_PATH_KEYS)
                    calib = parse_ibims_calib(info['calib_path'])
                    info.update(calib=calib, focal=calib[0])
                else:  # lazy: LoadIBimsAnnotations reads it
                    info.update(calib=None, focal=None)
                data_list.append(info)
        if not data_list:
            raise ValueError(f'{type(self).__name__}: image list {self.ann_file} has no '
                             'samples')
        return data_list
