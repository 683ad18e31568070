"""KITTI in the BTS layout from the official downloads: KITTI raw and the depth benchmark.

The KITTI raw data (synced + rectified) is ``RAW/<date>/<date>_drive_<id>_sync/image_02/data/
<frame>.png``; the depth benchmark's annotated depth maps (``data_depth_annotated.zip``) are
``ANNOTATED/{train,val}/<date>_drive_<id>_sync/proj_depth/groundtruth/image_0{2,3}/<frame>.png``.
BTS's split files name images relative to the raw root and depth maps relative to one folder
holding the drives of both ``train/`` and ``val/`` (``<drive>/proj_depth/groundtruth/...``);
the KITTI configs read them from ``data_root/raw`` and ``data_root/gt``
(:data:`KITTI_IMG_PREFIX`, :data:`KITTI_DEPTH_PREFIX`). :func:`link_kitti` builds that tree
without moving the downloads: ``OUT/raw`` is a link to ``RAW``, and ``OUT/gt/<drive>`` a link
to (or, with ``copy=True``, a copy of) each benchmark drive.
"""
import os
import os.path as osp
import shutil
from typing import Dict, List, Set, Tuple

#: ``data_prefix`` of the KITTI configs (``configs/_base_/datasets/kitti.py``).
KITTI_IMG_PREFIX = 'raw'
KITTI_DEPTH_PREFIX = 'gt'
#: The depth benchmark's folders merged into ``gt/``.
BENCHMARK_SPLITS = ('train', 'val')


def _tree_files(root: str) -> Set[Tuple[str, int]]:
    """``(relative path, size)`` of every file under ``root`` (links followed)."""
    files = set()
    for dirpath, _, names in os.walk(root, followlinks=True):
        for name in names:
            path = osp.join(dirpath, name)
            files.add((osp.relpath(path, root), osp.getsize(path)))
    return files


def _benchmark_drives(depth_benchmark: str) -> List[Tuple[str, str]]:
    """``(drive, source folder)`` of every drive of the benchmark's ``train/`` and ``val/``."""
    if not osp.isdir(depth_benchmark):
        raise FileNotFoundError(f'depth benchmark folder not found (not a directory): '
                                f'{depth_benchmark}')
    splits = [s for s in BENCHMARK_SPLITS if osp.isdir(osp.join(depth_benchmark, s))]
    if not splits:
        raise FileNotFoundError(
            f'{depth_benchmark} has neither train/ nor val/: expected the unpacked '
            'data_depth_annotated.zip (train/<drive>_sync/proj_depth/groundtruth/...)')
    drives: Dict[str, str] = {}
    for split in splits:
        split_dir = osp.join(depth_benchmark, split)
        for drive in sorted(os.listdir(split_dir)):
            source = osp.join(split_dir, drive)
            if not osp.isdir(source):
                continue
            if drive in drives:
                raise ValueError(f'drive {drive} is in both {drives[drive]} and {source}; '
                                 'they cannot be merged into one gt/ folder')
            drives[drive] = source
    return sorted(drives.items())


def _link_raw(raw: str, target: str) -> str:
    """Make ``target`` a link to ``raw``; returns ``'linked'`` or ``'kept'``."""
    if osp.lexists(target):
        if osp.realpath(target) == osp.realpath(raw):
            return 'kept'
        raise FileExistsError(f'{target} exists and is not {raw} (it resolves to '
                              f'{osp.realpath(target)}); remove it or choose another --out')
    os.symlink(osp.abspath(raw), target, target_is_directory=True)
    return 'linked'


def _place_drive(source: str, target: str, copy: bool) -> str:
    """Link or copy one benchmark drive to ``gt/<drive>``; returns what was done.

    An existing ``target`` is kept when it is ``source`` (a link made before) or holds the
    same files (same relative paths and sizes: a copy made before).
    """
    if osp.lexists(target):
        if osp.realpath(target) == osp.realpath(source):
            return 'kept'
        if osp.isdir(target) and _tree_files(target) == _tree_files(source):
            return 'kept'
        raise FileExistsError(f'{target} exists with other content than the benchmark drive '
                              f'{source}; remove it (or merge by hand) and run again')
    if copy:
        shutil.copytree(source, target)
        return 'copied'
    os.symlink(osp.abspath(source), target, target_is_directory=True)
    return 'linked'


def link_kitti(raw: str, depth_benchmark: str, out: str, copy: bool = False,
               progress: bool = True) -> Dict[str, int]:
    """Build the BTS KITTI tree ``out/raw`` + ``out/gt`` from the official downloads.

    Re-running is safe: what is already in place is kept.

    Args:
        raw (str): KITTI raw root (``<date>/<date>_drive_<id>_sync/image_02/data``).
        depth_benchmark (str): The unpacked ``data_depth_annotated`` (``train/``, ``val/``).
        out (str): The dataset root to write (``data/kitti``).
        copy (bool): Copy the benchmark drives instead of linking them (``raw`` is always
            linked). Defaults to False.
        progress (bool): Show a progress bar over the drives. Defaults to True.

    Returns:
        dict: How many drives were ``linked``, ``copied`` or ``kept``, and ``raw``
        (1 when the raw link was made).

    Raises:
        FileNotFoundError: ``raw`` or ``depth_benchmark`` is not a directory, or the latter
            has neither ``train/`` nor ``val/``.
        FileExistsError: ``out/raw`` or a ``out/gt/<drive>`` exists with other content.
        ValueError: A drive is in both ``train/`` and ``val/``.
    """
    if not osp.isdir(raw):
        raise FileNotFoundError(f'KITTI raw folder not found (not a directory): {raw}')
    drives = _benchmark_drives(depth_benchmark)
    gt_dir = osp.join(out, KITTI_DEPTH_PREFIX)
    os.makedirs(gt_dir, exist_ok=True)
    stats = {'linked': 0, 'copied': 0, 'kept': 0,
             'raw': int(_link_raw(raw, osp.join(out, KITTI_IMG_PREFIX)) == 'linked')}
    tasks = drives
    if progress and drives:
        from mmengine.utils import track_iter_progress
        tasks = track_iter_progress(drives)
    for drive, source in tasks:
        stats[_place_drive(source, osp.join(gt_dir, drive), copy)] += 1
    return stats
