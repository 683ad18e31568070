"""The files the demo writes for one predicted depth map (16-bit PNG, .npy, colour picture, PLY)."""
import os.path as osp
from typing import Dict, Optional, Sequence

import cv2
import numpy as np

from .depth_io import (
    PathLike,
    add_colorbar,
    atomic_write_bytes,
    colorize_depth_image,
    save_depth_npy,
    save_depth_png,
)
from .point_cloud import depth_to_point_cloud, write_ply


def save_depth_outputs(out_dir: PathLike, stem: str, depth: np.ndarray,
                       image_bgr: Optional[np.ndarray] = None, max_depth: float = 10.0,
                       cmap: str = 'magma', colorbar: bool = True,
                       intrinsics: Optional[Sequence[float]] = None) -> Dict[str, str]:
    """Write ``<stem>_depth.png``, ``<stem>_depth.npy``, ``<stem>_color.png`` (and ``<stem>.ply``).

    * ``_depth.png``: uint16, depth x 1000 (millimetres), 0 = no prediction
      (:func:`~mmdepth_dgr.utils.depth_io.save_depth_png`).
    * ``_depth.npy``: float32 metres.
    * ``_color.png``: the depth coloured over the fixed range ``[0, max_depth]`` with the
      matplotlib colour map ``cmap`` (near bright for ``magma``), with a colour bar unless
      ``colorbar`` is False.
    * ``.ply`` (only with ``intrinsics``): one vertex per pixel with a valid depth, XYZ in
      metres by the pinhole model in the camera frame (x right, y down, z forward), RGB from
      ``image_bgr`` (:func:`~mmdepth_dgr.utils.point_cloud.depth_to_point_cloud`).

    Every file is written atomically.

    Args:
        out_dir (str | PathLike): Output folder (created).
        stem (str): File name stem.
        depth (np.ndarray): ``(H, W)`` depth in metres.
        image_bgr (np.ndarray, optional): ``(H, W, 3)`` uint8 BGR image of the depth map
            (colours of the point cloud).
        max_depth (float): Far end of the colour range (metres). Defaults to 10.
        cmap (str): matplotlib colour map name. Defaults to ``'magma'``.
        colorbar (bool): Add a colour bar to the picture. Defaults to True.
        intrinsics (Sequence[float], optional): ``(fx, fy, cx, cy)`` in pixels at the depth
            map's resolution; None writes no point cloud.

    Returns:
        dict: Output kind (``'png'``, ``'npy'``, ``'color'``, ``'ply'``) -> written path.

    Raises:
        ValueError: Bad depth shape, colour map, range or intrinsics, or an image whose
            size differs from the depth map's.
    """
    paths = {
        'png': osp.join(out_dir, f'{stem}_depth.png'),
        'npy': osp.join(out_dir, f'{stem}_depth.npy'),
        'color': osp.join(out_dir, f'{stem}_color.png'),
    }
    save_depth_png(paths['png'], depth)
    save_depth_npy(paths['npy'], depth)
    picture = colorize_depth_image(depth, max_depth, cmap)
    if colorbar:
        picture = add_colorbar(picture, 0.0, max_depth, cmap)
    ok, encoded = cv2.imencode('.png', np.ascontiguousarray(picture[..., ::-1]))
    if not ok:
        raise ValueError(f'could not encode {paths["color"]}')
    atomic_write_bytes(paths['color'], encoded.tobytes())
    if intrinsics is not None:
        rgb = None if image_bgr is None else np.ascontiguousarray(image_bgr[..., ::-1])
        points, colors = depth_to_point_cloud(depth, rgb, intrinsics)
        paths['ply'] = osp.join(out_dir, f'{stem}.ply')
        write_ply(paths['ply'], points, colors)
    return paths
