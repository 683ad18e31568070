"""Writers of the NYU-Depth-v2 (BTS) and KITTI file layouts and split files.

Both layouts are described by a :class:`DatasetLayout` (directories, file name
patterns, split-file names and depth encoding), so one :func:`write_frame`
serves both datasets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from .formats import (
    KITTI_DATE,
    KITTI_DEPTH_SCALE,
    KITTI_MAX_DEPTH,
    NYU_DEPTH_SCALE,
    NYU_MAX_DEPTH,
    edge_map_name,
)

__all__ = [
    'JPEG_QUALITY', 'KITTI_LAYOUT', 'NO_DEPTH', 'NYU_LAYOUT', 'PNG_COMPRESSION', 'DatasetLayout',
    'encode_depth', 'encode_kitti_depth', 'encode_nyu_depth', 'write_edge_map', 'write_frame',
    'write_png16', 'write_rgb', 'write_split', 'write_split_files'
]

JPEG_QUALITY = 95
PNG_COMPRESSION = 3
NO_DEPTH = 'None'


def encode_depth(depth: np.ndarray, max_depth: float, scale: float) -> np.ndarray:
    """Encode metric depth as uint16 ``depth * scale`` (0 = invalid).

    Args:
        depth: Depth in metres; non-finite, non-positive or > ``max_depth``
            is invalid.
        max_depth: Largest valid depth in metres.
        scale: Encoded units per metre.

    Returns:
        uint16 array of the same shape.
    """
    valid = np.isfinite(depth) & (depth > 0) & (depth <= max_depth)
    return np.where(valid, np.rint(np.where(valid, depth, 0) * scale), 0).astype(np.uint16)


#: NYU encoding: uint16 millimetres, valid up to 10 m.
encode_nyu_depth = partial(encode_depth, max_depth=NYU_MAX_DEPTH, scale=NYU_DEPTH_SCALE)
#: KITTI encoding: uint16 ``depth * 256``, valid up to 80 m.
encode_kitti_depth = partial(encode_depth, max_depth=KITTI_MAX_DEPTH, scale=KITTI_DEPTH_SCALE)


def write_rgb(path: Path, rgb: np.ndarray) -> None:
    """Write an RGB uint8 image, creating its directory.

    Args:
        path: Output file; a ``.jpg``/``.jpeg`` suffix writes JPEG (quality
            95), any other suffix is encoded by OpenCV with PNG compression
            parameters.
        rgb: uint8 RGB image, shape (H, W, 3).

    Raises:
        OSError: If OpenCV cannot encode the image.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    if path.suffix.lower() in ('.jpg', '.jpeg'):
        params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    else:
        params = [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION]
    ok, buf = cv2.imencode(path.suffix, bgr, params)
    if not ok:
        raise OSError(f'could not encode {path}')
    path.write_bytes(buf.tobytes())


def write_png16(path: Path, depth: np.ndarray) -> None:
    """Write a uint16 single-channel PNG, creating its directory.

    Args:
        path: Output file.
        depth: Encoded depth map, shape (H, W); cast to uint16.

    Raises:
        OSError: If OpenCV cannot encode the image.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode('.png', depth.astype(np.uint16),
                           [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    if not ok:
        raise OSError(f'could not encode {path}')
    path.write_bytes(buf.tobytes())


def write_edge_map(path: Path, edges: np.ndarray) -> None:
    """Write an edge map as an 8-bit single-channel PNG, 255 on edges and 0 elsewhere.

    Args:
        path: Output file (its directory is created).
        edges: bool or 0/1 map, shape (H, W); nonzero is an edge.

    Raises:
        OSError: If OpenCV cannot encode the image.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode('.png', np.where(np.asarray(edges) != 0, 255, 0).astype(np.uint8),
                           [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    if not ok:
        raise OSError(f'could not encode {path}')
    path.write_bytes(buf.tobytes())


def write_split(path: Path, lines: Sequence[str]) -> Path:
    """Write split-file lines (each newline terminated), creating the directory.

    Args:
        path: Output file.
        lines: Lines without line terminators.

    Returns:
        ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(line + '\n' for line in lines))
    return path


@dataclass(frozen=True)
class DatasetLayout:
    """Where the files of a dataset go and how its split files name them.

    Per-split fields are pairs ``(train, test)``. Patterns are
    :meth:`str.format` templates with the fields ``group`` (scene or drive
    name) and ``index`` (frame index within the group); they give the path
    relative to the image or depth directory, which is also the path written
    to the split file.

    Attributes:
        image_dirs: Image directories relative to the dataset root.
        depth_dirs: Depth directories relative to the dataset root.
        image_pattern: Relative image path template.
        depth_pattern: Relative depth path template.
        line_prefixes: Prefix of both paths in the split-file lines.
        split_files: Split-file names (written under ``<root>/splits``).
        encode_depth: Metric depth (H, W) -> uint16 depth map.
    """

    image_dirs: tuple[str, str]
    depth_dirs: tuple[str, str]
    image_pattern: str
    depth_pattern: str
    line_prefixes: tuple[str, str]
    split_files: tuple[str, str]
    encode_depth: Callable[[np.ndarray], np.ndarray]


# BTS ``sync`` training set plus the official test split.
NYU_LAYOUT = DatasetLayout(
    image_dirs=('sync', 'official_splits/test'),
    depth_dirs=('sync', 'official_splits/test'),
    image_pattern='{group}/rgb_{index:05d}.jpg',
    depth_pattern='{group}/sync_depth_{index:05d}.png',
    line_prefixes=('/', ''),
    split_files=('nyu_train.txt', 'nyu_test.txt'),
    encode_depth=encode_nyu_depth,
)

# KITTI raw data plus the annotated depth maps, Eigen split files.
KITTI_LAYOUT = DatasetLayout(
    image_dirs=('raw', 'raw'),
    depth_dirs=('gt', 'gt'),
    image_pattern=KITTI_DATE + '/{group}/image_02/data/{index:010d}.png',
    depth_pattern='{group}/proj_depth/groundtruth/image_02/{index:010d}.png',
    line_prefixes=('', ''),
    split_files=('kitti_eigen_train.txt', 'kitti_eigen_test.txt'),
    encode_depth=encode_kitti_depth,
)


def write_frame(layout: DatasetLayout, out: Path, split_id: int, group: str, index: int,
                rgb: np.ndarray, depth: np.ndarray | None, focal: float,
                edges: np.ndarray | None = None) -> str:
    """Write one frame's image, depth and edge files and return its split-file line.

    Args:
        layout: The dataset layout.
        out: Dataset root.
        split_id: 0 for the training split, 1 for the test split.
        group: Scene or drive name.
        index: Frame index within the group.
        rgb: uint8 RGB image, shape (H, W, 3).
        depth: Metric depth (H, W) with 0 where invalid, or ``None`` for a frame
            without ground truth (no depth file; the line names ``None``).
        focal: Focal length in pixels, written with four decimals.
        edges: Occlusion-boundary map (H, W) written with :func:`write_edge_map`
            next to the depth map (name from :func:`.formats.edge_map_name`), or
            ``None`` for none. Frames without depth get no edge map either.

    Returns:
        The split-file line ``'<image> <depth> <focal>'``.
    """
    prefix = layout.line_prefixes[split_id]
    image_rel = layout.image_pattern.format(group=group, index=index)
    write_rgb(out / layout.image_dirs[split_id] / image_rel, rgb)
    depth_field = NO_DEPTH
    if depth is not None:
        depth_rel = layout.depth_pattern.format(group=group, index=index)
        depth_path = out / layout.depth_dirs[split_id] / depth_rel
        write_png16(depth_path, layout.encode_depth(depth))
        if edges is not None:
            write_edge_map(Path(edge_map_name(str(depth_path))), edges)
        depth_field = prefix + depth_rel
    return f'{prefix}{image_rel} {depth_field} {focal:.4f}'


def write_split_files(layout: DatasetLayout, out: Path, train_lines: Sequence[str],
                      test_lines: Sequence[str]) -> tuple[Path, Path]:
    """Write the training and test split files under ``<out>/splits``.

    Args:
        layout: The dataset layout (names the files).
        out: Dataset root.
        train_lines: Lines of the training split.
        test_lines: Lines of the test split.

    Returns:
        Paths of the training and test split files.
    """
    train_name, test_name = layout.split_files
    return (write_split(out / 'splits' / train_name, train_lines),
            write_split(out / 'splits' / test_name, test_lines))
