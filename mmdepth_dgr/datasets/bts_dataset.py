"""Base class for depth datasets described by BTS-format split files."""
import inspect
import math
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmseg.registry import DATASETS

#: Plausible focal lengths in pixels, inclusive (NYU 518.9, KITTI 707-721; a 64-pixel-wide
#: synthetic frame about 52). Values outside are typos or unit mix-ups (``inf``, ``1e-300``).
FOCAL_RANGE: Tuple[float, float] = (1.0, 1e5)


#: How many names an error about unmatched or unknown files lists.
MAX_LISTED = 5


def first_names(names: Sequence[str], n: int = MAX_LISTED) -> str:
    """The first names of a list, for a message.

    Args:
        names (Sequence[str]): The names.
        n (int): How many to list. Defaults to :data:`MAX_LISTED`.

    Returns:
        str: ``'a, b, c'`` of the first ``n`` names, with ``', ...'`` when there are more.
    """
    return ', '.join(names[:n]) + (', ...' if len(names) > n else '')


def check_focal(focal: float, where: str) -> float:
    """Check that a focal length is a finite number of pixels in :data:`FOCAL_RANGE`.

    Args:
        focal (float): The focal length.
        where (str): Where it comes from (``file:line`` or an argument name), for the message.

    Returns:
        float: ``focal``.

    Raises:
        ValueError: ``focal`` is NaN, infinite, not positive or outside :data:`FOCAL_RANGE`.
    """
    low, high = FOCAL_RANGE
    if not math.isfinite(focal):
        raise ValueError(f'{where}: focal length must be a finite number, got {focal!r}')
    if not focal > 0:
        raise ValueError(f'{where}: focal length must be positive, got {focal!r}')
    if not low <= focal <= high:
        raise ValueError(f'{where}: focal length {focal!r} px is outside the plausible range '
                         f'[{low:g}, {high:g}] px')
    return focal


def check_sample_files(info: dict, keys: Sequence[str] = ('img_path', 'depth_map_path')) -> None:
    """Raise naming the split line and the file when a sample's file is missing or empty.

    Args:
        info (dict): A data info with ``split_line`` and the path ``keys`` (None is skipped).
        keys (Sequence[str]): The path keys to check.

    Raises:
        FileNotFoundError: A file does not exist.
        ValueError: A file is empty (0 bytes).
    """
    for key in keys:
        path = info.get(key)
        if path is None:
            continue
        where = f'{info.get("split_line")}: {key}'
        if not osp.isfile(path):
            raise FileNotFoundError(f'{where} file not found: {path}')
        if osp.getsize(path) == 0:
            raise ValueError(f'{where} file is empty (0 bytes): {path}')


def edge_map_path(depth_path: Optional[str], suffix: str) -> Optional[str]:
    """The edge map belonging to a depth map: its path with the extension replaced.

    Args:
        depth_path (str, optional): The depth map's path, or None.
        suffix (str): The edge maps' suffix, e.g. ``'_edges.png'``.

    Returns:
        str | None: ``'a/foo_edges.png'`` for ``'a/foo.png'``; None for None.
    """
    if depth_path is None:
        return None
    return osp.splitext(depth_path)[0] + suffix


def parse_split_line(line: str, ann_file: str, lineno: int,
                     default_focal: Optional[float],
                     require_depth: bool = False,
                     require_focal: bool = True
                     ) -> Optional[Tuple[str, Optional[str], Optional[float]]]:
    """Parse one line of a BTS split file.

    BTS split files hold ``rgb_path depth_path focal`` per line. The community's
    files also have two-column lines (``rgb_path depth_path``, KITTI benchmark
    val) and one-column lines (``rgb_path``, KITTI benchmark test), and KITTI
    Eigen test lines whose depth is ``None`` (no ground truth).

    Args:
        line (str): The raw line.
        ann_file (str): Split file name, for error messages.
        lineno (int): 1-based line number, for error messages.
        default_focal (float, optional): Focal length used when the line has none.
        require_depth (bool): The line must name a depth map (training splits):
            one-column and ``None`` lines are errors. Defaults to False.
        require_focal (bool): A line without focal needs a ``default_focal``.
            Defaults to True; False gives such lines the focal None (unknown).

    Returns:
        tuple | None: ``(rgb_path, depth_path or None, focal)`` with leading
        slashes removed (``focal`` None only with ``require_focal=False``), or
        None for a blank line.

    Raises:
        ValueError: The line has more than three fields, a focal that is not a
            number in :data:`FOCAL_RANGE`, no focal and no ``default_focal``
            (``require_focal``), or (``require_depth``) no depth path.
    """
    fields = line.split()
    if not fields:
        return None
    if len(fields) > 3:
        raise ValueError(f'{ann_file}:{lineno}: expected "rgb_path [depth_path [focal]]" '
                         f'(at most 3 fields), got {len(fields)} fields: {line.strip()!r}')
    rgb = fields[0].lstrip('/')
    depth = fields[1].lstrip('/') if len(fields) > 1 else None
    if depth == 'None':
        depth = None
    if depth is None and require_depth:
        raise ValueError(f'{ann_file}:{lineno}: no depth map on this line ({line.strip()!r}); '
                         'every line of a training split (test_mode=False) needs '
                         '"rgb_path depth_path [focal]". Lines without ground truth are for '
                         'inference only: build the dataset with test_mode=True.')
    if len(fields) == 3:
        try:
            focal = float(fields[2])
        except ValueError:
            raise ValueError(f'{ann_file}:{lineno}: focal length {fields[2]!r} is not a '
                             f'number in line {line.strip()!r}') from None
        check_focal(focal, f'{ann_file}:{lineno}')
    elif default_focal is None:
        if not require_focal:
            return rgb, depth, None
        raise ValueError(f'{ann_file}:{lineno}: line has no focal length and the dataset '
                         f'has no default_focal: {line.strip()!r}')
    else:
        focal = float(default_focal)
    return rgb, depth, focal


@DATASETS.register_module()
class BTSDepthDataset(BaseDataset):
    """Monocular depth dataset read from a BTS-format split file.

    Each line of ``ann_file`` is ``rgb_path depth_path focal``, paths relative to
    ``data_root/data_prefix['img_path']`` and ``data_root/data_prefix['depth_map_path']``.
    Lines whose depth is ``None`` (or missing) are kept in test mode, so every
    image can be run through the model, but carry no ground truth: the metric
    skips them and logs how many it skipped. A training dataset
    (``test_mode=False``) refuses them (error naming the file and line). Focal
    lengths must lie in :data:`FOCAL_RANGE` pixels.

    Every sample's metainfo holds ``focal``, ``depth_scale`` (PNG value per metre),
    ``min_depth``/``max_depth`` and ``eval_crop`` (the crop the community uses
    for this dataset), so they can be packed with ``PackSegInputs(meta_keys=...)``.

    Args:
        ann_file (str): Split file, relative to ``data_root`` unless absolute.
        data_root (str): Dataset root.
        data_prefix (dict): ``img_path`` and ``depth_map_path`` sub-folders.
        depth_scale (float): PNG value per metre (NYU 1000, KITTI 256).
        min_depth (float): Smallest valid depth in metres.
        max_depth (float): Largest valid depth in metres.
        default_focal (float, optional): Focal for lines without one.
        eval_crop (str, optional): Evaluation crop name stored in the metainfo.
        check_files (bool): Check at load time that every listed image and depth
            file (and edge map, with ``edge_map_suffix``) exists and is not empty,
            and raise naming the first bad one. Set False to parse split files
            without the data (lazy mode); the image of a sample is still checked
            when the sample is read.
        edge_map_suffix (str, optional): Each sample with a depth map also has a
            ground-truth edge map (occlusion boundaries, read by
            ``LoadDepthEdgeMap``) whose path is the depth path with its extension
            replaced by this suffix: ``'_edges.png'`` gives
            ``sync_depth_00000.png`` -> ``sync_depth_00000_edges.png``, the files
            of the synthetic generator. Sets ``edge_map_path`` in every data info
            (None without depth). Defaults to None: no edge maps, no
            ``edge_map_path`` key.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.

    Raises:
        ValueError: ``min_depth >= max_depth``, ``default_focal`` outside
            :data:`FOCAL_RANGE`, or an empty or path-like ``edge_map_suffix``.
    """

    #: Depth has no classes; ``classes`` and ``palette`` are None and exist for mmseg's APIs:
    #: ``init_model`` copies the checkpoint's ``dataset_meta`` (this metainfo, saved by
    #: mmengine) to ``model.dataset_meta``, which ``show_result_pyplot`` indexes by these keys.
    METAINFO: Dict = dict(classes=None, palette=None)

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: Optional[dict] = None,
                 depth_scale: float = 1000.0,
                 min_depth: float = 1e-3,
                 max_depth: float = 10.0,
                 default_focal: Optional[float] = None,
                 eval_crop: Optional[str] = None,
                 check_files: bool = True,
                 edge_map_suffix: Optional[str] = None,
                 **kwargs) -> None:
        if edge_map_suffix is not None and (
                not isinstance(edge_map_suffix, str) or not edge_map_suffix
                or '/' in edge_map_suffix or '\\' in edge_map_suffix):
            raise ValueError(f'edge_map_suffix must be None or a non-empty file name suffix '
                             f"such as '_edges.png', got {edge_map_suffix!r}")
        if not min_depth < max_depth:
            raise ValueError(f'min_depth ({min_depth}) must be below max_depth ({max_depth})')
        if default_focal is not None:
            default_focal = check_focal(float(default_focal), f'{type(self).__name__} '
                                        'default_focal')
        self.depth_scale = float(depth_scale)
        self.min_depth = float(min_depth)
        self.max_depth = float(max_depth)
        self.default_focal = default_focal
        self.eval_crop = eval_crop
        self.check_files = check_files
        self.edge_map_suffix = edge_map_suffix
        data_prefix = {'img_path': '', 'depth_map_path': '', **(data_prefix or {})}
        super().__init__(ann_file=ann_file, data_root=data_root,
                         data_prefix=data_prefix, **kwargs)
        self._metainfo.update(depth_scale=self.depth_scale, min_depth=self.min_depth,
                              max_depth=self.max_depth, eval_crop=eval_crop)

    def sample_meta(self, lineno: int) -> dict:
        """What every sample carries besides its files and camera: the depth encoding and
        caps, the evaluation crop, the split line (for messages) and mmseg's fields.

        Args:
            lineno (int): The sample's 1-based line in ``ann_file``.

        Returns:
            dict: The keys.
        """
        return dict(depth_scale=self.depth_scale, min_depth=self.min_depth,
                    max_depth=self.max_depth, eval_crop=self.eval_crop,
                    split_line=f'{osp.basename(self.ann_file)}:{lineno}', seg_fields=[],
                    reduce_zero_label=False)

    def load_data_list(self) -> List[dict]:
        """Parse the split file into data infos.

        Returns:
            list[dict]: One dict per line with ``img_path``, ``depth_map_path``
            (None without ground truth), ``focal``, ``has_gt`` and the dataset
            metainfo keys, and with ``edge_map_suffix`` set ``edge_map_path``
            (None without ground truth).

        Raises:
            FileNotFoundError: The split file, or (``check_files``) a listed file,
                is missing.
            ValueError: A line is malformed, or a training line has no depth map, or
                (``check_files``) a listed file is empty (file and line number in the
                message).
        """
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'{type(self).__name__}: split file not found: '
                                    f'{self.ann_file}')
        data_list = [self.data_info(rgb, depth, focal, lineno=lineno)
                     for lineno, rgb, depth, focal in self.split_lines()]
        if not data_list:
            raise ValueError(f'{type(self).__name__}: split file {self.ann_file} has no samples')
        self._log_missing_gt(data_list)
        return data_list

    def split_lines(self, require_focal: bool = True
                    ) -> Iterator[Tuple[int, str, Optional[str], Optional[float]]]:
        """The parsed non-blank lines of ``ann_file`` (:func:`parse_split_line`).

        Args:
            require_focal (bool): Lines without focal need ``default_focal``. Defaults to
                True; False gives them the focal None (unknown).

        Yields:
            tuple: ``(lineno, rgb_path, depth_path or None, focal)``, ``lineno`` 1-based.

        Raises:
            ValueError: A line is malformed or, in a training set, has no depth map.
        """
        with open(self.ann_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, start=1):
                parsed = parse_split_line(line, self.ann_file, lineno, self.default_focal,
                                          require_depth=not self.test_mode,
                                          require_focal=require_focal)
                if parsed is not None:
                    yield (lineno, *parsed)

    def data_info(self, rgb: str, depth: Optional[str], focal: Optional[float],
                  lineno: int = 0, split_line: Optional[str] = None, check: bool = True,
                  extra_path_keys: Sequence[str] = (), **extra) -> dict:
        """The data info of one sample: its files under the prefixes and the metainfo.

        Args:
            rgb (str): Image path relative to ``data_prefix['img_path']`` (or absolute).
            depth (str, optional): Depth path relative to ``data_prefix['depth_map_path']``
                (or absolute); None without ground truth.
            focal (float, optional): The sample's focal length.
            lineno (int): 1-based line in ``ann_file`` (the default ``split_line``).
                Defaults to 0.
            split_line (str, optional): How messages name the sample, instead of
                ``<ann_file>:<lineno>``. Defaults to None.
            check (bool): With ``check_files``, check the files now
                (:meth:`check_info_files`). Defaults to True.
            extra_path_keys (Sequence[str]): Keys of ``extra`` that are files to check too.
                Defaults to ().
            **extra: More keys of the data info.

        Returns:
            dict: ``img_path``, ``rel_img_path``, ``depth_map_path`` (None without ground
            truth), ``has_gt``, ``focal``, ``extra``, the :meth:`sample_meta` keys, and
            with ``edge_map_suffix`` ``edge_map_path``.

        Raises:
            FileNotFoundError / ValueError: (``check`` and ``check_files``) a file is
                missing or empty.
        """
        info = dict(
            img_path=osp.join(self.data_prefix.get('img_path', ''), rgb),
            rel_img_path=rgb,
            depth_map_path=(osp.join(self.data_prefix.get('depth_map_path', ''), depth)
                            if depth else None),
            has_gt=depth is not None,
            focal=focal,
            **extra,
            **self.sample_meta(lineno))
        if split_line is not None:
            info['split_line'] = split_line
        if self.edge_map_suffix is not None:
            info['edge_map_path'] = edge_map_path(info['depth_map_path'],
                                                  self.edge_map_suffix)
        if check:
            self.check_info_files(info, extra_path_keys)
        return info

    def check_info_files(self, info: dict, extra_path_keys: Sequence[str] = ()) -> None:
        """With ``check_files``, check that a :meth:`data_info`'s files exist and are not
        empty (:func:`check_sample_files`): image, depth map, edge map (with
        ``edge_map_suffix``) and ``extra_path_keys``.

        Args:
            info (dict): A data info from :meth:`data_info`.
            extra_path_keys (Sequence[str]): More path keys to check. Defaults to ().

        Raises:
            FileNotFoundError: A file does not exist.
            ValueError: A file is empty.
        """
        if not self.check_files:
            return
        keys = ('img_path', 'depth_map_path', *extra_path_keys)
        if self.edge_map_suffix is not None:
            keys += ('edge_map_path', )
        check_sample_files(info, keys)

    def prepare_data(self, idx: int):
        """Check that the sample's image is not empty, then run the pipeline.

        mmcv's ``LoadImageFromFile`` fails on a zero-byte image with an OpenCV
        assertion that does not name the file; this check names it and the split
        line, also when ``check_files`` is off or the file changed since. Paths
        that are not local files are left to the loaders (other file backends).

        Args:
            idx (int): Sample index.

        Returns:
            Any: The pipeline's output (as mmengine's ``BaseDataset.prepare_data``).

        Raises:
            ValueError: The image file is empty.
        """
        data_info = self.get_data_info(idx)
        path = data_info.get('img_path')
        if path is not None and osp.isfile(path) and osp.getsize(path) == 0:
            raise ValueError(f'{data_info.get("split_line")}: img_path file is empty '
                             f'(0 bytes): {path}')
        return self.pipeline(data_info)

    def _log_missing_gt(self, data_list: Sequence[dict]) -> None:
        """Log how many samples have no ground truth (kept for inference only)."""
        n_missing = sum(not info['has_gt'] for info in data_list)
        if n_missing:
            print_log(f'{type(self).__name__}: {n_missing} of {len(data_list)} lines of '
                      f'{self.ann_file} have no depth ground truth (None); they are kept '
                      'for inference and excluded from evaluation.', logger='current')


def dataset_focal(dataset_cfg: Dict) -> float:
    """The focal length (pixels) a dataset config gives split lines without one.

    The config's ``default_focal`` when set, else the dataset class's default (NYU
    518.8579, KITTI 721.5377).

    Args:
        dataset_cfg (dict): A dataset config (e.g. ``cfg.train_dataloader.dataset``).

    Returns:
        float: The focal length.

    Raises:
        ValueError: The dataset type is not registered or has no default focal length.
    """
    if dataset_cfg.get('default_focal') is not None:
        return float(dataset_cfg['default_focal'])
    dataset_type = dataset_cfg.get('type')
    cls = DATASETS.get(dataset_type) if isinstance(dataset_type, str) else dataset_type
    if cls is None:
        raise ValueError(f'dataset type {dataset_type!r} is not registered in mmseg\'s '
                         'DATASETS')
    default = inspect.signature(cls.__init__).parameters.get('default_focal')
    if default is None or default.default in (None, inspect.Parameter.empty):
        raise ValueError(f'{cls.__name__} has no default focal length; give the intrinsics')
    return float(default.default)
