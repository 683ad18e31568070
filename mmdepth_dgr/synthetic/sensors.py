"""Camera and depth-sensor effects applied to rendered frames.

Exposure, gamma, blur and noise of the RGB camera, Kinect-like holes of the
NYU depth maps and the sparse LiDAR-like sampling of the KITTI depth maps.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ['finish_image', 'kinect_hole_mask', 'lidar_beam_mask']


def finish_image(rgb: np.ndarray, rng: np.random.Generator, noise_sigma: float,
                 target_mean: float) -> np.ndarray:
    """Auto-exposure, gamma, slight optical blur and sensor noise.

    Args:
        rgb: Linear float32 colours, shape (H, W, 3).
        rng: Random generator for the sensor noise (consumed).
        noise_sigma: Standard deviation of the (luma) noise on the [0, 1] scale.
        target_mean: Mean linear intensity the exposure aims at (the gain is
            clipped to [0.6, 2]).

    Returns:
        uint8 RGB image, shape (H, W, 3).
    """
    gain = float(np.clip(target_mean / max(float(rgb.mean()), 1e-6), 0.6, 2.0))
    img = np.clip(rgb * gain, 0.0, 1.0) ** (1 / 2.2)
    img = cv2.GaussianBlur(img, (3, 3), 0.6)
    luma = rng.standard_normal(img.shape[:2], dtype=np.float32)
    img = img + np.float32(noise_sigma) * luma[..., None]
    return np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)


def kinect_hole_mask(depth: np.ndarray, rng: np.random.Generator,
                     fraction: float = 0.01) -> np.ndarray:
    """Kinect-like missing measurements: small blobs plus some depth edges.

    Args:
        depth: z-depth in metres, shape (H, W).
        rng: Random generator (consumed).
        fraction: Approximate fraction of pixels removed by blobs.

    Returns:
        Boolean mask (H, W), true where the measurement is missing.
    """
    h, w = depth.shape
    n_blobs = max(1, int(round(fraction * h * w / 9.0)))
    mask = np.zeros((h, w), np.uint8)
    mask[rng.integers(h, size=n_blobs), rng.integers(w, size=n_blobs)] = 1
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(bool)
    finite = np.where(np.isfinite(depth), depth, 0.0).astype(np.float32)
    grad = np.maximum(np.abs(np.diff(finite, axis=1, append=finite[:, -1:])),
                      np.abs(np.diff(finite, axis=0, append=finite[-1:, :])))
    edges = grad > 0.08 * np.maximum(finite, 1e-3)
    return mask | (edges & (rng.random((h, w)) < 0.3))



def lidar_beam_mask(height: int, width: int, focal: float, rng: np.random.Generator,
                    num_beams: int = 64, keep_prob: float = 0.6) -> np.ndarray:
    """Pixels sampled by a LiDAR-like scanner.

    Beam elevations are evenly spaced in angle over the lower two thirds of
    the image; beams never fall on adjacent rows (fewer beams are used on
    small images) and each beam keeps a random subset of the columns.

    Args:
        height: Image height.
        width: Image width.
        focal: Focal length in pixels.
        rng: Random generator (consumed).
        num_beams: Maximum number of beams.
        keep_prob: Probability that a pixel on a beam row has a return.

    Returns:
        Boolean mask (H, W).
    """
    cy = (height - 1) / 2.0
    top_row = height / 3.0
    top = math.atan((cy - top_row) / focal)
    bottom = math.atan((cy - (height - 1)) / focal)
    span_rows = height - 1 - top_row
    n = max(1, min(num_beams, int(span_rows // 2)))
    angles = np.linspace(top, bottom, n)
    rows = np.unique(np.clip(np.rint(cy - focal * np.tan(angles)), 0, height - 1).astype(int))
    mask = np.zeros((height, width), bool)
    mask[rows] = rng.random((len(rows), width)) < keep_prob
    return mask

