"""Depth encodings of the written files (NYU millimetres, KITTI x256) and the focal lengths."""
import numpy as np

from mmdepth_dgr import synthetic as syn


def test_encoders_and_focals():
    d = np.array([0.5, 10.0, 10.5, np.inf, 0.0, 1.2344])
    np.testing.assert_array_equal(syn.encode_nyu_depth(d), [500, 10000, 0, 0, 0, 1234])
    k = np.array([1.0, 80.0, 80.5, np.inf, 0.0])
    np.testing.assert_array_equal(syn.encode_kitti_depth(k), [256, 20480, 0, 0, 0])
    assert f'{syn.nyu_focal(640):.4f}' == '518.8579'
    assert f'{syn.kitti_focal(1242):.4f}' == '721.5377'
