"""Check a BTS-format split file against a data tree, with the datasets' own path rules.

A line ``rgb_path depth_path [focal]`` names ``<root>/<img_prefix>/<rgb_path>`` and
``<root>/<depth_prefix>/<depth_path>`` (leading slashes of the line's paths removed, as
:func:`~mmdepth_dgr.datasets.bts_dataset.parse_split_line` does; a depth of ``None`` or a
one-column line has no ground truth). A file counts as present when it exists and is not
empty, the condition :func:`~mmdepth_dgr.datasets.bts_dataset.check_sample_files` enforces
when a dataset is built.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..bts_dataset import parse_split_line

#: How many missing paths of each kind a report lists.
MAX_EXAMPLES = 5


@dataclass
class SplitCheck:
    """What :func:`check_split` found for one split file.

    Attributes:
        split_file (str): The split file.
        lines (int): Non-blank lines.
        present (int): Lines whose files all exist (image, and depth unless ``None``).
        missing_image (int): Lines whose image is missing or empty.
        missing_depth (int): Lines naming a depth map that is missing or empty (a line can
            miss both and is then counted in both).
        no_gt (int): Lines without ground truth (depth ``None`` or one column).
        missing_image_paths (list[str]): The first :data:`MAX_EXAMPLES` missing images.
        missing_depth_paths (list[str]): The first :data:`MAX_EXAMPLES` missing depth maps.
    """

    split_file: str
    lines: int = 0
    present: int = 0
    missing_image: int = 0
    missing_depth: int = 0
    no_gt: int = 0
    missing_image_paths: List[str] = field(default_factory=list)
    missing_depth_paths: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No image is missing (missing depth maps only lose ground truth)."""
        return self.missing_image == 0


def _present(path: str) -> bool:
    return osp.isfile(path) and osp.getsize(path) > 0


def check_split(split_file: str, data_root: str, img_prefix: str = '',
                depth_prefix: str = '', max_examples: int = MAX_EXAMPLES) -> SplitCheck:
    """Check every line of a split file against ``data_root``.

    Args:
        split_file (str): BTS-format split file.
        data_root (str): The dataset root (``data_root`` of the config).
        img_prefix (str): ``data_prefix['img_path']`` of the config.
        depth_prefix (str): ``data_prefix['depth_map_path']`` of the config.
        max_examples (int): How many missing paths of each kind to keep.

    Returns:
        SplitCheck: The counts and the first missing paths.

    Raises:
        FileNotFoundError: The split file or ``data_root`` does not exist.
        ValueError: A malformed line (as the datasets reject it), naming file and line.
    """
    if not osp.isfile(split_file):
        raise FileNotFoundError(f'split file not found: {split_file}')
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data root not found (not a directory): {data_root}')
    img_dir = osp.join(data_root, img_prefix)
    depth_dir = osp.join(data_root, depth_prefix)
    result = SplitCheck(split_file=split_file)
    with open(split_file, encoding='utf-8') as f:
        for lineno, line in enumerate(f, start=1):
            # The focal is not checked here beyond what parsing does; 1.0 only fills
            # lines without one.
            parsed = parse_split_line(line, split_file, lineno, default_focal=1.0)
            if parsed is None:
                continue
            rgb, depth, _ = parsed
            result.lines += 1
            ok = True
            img_path = osp.join(img_dir, rgb)
            if not _present(img_path):
                ok = False
                result.missing_image += 1
                if len(result.missing_image_paths) < max_examples:
                    result.missing_image_paths.append(img_path)
            if depth is None:
                result.no_gt += 1
            else:
                depth_path = osp.join(depth_dir, depth)
                if not _present(depth_path):
                    ok = False
                    result.missing_depth += 1
                    if len(result.missing_depth_paths) < max_examples:
                        result.missing_depth_paths.append(depth_path)
            result.present += ok
    return result


def format_split_check(result: SplitCheck) -> str:
    """A report of a :class:`SplitCheck`: the counts, then the first missing paths."""
    lines = [f'{result.split_file}: {result.lines} lines: {result.present} present, '
             f'{result.missing_image} missing image, {result.missing_depth} missing depth, '
             f'{result.no_gt} None (no ground truth)']
    for kind, count, paths in (('image', result.missing_image, result.missing_image_paths),
                               ('depth', result.missing_depth, result.missing_depth_paths)):
        for path in paths:
            lines.append(f'  missing {kind}: {path}')
        if count > len(paths):
            lines.append(f'  ... and {count - len(paths)} more missing {kind} files')
    return '\n'.join(lines)


def check_splits(split_files: Sequence[str], data_root: str,
                 prefixes: Callable[[str], Tuple[str, str]],
                 log: Callable[[str], None] = print) -> int:
    """Check and report several split files; the exit status of the tools that do it.

    Args:
        split_files (Sequence[str]): The split files.
        data_root (str): The tree they are checked against.
        prefixes (Callable[[str], tuple[str, str]]): ``(img_prefix, depth_prefix)`` of a split.
        log (Callable[[str], None]): Where each :func:`format_split_check` report goes.

    Returns:
        int: 0 when no split misses an image, else 1.
    """
    status = 0
    for split in split_files:
        result = check_split(split, data_root, *prefixes(split))
        log(format_split_check(result))
        status = status or int(not result.ok)
    return status


def prefixes_from_config(config_file: str, split_file: Optional[str] = None) -> Tuple[str, str]:
    """The ``(img_path, depth_map_path)`` prefixes a dataset config joins a split's paths with.

    The train, val and test dataloaders of the config are searched for the one whose
    ``ann_file`` has the split file's name (NYU's train and test sets have different
    prefixes); when none has, the prefixes are taken if all dataloaders share them.

    Args:
        config_file (str): A dataset config, e.g. ``configs/_base_/datasets/nyu.py``.
        split_file (str, optional): The split file to be checked.

    Returns:
        tuple[str, str]: The image and depth prefixes.

    Raises:
        ValueError: The dataloaders have different prefixes and none reads this split.
    """
    from mmengine.config import Config

    cfg = Config.fromfile(config_file)
    found: Dict[str, Tuple[str, str]] = {}
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg.get(key, {}).get('dataset', {})
        prefix = dataset.get('data_prefix') or {}
        if 'ann_file' in dataset:
            found[osp.basename(dataset['ann_file'])] = (prefix.get('img_path', ''),
                                                        prefix.get('depth_map_path', ''))
    if split_file is not None and osp.basename(split_file) in found:
        return found[osp.basename(split_file)]
    if len(set(found.values())) == 1:
        return next(iter(found.values()))
    raise ValueError(f'{config_file}: no dataloader reads a split named '
                     f'{osp.basename(split_file or "")!r} and the prefixes differ between '
                     f'its dataloaders ({found}); pass --img-prefix and --depth-prefix')
