"""Reading and writing depth maps (16-bit PNG, ``.npy``) and picturing them with a colour bar.

Conventions:

* Depth is in metres, float. A pixel without a prediction (non-finite or ``<= 0``) is stored
  as 0 and read back as 0.
* A 16-bit PNG holds ``round(depth * scale)``; ``scale=1000`` (the default) stores
  millimetres, as NYU Depth v2 does (KITTI uses ``scale=256``). Such a PNG covers
  ``(0, 65535 / scale]`` metres (65.535 m in millimetres); deeper pixels are clipped to
  65535 with a warning naming the file and the count, and positive depths below
  ``0.5 / scale`` are stored as 1 so that they stay valid.
* Every write is atomic: the data goes to a temporary file in the destination folder, which is
  then renamed onto the destination (``os.replace``), so a process killed mid-write leaves
  either the old file or the new one, never half a file.
* Pictures follow :class:`~mmdepth_dgr.visualization.DepthLocalVisualizer`: ``min_depth`` (near)
  gets the top end of the colour map (bright for ``magma``), ``max_depth`` the bottom end, and
  invalid pixels are black.
"""
import io
import os
import os.path as osp
import tempfile
import warnings
from typing import TYPE_CHECKING, Tuple, Union

import cv2
import numpy as np

if TYPE_CHECKING:  # matplotlib is imported where pictures are drawn, not with the package
    from matplotlib.colors import Colormap

PathLike = Union[str, os.PathLike]

#: Largest value of a 16-bit PNG pixel.
UINT16_MAX = 65535


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder + ``os.replace``).

    The folder is created. On any failure the temporary file is removed and an existing
    ``path`` is left as it was.

    Args:
        path (str | PathLike): Destination file.
        data (bytes): Its new content.
    """
    path = osp.abspath(os.fspath(path))
    folder = osp.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def as_depth_map(depth: np.ndarray) -> np.ndarray:
    """A depth map as a 2-D float64 array; ``(1, H, W)`` and ``(H, W, 1)`` are squeezed.

    Args:
        depth (np.ndarray): Depth map (array-like, e.g. a CPU tensor's ``numpy()``).

    Returns:
        np.ndarray: ``(H, W)`` float64 copy-free view when possible.

    Raises:
        ValueError: The map is not 2-D after dropping singleton leading/trailing axes.
    """
    arr = np.asarray(depth, dtype=np.float64)
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    elif arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError(f'a depth map must be (H, W), (1, H, W) or (H, W, 1), got shape '
                         f'{np.shape(depth)}')
    return arr


def valid_depth_mask(depth: np.ndarray) -> np.ndarray:
    """Pixels holding a depth: finite and ``> 0``.

    Args:
        depth (np.ndarray): Depth map in metres.

    Returns:
        np.ndarray: Boolean mask of the same shape.
    """
    depth = np.asarray(depth)
    return np.isfinite(depth) & (depth > 0)


def _check_scale(scale: float) -> float:
    """``scale`` as a float, refusing non-finite or non-positive values."""
    scale = float(scale)
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f'depth PNG scale must be a positive number, got {scale}')
    return scale


def encode_depth_png(depth_m: np.ndarray, scale: float = 1000.0) -> Tuple[np.ndarray, int]:
    """Quantise metric depth to the uint16 values of a depth PNG.

    Args:
        depth_m (np.ndarray): Depth map in metres (see :func:`as_depth_map` for shapes).
        scale (float): Stored units per metre (1000: millimetres).

    Returns:
        tuple[np.ndarray, int]: The ``(H, W)`` uint16 map (0 where the depth is invalid,
        ``round(depth * scale)`` clamped to ``[1, 65535]`` elsewhere) and the number of pixels
        clipped at 65535.
    """
    scale = _check_scale(scale)
    depth = as_depth_map(depth_m)
    valid = valid_depth_mask(depth)
    scaled = np.rint(np.where(valid, depth, 0.0) * scale)
    clipped = int(np.count_nonzero(valid & (scaled > UINT16_MAX)))
    encoded = np.where(valid, np.clip(scaled, 1, UINT16_MAX), 0)
    return encoded.astype(np.uint16), clipped


def save_depth_png(path: PathLike, depth_m: np.ndarray, scale: float = 1000.0) -> None:
    """Save metric depth as a single-channel 16-bit PNG of ``round(depth * scale)``.

    Invalid pixels (non-finite or ``<= 0``) are written as 0. Depths above
    ``65535 / scale`` metres are clipped to 65535 with a ``UserWarning`` naming the file and the
    number of clipped pixels; positive depths below ``0.5 / scale`` are written as 1 (they stay
    valid). The write is atomic and creates the folder.

    Args:
        path (str | PathLike): Output ``.png`` file.
        depth_m (np.ndarray): Depth map in metres, ``(H, W)`` (or ``(1, H, W)`` /
            ``(H, W, 1)``).
        scale (float): Stored units per metre. Defaults to 1000 (millimetres).

    Raises:
        ValueError: Bad shape or scale.
        OSError: OpenCV cannot encode the image.
    """
    encoded, clipped = encode_depth_png(depth_m, scale)
    if clipped:
        warnings.warn(f'{os.fspath(path)}: {clipped} pixel(s) deeper than '
                      f'{UINT16_MAX / scale:g} m (the 16-bit limit at scale {scale:g}) were '
                      f'clipped to {UINT16_MAX / scale:g} m', UserWarning, stacklevel=2)
    ok, buf = cv2.imencode('.png', encoded)
    if not ok:
        raise OSError(f'could not encode a depth PNG for {os.fspath(path)}')
    atomic_write_bytes(path, buf.tobytes())


def load_depth_png(path: PathLike, scale: float = 1000.0) -> np.ndarray:
    """Read a single-channel 16-bit depth PNG as metres (``value / scale``; 0 stays 0).

    Args:
        path (str | PathLike): The PNG.
        scale (float): Stored units per metre. Defaults to 1000 (millimetres).

    Returns:
        np.ndarray: ``(H, W)`` float32 depth in metres.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file cannot be decoded as an image, or is not single-channel uint16
            (the message names the file).
    """
    scale = _check_scale(scale)
    name = os.fspath(path)
    if not osp.isfile(name):
        raise FileNotFoundError(f'depth PNG not found: {name}')
    raw = np.fromfile(name, dtype=np.uint8)
    image = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED) if raw.size else None
    if image is None:
        raise ValueError(f'{name}: not a readable image (empty, truncated or corrupt file)')
    if image.dtype != np.uint16 or image.ndim != 2:
        channels = 1 if image.ndim == 2 else image.shape[2]
        raise ValueError(f'{name}: a depth PNG must be single-channel 16-bit, got {channels} '
                         f'channel(s) of {image.dtype}')
    return (image.astype(np.float64) / scale).astype(np.float32)


def save_depth_npy(path: PathLike, depth_m: np.ndarray) -> None:
    """Save metric depth as a float32 ``.npy`` array (``np.save`` format), atomically.

    Unlike :func:`save_depth_png` the values are kept as they are (no quantisation, no
    clipping; invalid pixels keep their value). The file is written at ``path`` exactly (no
    ``.npy`` suffix is added).

    Args:
        path (str | PathLike): Output file.
        depth_m (np.ndarray): Depth map in metres (see :func:`as_depth_map` for shapes).
    """
    buf = io.BytesIO()
    np.save(buf, as_depth_map(depth_m).astype(np.float32))
    atomic_write_bytes(path, buf.getvalue())


def get_colormap(cmap: str) -> 'Colormap':
    """A matplotlib colour map by name.

    Args:
        cmap (str): Any name of ``matplotlib.colormaps`` (``'magma'``, ``'turbo'``,
            ``'viridis'``, ``'Spectral_r'``, ...).

    Returns:
        Colormap: The colour map.

    Raises:
        ValueError: Unknown name (named in the message with a few valid ones).
    """
    from matplotlib import colormaps

    try:
        return colormaps[cmap]
    except KeyError:
        raise ValueError(f'unknown colormap {cmap!r}: use a matplotlib colormap name such as '
                         "'magma', 'inferno', 'viridis', 'turbo' or 'Spectral' (see "
                         'matplotlib.colormaps)') from None


def _check_range(min_depth: float, max_depth: float) -> Tuple[float, float]:
    """``(min_depth, max_depth)`` as floats, refusing an empty or non-finite range."""
    lo, hi = float(min_depth), float(max_depth)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f'colour range needs finite min_depth < max_depth, got '
                         f'[{lo}, {hi}]')
    return lo, hi


def colorize_depth_image(depth: np.ndarray, max_depth: float, cmap: str = 'magma',
                         min_depth: float = 0.0) -> np.ndarray:
    """Colour a depth map over a fixed range ``[min_depth, max_depth]``.

    The colour of a depth depends only on the depth and the range, never on the rest of the
    image, so pictures of several images with the same range can be compared. ``min_depth``
    (near) gets the top end of the colour map, ``max_depth`` (far) the bottom end; depths
    outside the range take the end colour; invalid pixels (non-finite or ``<= 0``) are black.

    Args:
        depth (np.ndarray): Depth map in metres (see :func:`as_depth_map` for shapes).
        max_depth (float): Far end of the colour range (metres).
        cmap (str): matplotlib colour map name. Defaults to ``'magma'``.
        min_depth (float): Near end of the colour range. Defaults to 0.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB image.

    Raises:
        ValueError: Unknown colour map, empty range or bad shape.
    """
    colormap = get_colormap(cmap).reversed()
    lo, hi = _check_range(min_depth, max_depth)
    depth = as_depth_map(depth)
    valid = valid_depth_mask(depth)
    norm = np.clip((np.where(valid, depth, lo) - lo) / (hi - lo), 0.0, 1.0)
    rgb = colormap(norm, bytes=True)[..., :3].copy()
    rgb[~valid] = 0
    return rgb


def colorbar_panel(height: int, vmin: float, vmax: float, cmap: str = 'magma',
                   label: str = 'depth [m]', width: int = 0) -> np.ndarray:
    """A vertical colour bar for :func:`colorize_depth_image` pictures, drawn with matplotlib.

    ``vmin`` is at the bottom of the bar in the colour :func:`colorize_depth_image` gives it,
    ``vmax`` at the top; ticks and ``label`` are on the right. Rendered off-screen (Agg).

    Args:
        height (int): Panel height in pixels (the picture's height).
        vmin (float): Near end of the range (``min_depth``).
        vmax (float): Far end of the range (``max_depth``).
        cmap (str): matplotlib colour map name.
        label (str): Axis label.
        width (int): Panel width in pixels; 0 (default) picks one from the height.

    Returns:
        np.ndarray: ``(height, width, 3)`` uint8 RGB panel on a white background.

    Raises:
        ValueError: Unknown colour map, empty range, or a non-positive height.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    colormap = get_colormap(cmap).reversed()
    lo, hi = _check_range(vmin, vmax)
    if height <= 0:
        raise ValueError(f'colour bar height must be positive, got {height}')
    width = width or max(80, height // 5)
    dpi = 100.0
    fontsize = float(np.clip(height / 40.0, 4.0, 14.0))
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor='white')
    canvas = FigureCanvasAgg(fig)
    cax = fig.add_axes((0.08, 0.05, 0.2, 0.9))
    bar = fig.colorbar(ScalarMappable(norm=Normalize(lo, hi), cmap=colormap), cax=cax)
    bar.ax.tick_params(labelsize=fontsize)
    bar.set_label(label, fontsize=fontsize)
    canvas.draw()
    panel = np.asarray(canvas.buffer_rgba())[..., :3]
    if panel.shape[:2] != (height, width):  # rounding of the figure size in inches
        panel = cv2.resize(panel, (width, height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(panel, dtype=np.uint8)


def add_colorbar(rgb: np.ndarray, vmin: float, vmax: float, cmap: str = 'magma',
                 label: str = 'depth [m]') -> np.ndarray:
    """Put a vertical colour bar (:func:`colorbar_panel`) to the right of a depth picture.

    The picture's pixels are kept as they are (no resampling).

    Args:
        rgb (np.ndarray): ``(H, W, 3)`` uint8 picture from :func:`colorize_depth_image`.
        vmin (float): Its ``min_depth``.
        vmax (float): Its ``max_depth``.
        cmap (str): Its colour map name.
        label (str): Colour bar label. Defaults to ``'depth [m]'``.

    Returns:
        np.ndarray: ``(H, W + bar width, 3)`` uint8 RGB image.

    Raises:
        ValueError: ``rgb`` is not ``(H, W, 3)``, or a bad colour map or range.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f'add_colorbar needs an (H, W, 3) RGB image, got shape {rgb.shape}')
    panel = colorbar_panel(rgb.shape[0], vmin, vmax, cmap, label)
    return np.concatenate([rgb.astype(np.uint8), panel], axis=1)
