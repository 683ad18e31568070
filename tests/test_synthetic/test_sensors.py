"""Depth-sensor effects of the synthetic data: the LiDAR beam rows of KITTI-like ground truth."""
import numpy as np

from mmdepth_dgr import synthetic as syn


def test_lidar_mask_rows():
    mask = syn.lidar_beam_mask(375, 1242, syn.KITTI_FOCAL, np.random.default_rng(0))
    rows = np.flatnonzero(mask.any(axis=1))
    assert 50 <= len(rows) <= 64
    assert rows.min() >= 375 // 3 and np.diff(rows).min() >= 2
