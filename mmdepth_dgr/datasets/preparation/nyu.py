"""NYU-Depth-v2 official split: ``nyu_depth_v2_labeled.mat`` + ``splits.mat`` -> BTS layout.

The official labelled file is MATLAB v7.3 (HDF5). MATLAB stores arrays column-major, so h5py
sees them with reversed axes: ``images`` is ``N x 3 x 640 x 480`` (uint8), ``depths`` and
``rawDepths`` are ``N x 640 x 480`` (float, metres) and ``sceneTypes`` is a ``1 x N`` cell array
of object references to uint16 character arrays. Frames are read one at a time and transposed
to ``480 x 640``.

Decisions taken from BTS's ``utils/extract_official_train_test_set_from_mat.py``
(cleinc/bts): the depth written is ``rawDepths`` (not the in-painted ``depths``), as
``uint16(depth * 1000)`` millimetres (truncated) in ``sync_depth_%05d.png``; the image is
written as ``rgb_%05d.jpg`` (OpenCV's default JPEG quality, 95) with everything outside rows
7:474 and columns 7:632 set to black (the depth is not cropped); file indices are the zero-based
frame indices while ``splits.mat`` holds one-based ones; the folder is the frame's
``sceneTypes`` entry, under ``official_splits/{train,test}/``.
"""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Sequence, Tuple

import cv2
import h5py
import numpy as np
import scipy.io
from mmengine.utils import ProgressBar

from mmdepth_dgr.utils.depth_io import UINT16_MAX, PathLike, atomic_write_bytes

#: Focal length (px) BTS writes on every NYU split line.
NYU_FOCAL = 518.8579
#: Frame size of the labelled set (height, width).
NYU_SIZE = (480, 640)
#: BTS keeps rows/columns ``[7:474, 7:632]`` of the RGB image and blacks out the rest.
BTS_RGB_KEEP = (slice(7, 474), slice(7, 632))
#: OpenCV's default JPEG quality, which BTS's ``cv2.imwrite`` uses.
BTS_JPEG_QUALITY = 95
#: The depth fields of the labelled file: BTS uses ``rawDepths``.
DEPTH_FIELDS = ('rawDepths', 'depths')
#: Split names, their ``splits.mat`` keys and the split files written under ``splits/``.
SPLITS = {
    'test': ('testNdxs', 'nyu_test.txt'),
    'train': ('trainNdxs', 'nyu_official_train.txt'),
}


class NYULabeledMatError(ValueError):
    """The input is not the official labelled ``.mat`` or ``splits.mat``."""


@dataclass
class NYUConversionSummary:
    """What :func:`convert_nyu_official` did.

    Attributes:
        written: Frames written per split.
        skipped: Frames already present (both files non-empty) per split.
        split_files: Paths of the split files (one per split).
    """

    written: Dict[str, int] = field(default_factory=dict)
    skipped: Dict[str, int] = field(default_factory=dict)
    split_files: Dict[str, str] = field(default_factory=dict)


def read_splits_mat(path: PathLike) -> Dict[str, List[int]]:
    """Read the official ``splits.mat`` (MATLAB v5) as zero-based frame indices.

    Args:
        path: The ``splits.mat`` file (``testNdxs``/``trainNdxs``, one-based).

    Returns:
        ``{'test': [...], 'train': [...]}``, sorted zero-based indices.

    Raises:
        NYULabeledMatError: Unreadable file, missing key, bad or overlapping indices.
    """
    path = os.fspath(path)
    try:
        mat = scipy.io.loadmat(path)
    except (NotImplementedError, ValueError, OSError, TypeError) as exc:
        raise NYULabeledMatError(
            f'{path} is not the official splits.mat (a MATLAB v5 file with testNdxs and '
            f'trainNdxs): {exc}') from exc
    splits = {name: _one_based_to_zero(mat, key, path) for name, (key, _) in SPLITS.items()}
    common = set(splits['test']) & set(splits['train'])
    if common:
        raise NYULabeledMatError(
            f'{path}: {len(common)} indices are in both testNdxs and trainNdxs '
            f'(first: {min(common) + 1})')
    return splits


def _one_based_to_zero(mat: dict, key: str, path: str) -> List[int]:
    """Zero-based sorted indices of the one-based index vector ``mat[key]``."""
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith('__'))
        raise NYULabeledMatError(f'{path}: key {key!r} is missing (keys: {found})')
    values = np.asarray(mat[key])
    if values.size == 0 or not np.issubdtype(values.dtype, np.number):
        raise NYULabeledMatError(f'{path}: {key!r} is not a non-empty numeric index vector')
    flat = values.ravel()
    if np.any(flat != np.round(flat)) or flat.min() < 1:
        raise NYULabeledMatError(f'{path}: {key!r} must hold one-based integer indices')
    indices = sorted({int(v) - 1 for v in flat})
    if len(indices) != flat.size:
        raise NYULabeledMatError(f'{path}: {key!r} holds duplicate indices')
    return indices


def _open_labeled(path: str) -> h5py.File:
    """Open the labelled file with h5py, with a clear error for anything else."""
    try:
        return h5py.File(path, 'r')
    except OSError as exc:
        raise NYULabeledMatError(
            f'{path} is not the official nyu_depth_v2_labeled.mat (a MATLAB v7.3 / HDF5 '
            f'file): {exc}') from exc


def _dataset(h5: h5py.File, key: str, path: str) -> h5py.Dataset:
    """``h5[key]`` as a dataset, or an error naming the file and the key."""
    if key not in h5:
        raise NYULabeledMatError(
            f'{path}: key {key!r} is missing; not the official nyu_depth_v2_labeled.mat '
            f'(keys: {sorted(h5.keys())})')
    obj = h5[key]
    if not isinstance(obj, h5py.Dataset):
        raise NYULabeledMatError(f'{path}: {key!r} is not an array')
    return obj


def _check_labeled(h5: h5py.File, path: str,
                   depth_field: str) -> Tuple[h5py.Dataset, h5py.Dataset, h5py.Dataset]:
    """Check keys, dtypes and (column-major) shapes; return images, depths, sceneTypes."""
    height, width = NYU_SIZE
    images = _dataset(h5, 'images', path)
    depths = _dataset(h5, depth_field, path)
    scenes = _dataset(h5, 'sceneTypes', path)
    num = images.shape[0] if images.ndim else 0
    if images.ndim != 4 or images.shape[1:] != (3, width, height) or images.dtype != np.uint8:
        raise NYULabeledMatError(
            f'{path}: {"images"!r} has shape {images.shape} and dtype {images.dtype}; expected '
            f'N x 3 x {width} x {height} uint8 (MATLAB column-major order of the official file)')
    if depths.shape != (num, width, height) or depths.dtype.kind != 'f':
        raise NYULabeledMatError(
            f'{path}: {depth_field!r} has shape {depths.shape} and dtype {depths.dtype}; '
            f'expected {num} x {width} x {height} float')
    if scenes.dtype != h5py.ref_dtype or scenes.ndim != 2 or scenes.size != num \
            or 1 not in scenes.shape:
        raise NYULabeledMatError(
            f'{path}: {"sceneTypes"!r} has shape {scenes.shape} and dtype {scenes.dtype}; '
            f'expected a cell array of {num} MATLAB strings')
    return images, depths, scenes


def decode_matlab_string(h5: h5py.File, ref: h5py.Reference, where: str) -> str:
    """Decode one MATLAB v7.3 string (an object reference to a uint16 char array).

    Args:
        h5: The open file.
        ref: The reference stored in the cell array.
        where: File and key, for error messages.

    Returns:
        The string (``''`` for MATLAB's empty char array).
    """
    target = h5[ref]
    if target.attrs.get('MATLAB_empty', 0):
        return ''
    chars = np.asarray(target[()])
    if chars.dtype != np.uint16:
        raise NYULabeledMatError(f'{where}: cell is {chars.dtype}, not a MATLAB char array')
    # A 1 x L MATLAB char array is stored L x 1: column-major order is the reading order.
    return ''.join(map(chr, chars.T.ravel()))


def _scene_type(h5: h5py.File, scenes: h5py.Dataset, index: int, path: str) -> str:
    """The ``sceneTypes`` entry of frame ``index``, checked to be a folder name."""
    where = f'{path}: sceneTypes[{index}]'
    ref = scenes[0, index] if scenes.shape[0] == 1 else scenes[index, 0]
    name = decode_matlab_string(h5, ref, where)
    if not name or name in ('.', '..') or '/' in name or '\\' in name:
        raise NYULabeledMatError(f'{where} is {name!r}, not a usable folder name')
    return name


def read_frame(images: h5py.Dataset, depths: h5py.Dataset,
               index: int) -> Tuple[np.ndarray, np.ndarray]:
    """Read one frame as ``480 x 640 x 3`` RGB and ``480 x 640`` depth (metres).

    Args:
        images: The ``images`` dataset (``N x 3 x 640 x 480``).
        depths: The depth dataset (``N x 640 x 480``).
        index: Zero-based frame index.

    Returns:
        ``(rgb, depth)``, both in image (row, column) order.
    """
    rgb = np.ascontiguousarray(images[index].T)  # 3 x W x H -> H x W x 3
    depth = np.ascontiguousarray(depths[index].T)  # W x H -> H x W
    return rgb, depth


def encode_bts_rgb(rgb: np.ndarray, jpeg_quality: int = BTS_JPEG_QUALITY) -> bytes:
    """BTS's test image: black outside ``[7:474, 7:632]``, JPEG-encoded.

    Args:
        rgb: ``480 x 640 x 3`` RGB uint8.
        jpeg_quality: JPEG quality (BTS: OpenCV's default, 95).

    Returns:
        The JPEG bytes.
    """
    out = np.zeros_like(rgb)
    out[BTS_RGB_KEEP] = rgb[BTS_RGB_KEEP]
    ok, buf = cv2.imencode('.jpg', out[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
    if not ok:
        raise RuntimeError('OpenCV could not encode a JPEG image')
    return buf.tobytes()


def encode_bts_depth(depth_m: np.ndarray, where: str) -> bytes:
    """BTS's depth PNG: ``uint16(depth * 1000)`` (truncated millimetres), 0 = no depth.

    Args:
        depth_m: ``480 x 640`` depth in metres.
        where: Frame description for error messages.

    Returns:
        The 16-bit PNG bytes.
    """
    depth_mm = depth_m * 1000.0
    if not np.all(np.isfinite(depth_mm)) or depth_mm.min() < 0 or depth_mm.max() > UINT16_MAX:
        raise NYULabeledMatError(
            f'{where}: depth must be finite and within 0-{UINT16_MAX / 1000} m '
            f'(range {np.nanmin(depth_m)}-{np.nanmax(depth_m)})')
    ok, buf = cv2.imencode('.png', depth_mm.astype(np.uint16))
    if not ok:
        raise RuntimeError('OpenCV could not encode a PNG image')
    return buf.tobytes()


def bts_names(scene: str, index: int) -> Tuple[str, str]:
    """Relative BTS paths ``(<scene>/rgb_%05d.jpg, <scene>/sync_depth_%05d.png)``."""
    return f'{scene}/rgb_{index:05d}.jpg', f'{scene}/sync_depth_{index:05d}.png'


def _is_done(*paths: str) -> bool:
    """Whether every path is a non-empty file."""
    return all(osp.isfile(p) and osp.getsize(p) > 0 for p in paths)


def _write_if_changed(path: str, text: str) -> None:
    """Write ``text`` atomically unless ``path`` already holds it (mtime kept)."""
    data = text.encode()
    if osp.isfile(path):
        with open(path, 'rb') as f:
            if f.read() == data:
                return
    atomic_write_bytes(path, data)


def _tasks(splits: Dict[str, List[int]]) -> Iterator[Tuple[str, int]]:
    """``(split, index)`` in file order (ascending index: sequential HDF5 reads)."""
    order = sorted((idx, name) for name, indices in splits.items() for idx in indices)
    for idx, name in order:
        yield name, idx


def _check_range(splits: Dict[str, List[int]], num: int, path: str, splits_path: str) -> None:
    """Every split index must be a frame of the labelled file."""
    for name, indices in splits.items():
        if indices and indices[-1] >= num:
            raise NYULabeledMatError(
                f'{splits_path}: {SPLITS[name][0]} holds index {indices[-1] + 1} but {path} has '
                f'only {num} frames')


def convert_nyu_official(labeled_mat: PathLike, splits_mat: PathLike, out: PathLike,
                         depth_field: str = 'rawDepths',
                         jpeg_quality: int = BTS_JPEG_QUALITY,
                         split_names: Sequence[str] = ('test', 'train'),
                         progress: bool = True) -> NYUConversionSummary:
    """Write the official NYU-Depth-v2 split in the BTS layout.

    Writes ``out/official_splits/<split>/<scene type>/rgb_%05d.jpg`` and
    ``sync_depth_%05d.png`` (zero-based frame index) and the split files
    ``out/splits/nyu_test.txt`` and ``out/splits/nyu_official_train.txt`` (lines
    ``rgb depth focal``, relative to ``official_splits/<split>``). Resumable: frames whose two
    files exist and are non-empty are skipped; every file is written atomically.

    Args:
        labeled_mat: ``nyu_depth_v2_labeled.mat`` (MATLAB v7.3 / HDF5).
        splits_mat: ``splits.mat`` (MATLAB v5, one-based ``testNdxs``/``trainNdxs``).
        out: Dataset root (e.g. ``data/nyu``).
        depth_field: ``'rawDepths'`` (BTS) or ``'depths'`` (in-painted).
        jpeg_quality: JPEG quality of the images (BTS: 95).
        split_names: Which splits to write (``'test'``, ``'train'``).
        progress: Show a progress bar.

    Returns:
        Counts of written and skipped frames and the split file paths.

    Raises:
        NYULabeledMatError: An input is not the official file (names the file and the key).
    """
    if depth_field not in DEPTH_FIELDS:
        raise ValueError(f'depth_field must be one of {DEPTH_FIELDS}, got {depth_field!r}')
    unknown = set(split_names) - set(SPLITS)
    if unknown:
        raise ValueError(f'unknown splits {sorted(unknown)}; choose from {sorted(SPLITS)}')
    labeled_mat, out = os.fspath(labeled_mat), os.fspath(out)
    splits = {k: v for k, v in read_splits_mat(splits_mat).items() if k in split_names}
    summary = NYUConversionSummary(written=dict.fromkeys(splits, 0),
                                   skipped=dict.fromkeys(splits, 0))
    lines: Dict[str, List[Tuple[str, int, str]]] = {name: [] for name in splits}
    with _open_labeled(labeled_mat) as h5:
        images, depths, scenes = _check_labeled(h5, labeled_mat, depth_field)
        _check_range(splits, images.shape[0], labeled_mat, os.fspath(splits_mat))
        tasks = list(_tasks(splits))
        bar = ProgressBar(len(tasks)) if progress else None
        for name, idx in tasks:
            scene = _scene_type(h5, scenes, idx, labeled_mat)
            rgb_rel, depth_rel = bts_names(scene, idx)
            lines[name].append((scene, idx, f'{rgb_rel} {depth_rel} {NYU_FOCAL}'))
            done = _convert_frame(images, depths, idx, osp.join(out, 'official_splits', name),
                                  rgb_rel, depth_rel, jpeg_quality, labeled_mat)
            summary.written[name] += int(done)
            summary.skipped[name] += int(not done)
            if bar is not None:
                bar.update()
    if bar is not None:
        print()
    for name, entries in lines.items():
        path = osp.join(out, 'splits', SPLITS[name][1])
        _write_if_changed(path, ''.join(line + '\n' for _, _, line in sorted(entries)))
        summary.split_files[name] = path
    return summary


def _convert_frame(images: h5py.Dataset, depths: h5py.Dataset, idx: int, root: str,
                   rgb_rel: str, depth_rel: str, jpeg_quality: int, path: str) -> bool:
    """Write one frame unless both files exist; return whether it was written."""
    rgb_path, depth_path = osp.join(root, rgb_rel), osp.join(root, depth_rel)
    if _is_done(rgb_path, depth_path):
        return False
    rgb, depth = read_frame(images, depths, idx)
    atomic_write_bytes(depth_path, encode_bts_depth(depth, f'{path}: frame {idx}'))
    atomic_write_bytes(rgb_path, encode_bts_rgb(rgb, jpeg_quality))
    return True
