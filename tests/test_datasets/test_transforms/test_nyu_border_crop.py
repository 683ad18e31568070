"""NYUBorderCrop: the white border of the NYU frames, exact and scaled boxes, alignment."""
import numpy as np

from mmdepth_dgr.datasets.transforms import NYUBorderCrop
from mmdepth_dgr.testing.transforms import assert_exact_alignment, make_results, unique_scene


def test_nyu_border_crop_alignment():
    img, depth = unique_scene(480, 640)
    res = NYUBorderCrop()(make_results(img, depth))
    assert_exact_alignment(res['img'], res['gt_depth_map'])


def test_nyu_border_crop_exact_box():
    img, depth = unique_scene(480, 640)
    res = NYUBorderCrop()(make_results(img, depth))
    np.testing.assert_array_equal(res['img'], img[45:472, 43:608])
    np.testing.assert_array_equal(res['gt_depth_map'], depth[45:472, 43:608])
    assert res['img_shape'] == (427, 565)
    assert res['border_crop_box'] == (43, 45, 608, 472)


def test_nyu_border_crop_scaled_box():
    img, depth = unique_scene(240, 320)
    res = NYUBorderCrop()(make_results(img, depth))
    # 43/2=21.5 -> 22, 45/2=22.5 -> 23, 608/2=304, 472/2=236 (halves round up)
    assert res['border_crop_box'] == (22, 23, 304, 236)
    np.testing.assert_array_equal(res['img'], img[23:236, 22:304])
    np.testing.assert_array_equal(res['gt_depth_map'], depth[23:236, 22:304])
    assert res['img_shape'] == (213, 282)
