"""Depth maps to coloured point clouds (pinhole back-projection) and binary PLY files.

Conventions:

* Camera frame: x right, y down, z forward (OpenCV / Open3D); units are the depth's (metres).
* Pixel coordinates: ``u`` is the column index and ``v`` the row index, and pixel ``(row,
  col)``'s centre is at ``(u, v) = (col, row)``: the centre of the top-left pixel is
  ``(0, 0)`` (as in OpenCV and Open3D's ``PinholeCameraIntrinsic``), so the image centre is
  ``((W - 1) / 2, (H - 1) / 2)`` (:func:`default_intrinsics`).
* A pixel with depth ``z`` maps to ``x = (u - cx) z / fx``, ``y = (v - cy) z / fy``; its point
  projects back to ``u = fx x / z + cx``, ``v = fy y / z + cy`` (:func:`project_points`).
* Only valid pixels (finite depth ``> 0``) become points, in row-major order.
* Intrinsics are ``(fx, fy, cx, cy)`` in pixels, for the depth map's resolution.
"""
import io
import os
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from .depth_io import PathLike, as_depth_map, atomic_write_bytes, valid_depth_mask

Intrinsics = Tuple[float, float, float, float]

#: Vertex properties of the PLY files: float32 position, uchar colour.
PLY_POSITION = [('x', '<f4'), ('y', '<f4'), ('z', '<f4')]
PLY_COLOR = [('red', 'u1'), ('green', 'u1'), ('blue', 'u1')]


def parse_intrinsics(values: Sequence[Union[float, str]]) -> Intrinsics:
    """Validate ``fx fy cx cy`` (e.g. a ``--intrinsics`` command-line option).

    Args:
        values (Sequence[float | str]): Exactly four numbers (or strings of numbers).

    Returns:
        tuple[float, float, float, float]: ``(fx, fy, cx, cy)``.

    Raises:
        ValueError: Not exactly four values (the count is named), a value that is not a
            finite number, or a focal length that is not positive.
    """
    values = list(values)
    if len(values) != 4:
        raise ValueError(f'intrinsics must be 4 numbers fx fy cx cy (pixels), got '
                         f'{len(values)}: {values}')
    numbers = []
    for name, value in zip(('fx', 'fy', 'cx', 'cy'), values, strict=True):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f'intrinsics: {name}={value!r} is not a number') from None
        if not np.isfinite(number):
            raise ValueError(f'intrinsics: {name}={value!r} is not finite')
        numbers.append(number)
    fx, fy, cx, cy = numbers
    if fx <= 0 or fy <= 0:
        raise ValueError(f'intrinsics: focal lengths must be positive, got fx={fx}, fy={fy}')
    return fx, fy, cx, cy


def default_intrinsics(height: int, width: int, focal: float) -> Intrinsics:
    """Intrinsics of a camera with one focal length and the principal point at the image centre.

    Args:
        height (int): Image height in pixels.
        width (int): Image width in pixels.
        focal (float): Focal length in pixels (``fx = fy``).

    Returns:
        tuple[float, float, float, float]: ``(focal, focal, (width - 1) / 2,
        (height - 1) / 2)`` (pixel centres at integer coordinates, see the module notes).

    Raises:
        ValueError: Non-positive size or focal length.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f'image size must be positive, got {height}x{width}')
    return parse_intrinsics((focal, focal, (width - 1) / 2.0, (height - 1) / 2.0))


def backproject(depth: np.ndarray, fx: float, fy: float, cx: float,
                cy: float) -> Tuple[np.ndarray, np.ndarray]:
    """Back-project the valid pixels of a depth map into camera coordinates.

    Args:
        depth (np.ndarray): ``(H, W)`` depth map (``(1, H, W)`` / ``(H, W, 1)`` accepted);
            pixels that are non-finite or ``<= 0`` are skipped.
        fx (float): Focal length along x, pixels.
        fy (float): Focal length along y, pixels.
        cx (float): Principal point column (``u`` of the optical axis).
        cy (float): Principal point row (``v`` of the optical axis).

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(N, 3)`` float32 points ``(x, y, z)`` of the ``N``
        valid pixels in row-major order, and their ``(N,)`` int64 flat indices into the
        ``(H, W)`` map (``row = index // W``, ``col = index % W``).

    Raises:
        ValueError: Bad intrinsics or depth shape.
    """
    fx, fy, cx, cy = parse_intrinsics((fx, fy, cx, cy))
    depth = as_depth_map(depth)
    index = np.flatnonzero(valid_depth_mask(depth))
    v, u = np.divmod(index, depth.shape[1])
    z = depth.reshape(-1)[index]
    points = np.stack([(u - cx) * z / fx, (v - cy) * z / fy, z], axis=1)
    return points.astype(np.float32), index.astype(np.int64)


def project_points(points: np.ndarray, fx: float, fy: float, cx: float,
                   cy: float) -> np.ndarray:
    """Project camera-frame points onto the image (the inverse of :func:`backproject`).

    Args:
        points (np.ndarray): ``(N, 3)`` points with ``z > 0``.
        fx (float): Focal length along x, pixels.
        fy (float): Focal length along y, pixels.
        cx (float): Principal point column.
        cy (float): Principal point row.

    Returns:
        np.ndarray: ``(N, 2)`` float64 pixel coordinates ``(u, v)`` (column, row).
    """
    fx, fy, cx, cy = parse_intrinsics((fx, fy, cx, cy))
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    z = points[:, 2]
    return np.stack([fx * points[:, 0] / z + cx, fy * points[:, 1] / z + cy], axis=1)


def depth_to_point_cloud(depth: np.ndarray, rgb: Optional[np.ndarray],
                         intrinsics: Sequence[float]) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Coloured point cloud of a depth map: one point per valid pixel, coloured by its pixel.

    Args:
        depth (np.ndarray): ``(H, W)`` depth map in metres.
        rgb (np.ndarray, optional): ``(H, W, 3)`` uint8 RGB image aligned with ``depth``
            (resize it to the depth map first); None for points only.
        intrinsics (Sequence[float]): ``(fx, fy, cx, cy)`` at the depth map's resolution.

    Returns:
        tuple[np.ndarray, np.ndarray | None]: ``(N, 3)`` float32 points and ``(N, 3)`` uint8
        colours (None without ``rgb``).

    Raises:
        ValueError: Bad intrinsics, or an image whose size differs from the depth map's.
    """
    fx, fy, cx, cy = parse_intrinsics(intrinsics)
    depth = as_depth_map(depth)
    points, index = backproject(depth, fx, fy, cx, cy)
    if rgb is None:
        return points, None
    rgb = np.asarray(rgb)
    if rgb.shape != (*depth.shape, 3):
        raise ValueError(f'the image must be (H, W, 3) = {(*depth.shape, 3)} like the depth '
                         f'map, got {rgb.shape}')
    return points, rgb.reshape(-1, 3)[index].astype(np.uint8)


def ply_vertices(points: np.ndarray, colors: Optional[np.ndarray] = None) -> np.ndarray:
    """The structured vertex array of :func:`write_ply`.

    Args:
        points (np.ndarray): ``(N, 3)`` positions.
        colors (np.ndarray, optional): ``(N, 3)`` uint8 RGB colours.

    Returns:
        np.ndarray: ``(N,)`` structured array with ``x y z`` float32 (and ``red green blue``
        uint8).

    Raises:
        ValueError: Shapes that are not ``(N, 3)`` or that differ.
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f'points must be (N, 3), got {points.shape}')
    fields = list(PLY_POSITION)
    if colors is not None:
        colors = np.asarray(colors)
        if colors.shape != points.shape:
            raise ValueError(f'colors must be (N, 3) like the points {points.shape}, got '
                             f'{colors.shape}')
        fields += PLY_COLOR
    vertices = np.empty(len(points), dtype=fields)
    for axis, (name, _) in enumerate(PLY_POSITION):
        vertices[name] = points[:, axis]
    if colors is not None:
        for channel, (name, _) in enumerate(PLY_COLOR):
            vertices[name] = colors[:, channel]
    return vertices


def write_ply(path: PathLike, points: np.ndarray, colors: Optional[np.ndarray] = None) -> None:
    """Write a binary little-endian PLY point cloud (``plyfile``), atomically.

    Vertex properties: ``x y z`` float32 and, with ``colors``, ``red green blue`` uchar. Meshes
    viewers (MeshLab, CloudCompare, Open3D, Blender) open it directly.

    Args:
        path (str | PathLike): Output ``.ply`` file; its folder is created.
        points (np.ndarray): ``(N, 3)`` positions.
        colors (np.ndarray, optional): ``(N, 3)`` uint8 RGB colours.

    Raises:
        ValueError: Bad shapes.
    """
    from plyfile import PlyData, PlyElement  # only where PLY files are written or read

    element = PlyElement.describe(ply_vertices(points, colors), 'vertex')
    buf = io.BytesIO()
    PlyData([element], text=False, byte_order='<').write(buf)
    atomic_write_bytes(path, buf.getvalue())


def read_ply(path: PathLike) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Read the vertices of a PLY file (``plyfile``; ASCII or binary).

    Args:
        path (str | PathLike): The file.

    Returns:
        tuple[np.ndarray, np.ndarray | None]: ``(N, 3)`` float32 positions and ``(N, 3)``
        uint8 colours (None when the vertices have no ``red green blue``).

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is not a PLY file or has no ``vertex`` element with ``x y z``.
    """
    from plyfile import PlyData

    name = os.fspath(path)
    if not osp.isfile(name):
        raise FileNotFoundError(f'PLY file not found: {name}')
    try:
        ply = PlyData.read(name)
    except Exception as err:  # plyfile raises several types for a bad header / body
        raise ValueError(f'{name}: not a readable PLY file ({err})') from err
    if 'vertex' not in ply:
        raise ValueError(f'{name}: no vertex element')
    vertex = ply['vertex']
    props = {p.name for p in vertex.properties}
    if not {'x', 'y', 'z'} <= props:
        raise ValueError(f'{name}: vertices lack x y z (have {sorted(props)})')
    points = np.stack([vertex[a] for a in 'xyz'], axis=1).astype(np.float32)
    colors = None
    if {'red', 'green', 'blue'} <= props:
        colors = np.stack([vertex[c] for c in ('red', 'green', 'blue')], axis=1)
        colors = colors.astype(np.uint8)
    return points, colors
