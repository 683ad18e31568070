"""Own RGB-D data in the simplest layouts: a BTS-like split file, two folders matched by
name, or a JSON list of samples.

Layouts (``layout=``), paths relative to ``data_root/data_prefix[...]``:

* ``'split'``: text file, one ``rgb_path depth_path [focal]`` line per sample (the BTS split
  format, :func:`~mmdepth_dgr.datasets.bts_dataset.parse_split_line`).
* ``'folders'``: ``<img_path>/**/<name>.<jpg|png|...>`` and ``<depth_map_path>/**/<name>.<png|
  tif|tiff|npy>``, paired by the path below the folder without extension
  (``rgb/room1/0001.jpg`` <-> ``depth/room1/0001.png``); no ``ann_file``.
* ``'json'``: a JSON list of objects ``{"rgb": ..., "depth": ..., "focal": f}`` or
  ``{"rgb": ..., "depth": ..., "intrinsics": [fx, fy, cx, cy]}`` (focal and intrinsics
  optional; ``"depth": null`` for a sample without ground truth, test mode only).
"""
import json
import math
import numbers
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.hooks import Hook
from mmseg.datasets.transforms import LoadDepthAnnotation
from mmseg.registry import DATASETS, HOOKS
from PIL import Image, UnidentifiedImageError

from .bts_dataset import BTSDepthDataset, check_focal, first_names

#: The layouts :class:`CustomDepthDataset` reads.
LAYOUTS: Tuple[str, ...] = ('split', 'folders', 'json')

#: Image file extensions of the ``'folders'`` layout (lower case).
IMG_EXTENSIONS: Tuple[str, ...] = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')

#: Depth file extension -> the ``decode_backend`` of ``LoadDepthMap`` that decodes it:
#: 16-bit PNG and (float or 16-bit) TIFF through OpenCV, float ``.npy`` through numpy.
DEPTH_FORMATS: Dict[str, str] = {'.png': 'cv2', '.tif': 'cv2', '.tiff': 'cv2', '.npy': 'numpy'}

#: The keys a sample of the ``'json'`` layout may have.
JSON_KEYS: Tuple[str, ...] = ('rgb', 'depth', 'focal', 'intrinsics')

def _is_number(value) -> bool:
    """Whether a value is a real number.

    Args:
        value: Any value (from a config or a JSON file).

    Returns:
        bool: True for ``int``, ``float`` and other ``numbers.Real`` except ``bool``.
    """
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def depth_decode_backend(path: str, where: str) -> str:
    """The ``LoadDepthMap`` decode backend of a depth file, from its extension.

    Args:
        path (str): The depth file.
        where (str): The sample (split line, JSON entry, pair), for the message.

    Returns:
        str: ``'cv2'`` or ``'numpy'`` (:data:`DEPTH_FORMATS`).

    Raises:
        ValueError: The extension is not one of :data:`DEPTH_FORMATS` (file named).
    """
    ext = osp.splitext(path)[1].lower()
    if ext not in DEPTH_FORMATS:
        raise ValueError(f'{where}: unknown depth format {ext or "(no extension)"!r}: {path} '
                         f'(known: {", ".join(DEPTH_FORMATS)}; 16-bit PNG/TIFF holding '
                         'metres x depth_scale, or float TIFF/.npy)')
    return DEPTH_FORMATS[ext]


#: EXIF ``Orientation`` tag and its values that turn the picture by 90 degrees (5 to 8:
#: transposed, rotated 90 CW, transverse, rotated 90 CCW), which swap height and width.
EXIF_ORIENTATION_TAG = 0x0112
EXIF_SWAPPING_ORIENTATIONS = (5, 6, 7, 8)

#: PIL formats whose EXIF orientation OpenCV applies when mmcv's ``LoadImageFromFile``
#: decodes them in colour (OpenCV 4.x, ``cv2.IMREAD_COLOR``; it ignores it for WebP).
EXIF_ROTATED_FORMATS = ('JPEG', 'MPO', 'PNG')


def file_size_hw(path: str, what: str, where: str,
                 exif_orientation: bool = False) -> Tuple[int, int]:
    """Height and width of an image or depth file from its header, without decoding pixels.

    Images and PNG/TIFF depth maps are opened with PIL, which reads only the header;
    ``.npy`` files are memory-mapped.

    Args:
        path (str): The file.
        what (str): ``'image'`` or ``'depth map'``, for the message.
        where (str): The sample, for the message.
        exif_orientation (bool): Give the size after the EXIF orientation is applied, as
            mmcv's ``LoadImageFromFile`` (OpenCV, colour) decodes JPEG and PNG images: an
            ``Orientation`` of 5 to 8 swaps height and width. Defaults to False (the stored
            size, as ``LoadDepthMap`` decodes depth maps unchanged).

    Returns:
        tuple[int, int]: ``(H, W)``.

    Raises:
        ValueError: The header cannot be read, the ``.npy`` file is not a plain array
            (corrupt, truncated, or pickled Python objects), or its array is not 2-D; the
            message names ``where`` and the file.
    """
    if osp.splitext(path)[1].lower() == '.npy':
        try:
            shape = np.load(path, mmap_mode='r', allow_pickle=False).shape
        except (ValueError, OSError, EOFError) as err:
            raise ValueError(f'{where}: cannot read the {what} {path} as a numpy array '
                             f'(.npy of numbers, no pickled objects): {err}') from None
        if len(shape) != 2:
            raise ValueError(f'{where}: {what} {path} must be a 2-D (H, W) array, got '
                             f'shape {shape}')
        return int(shape[0]), int(shape[1])
    try:
        with Image.open(path) as img:
            width, height = img.size
            if exif_orientation and img.format in EXIF_ROTATED_FORMATS:
                orientation = img.getexif().get(EXIF_ORIENTATION_TAG)
                if orientation in EXIF_SWAPPING_ORIENTATIONS:
                    width, height = height, width
    except (OSError, UnidentifiedImageError, EOFError) as err:
        raise ValueError(f'{where}: cannot read the {what} header of {path} ({err})') from None
    return int(height), int(width)


def check_pair_sizes(info: dict) -> None:
    """Raise naming both files when a sample's depth map and image differ in size.

    Args:
        info (dict): A data info with ``img_path``, ``depth_map_path`` (None: nothing to
            check) and ``split_line``.

    Raises:
        ValueError: The sizes differ, or a header cannot be read.
    """
    depth_path = info.get('depth_map_path')
    if depth_path is None:
        return
    where = info.get('split_line')
    img_hw = file_size_hw(info['img_path'], 'image', where, exif_orientation=True)
    depth_hw = file_size_hw(depth_path, 'depth map', where)
    if img_hw != depth_hw:
        raise ValueError(f'{where}: depth map of size {depth_hw} does not match its image of '
                         f'size {img_hw} (H, W): image {info["img_path"]}, depth {depth_path}')


def scan_folder(folder: str, extensions: Iterable[str], what: str,
                skip_suffix: Optional[str] = None) -> Dict[str, str]:
    """The files of a folder tree by name: relative path without extension -> relative path.

    Hidden files and folders (names starting with ``.``) are skipped; every other file
    must have one of ``extensions``.

    Args:
        folder (str): The folder.
        extensions (Iterable[str]): Accepted extensions, lower case with the dot.
        what (str): ``'image'`` or ``'depth'``, for the messages.
        skip_suffix (str, optional): Files whose name ends with it are skipped (the edge
            maps next to the depth maps).

    Returns:
        dict[str, str]: ``{'room1/0001': 'room1/0001.jpg', ...}``.

    Raises:
        FileNotFoundError: ``folder`` is not a directory.
        ValueError: Files with another extension (``unknown <what> format``, the first
            few named), or two files with the same name and different extensions.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{what} folder not found: {folder}')
    extensions = tuple(extensions)
    found: Dict[str, str] = {}
    unknown: List[str] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
        for name in sorted(filenames):
            if name.startswith('.') or (skip_suffix and name.endswith(skip_suffix)):
                continue
            rel = osp.relpath(osp.join(dirpath, name), folder).replace(os.sep, '/')
            stem, ext = osp.splitext(rel)
            if ext.lower() not in extensions:
                unknown.append(rel)
                continue
            if stem in found:
                raise ValueError(f'two {what} files have the name {stem!r}: '
                                 f'{osp.join(folder, found[stem])} and {osp.join(folder, rel)}')
            found[stem] = rel
    if unknown:
        raise ValueError(f'unknown {what} format: {len(unknown)} file(s) in {folder} have '
                         f'another extension than {", ".join(extensions)}: {first_names(unknown)}')
    return found


def parse_json_entry(entry, ann_file: str, index: int, default_focal: Optional[float],
                     require_depth: bool = False
                     ) -> Tuple[str, Optional[str], Optional[float], Optional[tuple]]:
    """Check and read one sample of a ``'json'`` layout list.

    Args:
        entry: The decoded list element.
        ann_file (str): The JSON file, for the messages.
        index (int): 0-based position in the list, for the messages.
        default_focal (float, optional): Focal length of samples without ``focal`` and
            ``intrinsics``.
        require_depth (bool): ``"depth": null`` is an error (training). Defaults to False.

    Returns:
        tuple: ``(rgb, depth or None, focal or None, (fx, fy, cx, cy) or None)``.

    Raises:
        ValueError: The entry is not an object, has a key outside :data:`JSON_KEYS`, lacks
            ``rgb`` or ``depth``, has a value of the wrong type, a focal length outside
            :data:`~mmdepth_dgr.datasets.bts_dataset.FOCAL_RANGE`, or both ``focal`` and
            ``intrinsics`` (file, entry index and key in the message).
    """
    where = f'{ann_file}[{index}]'
    if not isinstance(entry, dict):
        raise ValueError(f'{where}: expected an object like {{"rgb": "a.jpg", "depth": '
                         f'"a.png"}}, got {type(entry).__name__}: {entry!r:.80}')
    unknown = sorted(set(entry) - set(JSON_KEYS))
    if unknown:
        raise ValueError(f'{where}: unknown key(s) {", ".join(map(repr, unknown))}; a sample '
                         f'has the keys {", ".join(JSON_KEYS)} (focal and intrinsics optional)')
    rgb = entry.get('rgb')
    if not isinstance(rgb, str) or not rgb:
        raise ValueError(f"{where}: key 'rgb' must be a non-empty path string, got "
                         f"{'nothing (missing)' if 'rgb' not in entry else repr(rgb)}")
    if 'depth' not in entry:
        raise ValueError(f"{where}: missing key 'depth' (a path, or null for a sample "
                         'without ground truth in test mode)')
    depth = entry['depth']
    if depth is not None and (not isinstance(depth, str) or not depth):
        raise ValueError(f"{where}: key 'depth' must be a non-empty path string or null, got "
                         f'{depth!r}')
    if depth is None and require_depth:
        raise ValueError(f"{where}: 'depth' is null; every sample of a training set "
                         '(test_mode=False) needs a depth map. Samples without ground truth are '
                         'for inference only: build the dataset with test_mode=True.')
    if 'focal' in entry and 'intrinsics' in entry:
        raise ValueError(f"{where}: give either 'focal' or 'intrinsics' [fx, fy, cx, cy], "
                         'not both')
    focal, calib = default_focal, None
    if 'focal' in entry:
        if not _is_number(entry['focal']):
            raise ValueError(f"{where}: key 'focal' must be a number (pixels), got "
                             f"{entry['focal']!r}")
        focal = check_focal(float(entry['focal']), f'{where} focal')
    elif 'intrinsics' in entry:
        values = entry['intrinsics']
        if (not isinstance(values, list) or len(values) != 4
                or not all(_is_number(v) and math.isfinite(v) for v in values)):
            raise ValueError(f"{where}: key 'intrinsics' must be a list of 4 finite numbers "
                             f'[fx, fy, cx, cy] in pixels, got {values!r}')
        fx, fy, cx, cy = (float(v) for v in values)
        check_focal(fx, f'{where} intrinsics fx')
        check_focal(fy, f'{where} intrinsics fy')
        focal, calib = fx, (fx, fy, cx, cy)
    return rgb, depth, focal, calib


def depth_loaders(transforms: Sequence) -> List[LoadDepthAnnotation]:
    """The depth loaders (mmseg's ``LoadDepthAnnotation`` and subclasses such as
    ``LoadDepthMap``) of a built pipeline, also inside ``TestTimeAug`` and other wrappers.

    Args:
        transforms (Sequence): Built transforms (``Compose.transforms``).

    Returns:
        list[LoadDepthAnnotation]: The loaders, in order.
    """
    found: List[LoadDepthAnnotation] = []
    for transform in transforms:
        if isinstance(transform, LoadDepthAnnotation):
            found.append(transform)
        for attr in ('transforms', 'subroutines'):
            inner = getattr(transform, attr, None)
            if isinstance(inner, (list, tuple)):
                found += depth_loaders(inner)
    return found


@DATASETS.register_module()
class CustomDepthDataset(BTSDepthDataset):
    """Own RGB-D data: a split file, two folders matched by name, or a JSON list.

    See the module docstring for the three layouts. Each data info holds the keys of the
    BTS datasets' (``img_path``, ``rel_img_path``, ``depth_map_path`` or None, ``has_gt``,
    ``focal``, ``split_line``, ``depth_scale``, ``min_depth``, ``max_depth``, ``eval_crop``)
    plus ``calib``, the ``(fx, fy, cx, cy)`` of a JSON sample's ``intrinsics`` (else None).
    ``split_line`` names the sample in messages: ``file:line`` (split), ``file[index]``
    (JSON) or ``pair 'name'`` (folders). ``focal`` is the sample's own (split column, JSON
    ``focal`` or ``intrinsics`` fx), else ``default_focal``, else None (unknown; no model of
    this project reads it).

    Checked at load time, each error naming the sample and the file(s): missing and empty
    files (``check_files``), depth files of an unknown format (:data:`DEPTH_FORMATS`) or of a
    format the pipeline's ``LoadDepthMap`` does not decode (its ``decode_backend``), a depth
    map of another size than its image (``check_sizes``: both files named; read from the file
    headers, no pixel is decoded), JSON entries with unknown or missing keys, images without
    depth map and depth maps without image (``'folders'``: the first few listed), and a
    pipeline whose ``LoadDepthMap(depth_rescale_factor=...)`` is not ``1 / depth_scale``.

    Args:
        ann_file (str): Split file (``'split'``) or JSON list (``'json'``), relative to
            ``data_root`` unless absolute; ``''`` for ``'folders'``. Defaults to ``''``.
        layout (str): ``'split'``, ``'folders'`` or ``'json'``. Defaults to ``'folders'``.
        data_root (str): Dataset root. Defaults to ``''``.
        data_prefix (dict, optional): ``img_path`` and ``depth_map_path`` folders under
            ``data_root``; for ``'folders'`` they default to ``'rgb'`` and ``'depth'`` (and
            must differ), else to ``''``. JSON paths may also be absolute.
        depth_scale (float): Stored depth value per metre: 1000 for 16-bit PNGs in
            millimetres, 256 for KITTI-style PNGs, 1 for float metres. The pipeline's
            ``LoadDepthMap`` must use ``depth_rescale_factor=1 / depth_scale``.
            Defaults to 1000.
        min_depth (float): Smallest valid depth in metres. Defaults to 1e-3.
        max_depth (float): Largest valid depth in metres. Defaults to 10.
        default_focal (float, optional): Focal length (pixels) of samples without their own.
            Defaults to None.
        eval_crop (str, optional): Evaluation crop name stored in the metainfo. Defaults to
            None (the whole frame).
        check_files (bool): Check every file at load time. Defaults to True. Off, files are
            found when read (``LoadDepthMap`` also names both files of a size mismatch).
        check_sizes (bool): With ``check_files``, compare each depth map's size with its
            image's. Defaults to True.
        **kwargs: Passed to :class:`BTSDepthDataset` (``test_mode``, ``pipeline``,
            ``edge_map_suffix``, ...).

    Raises:
        ValueError: An unknown ``layout``, an ``ann_file`` missing (``'split'``, ``'json'``)
            or given (``'folders'``), a ``depth_scale`` that is not a positive finite number,
            or the errors of :class:`BTSDepthDataset` and :meth:`load_data_list`.
    """

    def __init__(self,
                 ann_file: str = '',
                 layout: str = 'folders',
                 data_root: str = '',
                 data_prefix: Optional[dict] = None,
                 depth_scale: float = 1000.0,
                 min_depth: float = 1e-3,
                 max_depth: float = 10.0,
                 default_focal: Optional[float] = None,
                 eval_crop: Optional[str] = None,
                 check_files: bool = True,
                 check_sizes: bool = True,
                 **kwargs) -> None:
        name = type(self).__name__
        if layout not in LAYOUTS:
            raise ValueError(f'{name}: unknown layout {layout!r}; choose one of '
                             f'{", ".join(map(repr, LAYOUTS))}')
        if layout == 'folders' and ann_file:
            raise ValueError(f"{name}: layout 'folders' pairs the files of two folders and "
                             f"reads no ann_file, got ann_file={ann_file!r}; use layout "
                             "'split' or 'json' for a list of samples")
        if layout != 'folders' and not ann_file:
            raise ValueError(f'{name}: layout {layout!r} needs ann_file (the '
                             f'{"split file" if layout == "split" else "JSON list"})')
        if not (_is_number(depth_scale) and math.isfinite(depth_scale) and depth_scale > 0):
            raise ValueError(f'{name}: depth_scale must be a positive number (stored value '
                             f'per metre, e.g. 1000 for millimetres), got {depth_scale!r}')
        if layout == 'folders':
            data_prefix = {'img_path': 'rgb', 'depth_map_path': 'depth', **(data_prefix or {})}
        self.layout = layout
        self.check_sizes = check_sizes
        self._depth_backends: Tuple[str, ...] = ()
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         depth_scale=depth_scale, min_depth=min_depth, max_depth=max_depth,
                         default_focal=default_focal, eval_crop=eval_crop,
                         check_files=check_files, **kwargs)
        self._metainfo.update(layout=layout)

    def load_data_list(self) -> List[dict]:
        """Read the samples of the layout and check them.

        Returns:
            list[dict]: One data info per sample (see the class docstring).

        Raises:
            FileNotFoundError: The ``ann_file`` or a folder, or (``check_files``) a
                sample's file, is missing.
            ValueError: A sample or the pipeline is wrong (see the class docstring), or
                there is no sample.
        """
        self._check_pipeline()
        if self.layout == 'folders':
            data_list = self._load_folders()
        else:
            if not osp.isfile(self.ann_file):
                raise FileNotFoundError(f'{type(self).__name__}: {self.layout} file not '
                                        f'found: {self.ann_file}')
            data_list = self._load_split() if self.layout == 'split' else self._load_json()
        if not data_list:
            source = self.ann_file or self.data_prefix['img_path']
            raise ValueError(f'{type(self).__name__}: {source} has no samples')
        self._log_missing_gt(data_list)
        return data_list

    def _check_pipeline(self) -> None:
        """Check that the pipeline's depth loaders turn stored values into metres with this
        dataset's ``depth_scale``, and remember the formats they decode.

        Raises:
            ValueError: A loader's ``depth_rescale_factor`` is not ``1 / depth_scale``.
        """
        loaders = depth_loaders(self.pipeline.transforms)
        for loader in loaders:
            factor = float(loader.depth_rescale_factor)
            if not math.isclose(factor * self.depth_scale, 1.0, rel_tol=1e-6):
                raise ValueError(
                    f'{type(self).__name__}: the pipeline\'s {type(loader).__name__} has '
                    f'depth_rescale_factor={factor!r}, but the dataset has depth_scale='
                    f'{self.depth_scale!r}: depths would be read {factor * self.depth_scale:g}'
                    f' times their size; set depth_rescale_factor=1 / {self.depth_scale:g} '
                    'or the dataset\'s depth_scale to the stored value per metre')
        self._depth_backends = tuple(sorted({loader.decode_backend for loader in loaders}))

    def _sample(self, rgb: str, depth: Optional[str], focal: Optional[float],
                calib: Optional[tuple], where: str) -> dict:
        """The data info of one sample, checked.

        Args:
            rgb (str): Image path relative to the image prefix (or absolute).
            depth (str, optional): Depth path relative to the depth prefix, or None.
            focal (float, optional): The focal length.
            calib (tuple, optional): ``(fx, fy, cx, cy)``.
            where (str): The sample, for messages (stored as ``split_line``).

        Returns:
            dict: The data info (:meth:`BTSDepthDataset.data_info` plus ``calib``).

        Raises:
            FileNotFoundError / ValueError: A file is missing, empty, of an unknown or
                undecoded depth format, or (``check_sizes``) of another size than its
                partner.
        """
        info = self.data_info(rgb, depth, focal, split_line=where, check=False, calib=calib)
        if info['depth_map_path'] is not None:
            backend = depth_decode_backend(info['depth_map_path'], where)
            if self._depth_backends and backend not in self._depth_backends:
                raise ValueError(
                    f'{where}: depth map {info["depth_map_path"]} needs LoadDepthMap('
                    f"decode_backend='{backend}'), but the pipeline's depth loader decodes "
                    f'with {", ".join(map(repr, self._depth_backends))}')
        self.check_info_files(info)
        if self.check_files and self.check_sizes:
            check_pair_sizes(info)
        return info

    def _load_split(self) -> List[dict]:
        """The samples of a ``rgb_path depth_path [focal]`` split file.

        Lines without focal get ``default_focal``, else None (unknown).

        Returns:
            list[dict]: One checked data info per non-blank line (:meth:`_sample`).

        Raises:
            FileNotFoundError / ValueError: A line is malformed or names a bad file
                (file and line in the message).
        """
        name = osp.basename(self.ann_file)
        return [self._sample(rgb, depth, focal, None, f'{name}:{lineno}')
                for lineno, rgb, depth, focal in self.split_lines(require_focal=False)]

    def _load_json(self) -> List[dict]:
        """The samples of a JSON list.

        Returns:
            list[dict]: One checked data info per entry (:meth:`_sample`).

        Raises:
            ValueError: The file is not valid JSON, not a list, or an entry is wrong
                (:func:`parse_json_entry`: file, index and key in the message).
            FileNotFoundError: An entry names a missing file.
        """
        try:
            with open(self.ann_file, encoding='utf-8') as f:
                entries = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{self.ann_file}: not valid JSON ({err.msg} at line {err.lineno},'
                             f' column {err.colno})') from None
        if not isinstance(entries, list):
            raise ValueError(f'{self.ann_file}: expected a JSON list of samples '
                             f'[{{"rgb": ..., "depth": ...}}, ...], got a '
                             f'{type(entries).__name__}')
        name = osp.basename(self.ann_file)
        data_list = []
        for index, entry in enumerate(entries):
            rgb, depth, focal, calib = parse_json_entry(entry, self.ann_file, index,
                                                        self.default_focal,
                                                        require_depth=not self.test_mode)
            data_list.append(self._sample(rgb, depth, focal, calib, f'{name}[{index}]'))
        return data_list

    def _load_folders(self) -> List[dict]:
        """The image / depth pairs of two folders, matched by name.

        Returns:
            list[dict]: One checked data info per pair (:meth:`_sample`), sorted by name.

        Raises:
            FileNotFoundError: A folder is missing.
            ValueError: The two folders are one, a file has an unknown format, or images
                without depth map or depth maps without image (the first few listed).
        """
        img_dir = self.data_prefix['img_path']
        depth_dir = self.data_prefix['depth_map_path']
        if osp.normpath(img_dir) == osp.normpath(depth_dir):
            raise ValueError(f"{type(self).__name__}: layout 'folders' needs two folders, got "
                             f'the image and depth folder {img_dir}; for images and depth maps '
                             "in one folder list them in a split file (layout 'split') or "
                             "a JSON list (layout 'json')")
        images = scan_folder(img_dir, IMG_EXTENSIONS, 'image')
        depths = scan_folder(depth_dir, DEPTH_FORMATS, 'depth', skip_suffix=self.edge_map_suffix)
        no_depth = sorted(images[k] for k in set(images) - set(depths))
        no_image = sorted(depths[k] for k in set(depths) - set(images))
        if no_depth or no_image:
            problems = []
            if no_depth:
                problems.append(f'{len(no_depth)} image(s) in {img_dir} have no depth map of '
                                f'the same name in {depth_dir}: {first_names(no_depth)}')
            if no_image:
                problems.append(f'{len(no_image)} depth map(s) in {depth_dir} have no image of '
                                f'the same name in {img_dir}: {first_names(no_image)}')
            raise ValueError(f'{type(self).__name__}: unmatched files: ' + '; '.join(problems)
                             + ' (files pair by their path below the folder without '
                             'extension, e.g. room1/0001.jpg <-> room1/0001.png)')
        return [self._sample(images[stem], depths[stem], self.default_focal, None,
                             f'pair {stem!r}') for stem in sorted(images)]


#: Where a depth config states its depth range: ``(key of the config, min key, max key)``.
#: The datasets' ``min_depth``/``max_depth`` are the valid GT range; the head's are the range
#: its output is squashed into; the evaluators' are the evaluated range.
DEPTH_RANGE_KEYS: Tuple[Tuple[str, str, str], ...] = (
    ('train_dataloader.dataset', 'min_depth', 'max_depth'),
    ('val_dataloader.dataset', 'min_depth', 'max_depth'),
    ('test_dataloader.dataset', 'min_depth', 'max_depth'),
    ('model.decode_head', 'min_depth', 'max_depth'),
    ('val_evaluator', 'min_depth_eval', 'max_depth_eval'),
    ('test_evaluator', 'min_depth_eval', 'max_depth_eval'),
)


def _cfg_at(cfg, dotted: str):
    """The sub-dict of a config at a dotted key, or None where a level is missing.

    Args:
        cfg (mmengine.Config | dict): The config.
        dotted (str): ``'model.decode_head'``.

    Returns:
        dict | None: The sub-dict (a one-element list, e.g. an evaluator list, is unpacked).
    """
    node = cfg
    for key in dotted.split('.'):
        if isinstance(node, (list, tuple)) and len(node) == 1:
            node = node[0]
        if not isinstance(node, (dict, Config)) or node.get(key) is None:
            return None
        node = node[key]
    if isinstance(node, (list, tuple)) and len(node) == 1:
        node = node[0]
    return node if isinstance(node, dict) else None


def check_depth_ranges(cfg) -> None:
    """Raise when a config's datasets, head and evaluators state different depth ranges.

    A child config that sets ``train_dataloader.dataset.max_depth`` does not change the
    head's ``max_depth`` or the metric's ``max_depth_eval`` (the base config's variables are
    read when the base is, so later overrides do not reach them): the network would still
    squash its output into the old range, and evaluation use the old cap. Every key of
    :data:`DEPTH_RANGE_KEYS` present in ``cfg`` must hold the same minimum and the same
    maximum.

    Args:
        cfg: The merged config (``runner.cfg``, or ``Config.fromfile``).

    Raises:
        ValueError: The values differ; the message lists every key with its value.
    """
    found = {'min': [], 'max': []}
    for where, min_key, max_key in DEPTH_RANGE_KEYS:
        node = _cfg_at(cfg, where)
        if node is None:
            continue
        for bound, key in (('min', min_key), ('max', max_key)):
            if _is_number(node.get(key)):
                found[bound].append((f'{where}.{key}', float(node[key])))
    problems = []
    for bound, values in found.items():
        if any(not math.isclose(v, values[0][1], rel_tol=1e-9) for _, v in values):
            problems.append(f'{bound}imum depths differ: '
                            + ', '.join(f'{key}={value:g}' for key, value in values))
    if problems:
        raise ValueError(
            'the depth range must be the same everywhere in the config: '
            + '; '.join(problems) + '. A child config that changes the range sets every one '
            'of these keys (README "Train on your own RGB-D data in four steps").')


@HOOKS.register_module()
class DepthRangeCheckHook(Hook):
    """Stop a run before anything is read when :func:`check_depth_ranges` fails.

    Listed in the runnable custom-data config's ``custom_hooks``; runs in ``before_run``
    of training and testing (``tools/train.py``, ``tools/test.py``).
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        """Check ``runner.cfg``.

        Args:
            runner (mmengine.runner.Runner): The runner.

        Raises:
            ValueError: See :func:`check_depth_ranges`.
        """
        check_depth_ranges(runner.cfg)
