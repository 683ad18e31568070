"""KBCrop: the KITTI benchmark crop (352x1216, bottom-centred), offsets, alignment, errors."""
import numpy as np
import pytest

from mmdepth_dgr.datasets.transforms import KBCrop
from mmdepth_dgr.testing.transforms import assert_exact_alignment, make_results, unique_scene


def test_kb_crop_alignment():
    img, depth = unique_scene(375, 1242)
    res = KBCrop()(make_results(img, depth))
    assert_exact_alignment(res['img'], res['gt_depth_map'])
    np.testing.assert_array_equal(res['gt_depth_map'], depth[23:, 13:13 + 1216])


@pytest.mark.parametrize('shape,offset', [((375, 1242), (23, 13)), ((370, 1224), (18, 4))])
def test_kb_crop_offsets_and_shapes(shape, offset):
    img, depth = unique_scene(*shape)
    res = KBCrop(height=352, width=1216)(make_results(img, depth))
    assert res['kb_crop_offset'] == offset
    assert res['uncropped_shape'] == shape
    assert res['img'].shape == (352, 1216, 3)
    assert res['gt_depth_map'].shape == (352, 1216)
    assert res['img_shape'] == res['ori_shape'] == (352, 1216)
    top, left = offset
    np.testing.assert_array_equal(res['img'], img[top:top + 352, left:left + 1216])


def test_kb_crop_too_small():
    img = np.zeros((300, 1242, 3), np.uint8)
    results = make_results(img, np.zeros((300, 1242), np.float32))
    results['img_path'] = '/data/kitti/too_small.png'
    with pytest.raises(ValueError, match='too_small.png'):
        KBCrop()(results)
    with pytest.raises(ValueError, match='smaller than the crop'):
        KBCrop()(make_results(np.zeros((375, 1000, 3), np.uint8),
                              np.zeros((375, 1000), np.float32)))
