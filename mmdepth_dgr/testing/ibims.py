"""A tiny iBims-1 tree in the official layout, with geometry known in closed form.

Each image sees a fronto-parallel wall (the plane ``Y = WALL_DISTANCE`` of the iBims-1
evaluation frame, normal ``(0, 1, 0)``) and, below it, the floor (``Z = -CAMERA_HEIGHT``,
normal ``(0, 0, 1)``) where the floor is nearer than the wall. The depth of a pixel is
therefore known exactly (:func:`scene_depth`); see :mod:`mmdepth_dgr.datasets.ibims` for the
layout.
"""
import os
import os.path as osp
from typing import Dict, Sequence, Tuple

import numpy as np

SHAPE = (480, 640)
#: (fx, fy, cx, cy); principal point in 1-based pixel coordinates, as the release.
CALIB = (500.0, 500.0, 320.5, 240.5)
WALL_DISTANCE = 4.0
CAMERA_HEIGHT = 1.5
WALL_NORMAL = (0.0, 1.0, 0.0)
FLOOR_NORMAL = (0.0, 0.0, 1.0)
#: Blocks (row0, row1, col0, col1) set to 0 in mask_invalid / mask_transp (inside the floor).
INVALID_BLOCK = (440, 460, 100, 200)
TRANSP_BLOCK = (460, 480, 400, 520)
#: The table label: a 40x40 square (0.5% of the frame, below the 5% rule).
TABLE_BLOCK = (100, 140, 300, 340)


def scene_depth(shape: Tuple[int, int] = SHAPE, calib=CALIB) -> Tuple[np.ndarray, np.ndarray]:
    """Depth of the wall-and-floor scene and the floor mask.

    Args:
        shape (tuple[int, int]): (H, W).
        calib (tuple): (fx, fy, cx, cy).

    Returns:
        tuple[np.ndarray, np.ndarray]: float64 depth in metres and the bool floor mask.
    """
    fx, fy, cx, cy = calib
    h, w = shape
    v = np.arange(1, h + 1, dtype=np.float64)[:, None] * np.ones((1, w))
    wall = np.full(shape, WALL_DISTANCE)
    with np.errstate(divide='ignore'):
        floor = np.where(v > cy, CAMERA_HEIGHT * fy / (v - cy), np.inf)
    is_floor = floor < wall
    return np.where(is_floor, floor, wall), is_floor


def plane_depth(normal: Sequence[float], offset: float, shape: Tuple[int, int] = SHAPE,
                calib=CALIB) -> np.ndarray:
    """Depth at which each pixel's ray meets the plane ``normal . P + offset = 0``.

    Args:
        normal (Sequence[float]): Plane normal in the iBims-1 frame (X right, Y forward,
            Z up).
        offset (float): Plane offset.
        shape (tuple[int, int]): (H, W).
        calib (tuple): (fx, fy, cx, cy).

    Returns:
        np.ndarray: float64 depth (the ``Y`` coordinate), inf where the ray misses.
    """
    fx, fy, cx, cy = calib
    h, w = shape
    v, u = np.mgrid[1:h + 1, 1:w + 1].astype(np.float64)
    n = np.asarray(normal, dtype=np.float64)
    denom = n[0] * (u - cx) / fx + n[1] - n[2] * (v - cy) / fy
    with np.errstate(divide='ignore'):
        return -offset / denom


def _write_png(path: str, array: np.ndarray) -> None:
    import cv2
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, array):
        raise OSError(f'could not write {path}')


def write_ibims_tree(root: str, names: Sequence[str] = ('corridor_01', 'office_02'),
                     floor_annotated: Sequence[bool] = (True, False)) -> Dict:
    """Write a tiny iBims-1 tree (raw PNG/TXT layout, plane ``.mat`` files, image list).

    Every image is the scene of :func:`scene_depth`. mask_invalid and mask_transp are 0
    on :data:`INVALID_BLOCK` / :data:`TRANSP_BLOCK`; ``mask_wall`` labels the wall 1
    (normal :data:`WALL_NORMAL`), ``mask_table`` labels :data:`TABLE_BLOCK` 1 (too small
    to count), and ``mask_floor`` labels the floor 1 (normal :data:`FLOOR_NORMAL`) only
    where ``floor_annotated`` says so (else the image has no floor plane: empty
    parameters). The first image's calibration file holds the 3x3 transposed matrix of
    the ``.mat`` release, the others ``fx,fy,cx,cy``.

    Args:
        root (str): The data root (created).
        names (Sequence[str]): Image names.
        floor_annotated (Sequence[bool]): Per image, whether the floor is a plane.

    Returns:
        dict: ``depth`` (exact float depth), ``floor`` (floor mask), ``valid`` (the
        official mask: not invalid, not transparent), ``decoded`` (depth as stored,
        metres), ``names``.
    """
    from scipy import io as sio
    depth, floor = scene_depth()
    stored = np.round(depth * 65535.0 / 50.0).astype(np.uint16)
    valid = np.ones(SHAPE, dtype=bool)
    mask_invalid = np.ones(SHAPE, dtype=np.uint8)
    r0, r1, c0, c1 = INVALID_BLOCK
    mask_invalid[r0:r1, c0:c1] = 0
    mask_transp = np.ones(SHAPE, dtype=np.uint8)
    r0, r1, c0, c1 = TRANSP_BLOCK
    mask_transp[r0:r1, c0:c1] = 0
    valid &= (mask_invalid == 1) & (mask_transp == 1)
    edges = np.zeros(SHAPE, dtype=np.uint8)
    boundary = np.argmax(floor, axis=0)  # first floor row of each column
    edges[boundary, np.arange(SHAPE[1])] = 255
    rgb = np.zeros((*SHAPE, 3), dtype=np.uint8)
    rgb[..., 1] = np.clip(depth * 40, 0, 255).astype(np.uint8)
    rgb[..., 2] = 128
    fx, fy, cx, cy = CALIB
    raw = osp.join(root, 'ibims1_core_raw')
    os.makedirs(osp.join(raw, 'calib'), exist_ok=True)
    os.makedirs(osp.join(root, 'ibims1_core_mat'), exist_ok=True)
    for i, name in enumerate(names):
        _write_png(osp.join(raw, 'rgb', f'{name}.png'), rgb)
        _write_png(osp.join(raw, 'depth', f'{name}.png'), stored)
        _write_png(osp.join(raw, 'edges', f'{name}.png'), edges)
        _write_png(osp.join(raw, 'mask_invalid', f'{name}.png'), mask_invalid)
        _write_png(osp.join(raw, 'mask_transp', f'{name}.png'), mask_transp)
        with open(osp.join(raw, 'calib', f'{name}.txt'), 'w', encoding='utf-8') as f:
            if i == 0:
                f.write(f'{fx},0,0\n0,{fy},0\n{cx},{cy},1\n')
            else:
                f.write(f'{fx},{fy},{cx},{cy}\n')
        table = np.zeros(SHAPE, dtype=np.uint8)
        r0, r1, c0, c1 = TABLE_BLOCK
        table[r0:r1, c0:c1] = 1
        annotated = floor_annotated[i] if i < len(floor_annotated) else True
        data = dict(
            calib=np.array([[fx, 0, 0], [0, fy, 0], [cx, cy, 1]]),
            mask_wall=(~floor).astype(np.uint8),
            mask_wall_paras=np.array([[0, 0, 0, WALL_DISTANCE, *WALL_NORMAL]]),
            mask_table=table,
            mask_table_paras=np.array([[0, 0, 0, 0, *WALL_NORMAL]]),
            mask_floor=floor.astype(np.uint8) if annotated else np.zeros(SHAPE, np.uint8),
            mask_floor_paras=(np.array([[0, 0, 0, CAMERA_HEIGHT, *FLOOR_NORMAL]]) if annotated
                              else np.zeros((0, 7))))
        sio.savemat(osp.join(root, 'ibims1_core_mat', f'{name}.mat'), {'data': data})
    with open(osp.join(root, 'imagelist.txt'), 'w', encoding='utf-8') as f:
        f.write(''.join(f'{n}\n' for n in names))
    return dict(depth=depth, floor=floor, valid=valid,
                decoded=stored.astype(np.float64) * 50.0 / 65535.0, names=list(names))
