"""Public generators of the synthetic NYU-like and KITTI-like datasets.

Both datasets go through one path, :func:`generate_dataset`: frames are
grouped into scenes (NYU) or drives (KITTI), each group is sampled once and
its frames are rendered and written one by one. What differs is described by
a :class:`DatasetSpec`: the scene renderer (how a group is sampled and a frame
rendered) and the :class:`~.writers.DatasetLayout` (where files go).

Every frame with a depth map also gets its exact occlusion-boundary map
(:mod:`.edges`), written next to the depth map as ``<depth name>_edges.png``
(:data:`~.formats.EDGE_MAP_SUFFIX`); the edges draw no random numbers, so the
images, depth maps and split files are those of a generator without them.

Everything is deterministic given the seed: each group and frame draws from
its own ``numpy.random.Generator`` seeded with
``[seed, dataset, split, 0, group]`` or ``[seed, dataset, split, 1, frame]``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TextIO, TypeVar

import numpy as np

from .formats import KITTI_NONE_FRACTION, kitti_focal, nyu_focal
from .indoor import IndoorScene, render_nyu_view, sample_nyu_room
from .street import StreetScene, render_kitti_view, sample_kitti_drive
from .writers import KITTI_LAYOUT, NYU_LAYOUT, DatasetLayout, write_frame, write_split_files

__all__ = [
    'KITTI_SPEC', 'MIN_IMAGE_SIZE', 'NYU_SPEC', 'DatasetSpec', 'GenerationResult', 'ProgressFn',
    'generate_dataset', 'generate_kitti', 'generate_nyu', 'make_progress_printer'
]

MIN_IMAGE_SIZE = 16
TRAIN, TEST = 0, 1

ProgressFn = Callable[[int, int], None]
GroupT = TypeVar('GroupT')


@dataclass(frozen=True)
class GenerationResult:
    """What a generator wrote.

    Attributes:
        out_dir: Dataset root.
        train_split: Path of the training split file.
        test_split: Path of the test split file.
        num_frames: Number of frames rendered (train + test).
    """

    out_dir: Path
    train_split: Path
    test_split: Path
    num_frames: int


@dataclass(frozen=True)
class DatasetSpec(Generic[GroupT]):
    """Everything :func:`generate_dataset` needs to know about one dataset.

    Attributes:
        stream: Dataset id in the random seeds (keeps datasets independent).
        groups_name: Name of the group-count argument, used in error messages.
        frames_per_group: Frames per group when the group count is automatic.
        focal: Image width -> focal length in pixels.
        sample_group: ``(rng, number, num_frames) -> (name, group)`` samples
            one scene or drive.
        render_frame: ``(group, index, rng, height, width, focal) -> (rgb,
            depth, edges)`` renders frame ``index`` of a group (``edges``: its
            exact occlusion boundaries, see :mod:`.edges`).
        layout: Where and how the files are written.
        none_fraction: Fraction of test frames written without ground truth.
    """

    stream: int
    groups_name: str
    frames_per_group: int
    focal: Callable[[int], float]
    sample_group: Callable[[np.random.Generator, int, int], tuple[str, GroupT]]
    render_frame: Callable[[GroupT, int, np.random.Generator, int, int, float],
                           tuple[np.ndarray, np.ndarray, np.ndarray]]
    layout: DatasetLayout
    none_fraction: float = 0.0


NYU_SPEC: DatasetSpec[IndoorScene] = DatasetSpec(
    stream=0, groups_name='num_scenes', frames_per_group=25, focal=nyu_focal,
    sample_group=sample_nyu_room, render_frame=render_nyu_view, layout=NYU_LAYOUT)
KITTI_SPEC: DatasetSpec[StreetScene] = DatasetSpec(
    stream=1, groups_name='num_drives', frames_per_group=50, focal=kitti_focal,
    sample_group=sample_kitti_drive, render_frame=render_kitti_view, layout=KITTI_LAYOUT,
    none_fraction=KITTI_NONE_FRACTION)


def _check_int(name: str, value: object, minimum: int) -> int:
    """Validate an integer argument, naming it in the error.

    Args:
        name: Argument name for the error message.
        value: The value.
        minimum: Smallest allowed value.

    Returns:
        ``value`` as a Python int.

    Raises:
        TypeError: If ``value`` is not an integer (booleans are rejected).
        ValueError: If ``value`` is below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f'{name} must be an integer, got {type(value).__name__}')
    if value < minimum:
        raise ValueError(f'{name} must be >= {minimum}, got {value}')
    return int(value)


def _check_common(num_train: object, num_test: object, height: object, width: object,
                  seed: object, groups: object, groups_name: str) -> None:
    """Validate the generator arguments (see :func:`generate_dataset`).

    Args:
        num_train: Training frames (>= 0).
        num_test: Test frames (>= 0).
        height: Image height (>= ``MIN_IMAGE_SIZE``).
        width: Image width (>= ``MIN_IMAGE_SIZE``).
        seed: Random seed (>= 0).
        groups: Group count (>= 1) or ``None``.
        groups_name: Name of the group-count argument for error messages.

    Raises:
        TypeError: If an argument is not an integer.
        ValueError: If an argument is out of range.
    """
    _check_int('num_train', num_train, 0)
    _check_int('num_test', num_test, 0)
    _check_int('height', height, MIN_IMAGE_SIZE)
    _check_int('width', width, MIN_IMAGE_SIZE)
    _check_int('seed', seed, 0)
    if groups is not None:
        _check_int(groups_name, groups, 1)


def _group_sizes(num_frames: int, num_groups: int | None, frames_per_group: int) -> list[int]:
    """Split ``num_frames`` into contiguous groups (scenes or drives).

    Args:
        num_frames: Frames of the split.
        num_groups: Requested group count (clipped to ``num_frames``), or
            ``None`` for one group per ``frames_per_group`` frames.
        frames_per_group: Group size used when ``num_groups`` is ``None``.

    Returns:
        Group sizes, as equal as possible, larger ones first.
    """
    if num_frames == 0:
        return []
    if num_groups is None:
        num_groups = math.ceil(num_frames / frames_per_group)
    num_groups = min(num_groups, num_frames)
    base, extra = divmod(num_frames, num_groups)
    return [base + (1 if g < extra else 0) for g in range(num_groups)]


def _frames_without_gt(num_test: int, fraction: float, seed: int, stream: int) -> set[int]:
    """Random test frames written without ground truth.

    Args:
        num_test: Test frames.
        fraction: Fraction of them without ground truth.
        seed: Generation seed.
        stream: Dataset id in the random seeds.

    Returns:
        Indices of those frames within the test split.
    """
    n_none = int(round(num_test * fraction))
    if not n_none:
        return set()
    rng = np.random.default_rng([seed, stream, TEST, 2])
    return {int(i) for i in rng.choice(num_test, size=n_none, replace=False)}


def _write_split_frames(spec: DatasetSpec, out: Path, split_id: int, sizes: list[int],
                        first_group: int, height: int, width: int, seed: int,
                        no_gt: set[int]) -> Iterator[str]:
    """Render and write the frames of one split, group by group.

    Args:
        spec: The dataset.
        out: Dataset root.
        split_id: ``TRAIN`` or ``TEST``.
        sizes: Frames per group.
        first_group: Number of the split's first group (numbers continue
            across splits, so train and test groups are disjoint).
        height: Image height.
        width: Image width.
        seed: Generation seed.
        no_gt: Indices of frames of this split written without ground truth.

    Yields:
        The split-file line of each frame, once its files are written.
    """
    focal = spec.focal(width)
    frame_idx = 0
    for g, size in enumerate(sizes):
        group_rng = np.random.default_rng([seed, spec.stream, split_id, 0, g])
        name, group = spec.sample_group(group_rng, first_group + g, size)
        for k in range(size):
            rng = np.random.default_rng([seed, spec.stream, split_id, 1, frame_idx])
            rgb, depth, edges = spec.render_frame(group, k, rng, height, width, focal)
            gt = None if frame_idx in no_gt else depth
            yield write_frame(spec.layout, out, split_id, name, k, rgb, gt, focal, edges)
            frame_idx += 1


def generate_dataset(spec: DatasetSpec, out_dir: str | Path, num_train: int, num_test: int,
                     height: int, width: int, seed: int = 0, num_groups: int | None = None,
                     progress: ProgressFn | None = None) -> GenerationResult:
    """Render and write a synthetic dataset described by ``spec``.

    Args:
        spec: The dataset (:data:`NYU_SPEC` or :data:`KITTI_SPEC`).
        out_dir: Output root (created if needed; existing files are overwritten).
        num_train: Number of training frames (>= 0).
        num_test: Number of test frames (>= 0).
        height: Image height (>= 16).
        width: Image width (>= 16); the focal length scales with it.
        seed: Non-negative random seed.
        num_groups: Scenes or drives per split (clipped to the split's frame
            count); ``None`` uses one per ``spec.frames_per_group`` frames.
            Train and test groups are disjoint.
        progress: Optional ``callback(done, total)`` called after each frame.

    Returns:
        The split-file paths and the number of frames.

    Raises:
        TypeError: If an integer argument is not an integer.
        ValueError: If an argument is out of range.
    """
    _check_common(num_train, num_test, height, width, seed, num_groups, spec.groups_name)
    out = Path(out_dir)
    train_sizes = _group_sizes(num_train, num_groups, spec.frames_per_group)
    test_sizes = _group_sizes(num_test, num_groups, spec.frames_per_group)
    no_gt = _frames_without_gt(num_test, spec.none_fraction, seed, spec.stream)
    total = num_train + num_test
    splits = ((TRAIN, train_sizes, 1, set()), (TEST, test_sizes, len(train_sizes) + 1, no_gt))
    lines: list[list[str]] = []
    done = 0
    for split_id, sizes, first_group, split_no_gt in splits:
        lines.append([])
        for line in _write_split_frames(spec, out, split_id, sizes, first_group, height, width,
                                        seed, split_no_gt):
            lines[-1].append(line)
            done += 1
            if progress is not None:
                progress(done, total)
    train_split, test_split = write_split_files(spec.layout, out, *lines)
    return GenerationResult(out, train_split, test_split, total)


def generate_nyu(out_dir: str | Path, num_train: int, num_test: int, height: int = 480,
                 width: int = 640, seed: int = 0, num_scenes: int | None = None,
                 progress: ProgressFn | None = None) -> GenerationResult:
    """Write an NYU-Depth-v2-like dataset (BTS ``sync`` layout + official test split).

    A thin wrapper of :func:`generate_dataset` with :data:`NYU_SPEC` and the
    NYU image size (480 x 640) as default; ``out_dir``, ``num_train``,
    ``num_test``, ``height``, ``width``, ``seed``, ``progress``, the result and
    the errors are documented there. Layout::

        <out>/sync/<scene>/rgb_00000.jpg, sync_depth_00000.png, sync_depth_00000_edges.png
        <out>/official_splits/test/<scene>/rgb_00000.jpg, sync_depth_00000.png,
            sync_depth_00000_edges.png
        <out>/splits/nyu_train.txt, nyu_test.txt

    ``*_edges.png`` are the exact occlusion boundaries (8-bit, 255 on the
    occluding side of a depth jump, see :mod:`.edges`); the split files do not
    list them.

    Args:
        num_scenes: ``num_groups`` of :func:`generate_dataset`, here scenes
            (rooms) per split; ``None`` uses one per 25 frames.

    Returns:
        What :func:`generate_dataset` returns.
    """
    return generate_dataset(NYU_SPEC, out_dir, num_train, num_test, height, width, seed,
                            num_scenes, progress)


def generate_kitti(out_dir: str | Path, num_train: int, num_test: int, height: int = 375,
                   width: int = 1242, seed: int = 0, num_drives: int | None = None,
                   progress: ProgressFn | None = None) -> GenerationResult:
    """Write a KITTI-like dataset (raw images + annotated depth, Eigen split files).

    Like :func:`generate_nyu`, a thin wrapper of :func:`generate_dataset`
    (which documents the other arguments), here with :data:`KITTI_SPEC` and
    the KITTI image size (375 x 1242) as default. Layout::

        <out>/raw/2011_09_26/<drive>/image_02/data/0000000000.png
        <out>/gt/<drive>/proj_depth/groundtruth/image_02/0000000000.png,
            0000000000_edges.png
        <out>/splits/kitti_eigen_train.txt, kitti_eigen_test.txt

    The edge maps (``*_edges.png``, as for :func:`generate_nyu`) are those of
    the full-resolution dense render, although the written depth is sparse.

    About 6.5% of the test lines (as in the real file, 45 of 697) have ``None``
    as depth path and no depth file.

    Args:
        num_drives: Drives per split (the ``num_groups`` of
            :func:`generate_dataset`); ``None`` uses one per 50 frames.

    Returns:
        The split-file paths and the number of frames, as from
        :func:`generate_dataset`.
    """
    return generate_dataset(KITTI_SPEC, out_dir, num_train, num_test, height, width, seed,
                            num_drives, progress)


def make_progress_printer(name: str, every_percent: int = 10,
                          stream: TextIO | None = None) -> ProgressFn:
    """Progress callback printing a line each time ``every_percent`` is crossed.

    Args:
        name: Label printed in front of the progress.
        every_percent: Reporting granularity in percent.
        stream: Output stream (``sys.stdout`` by default).

    Returns:
        Callback ``(done, total) -> None``.
    """
    last = [-1]

    def report(done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if pct // every_percent > last[0]:
            last[0] = pct // every_percent
            print(f'[{name}] {done}/{total} frames ({pct}%)', file=stream or sys.stdout,
                  flush=True)

    return report
