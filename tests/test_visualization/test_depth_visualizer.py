"""Depth colouring and DepthLocalVisualizer's side-by-side panels (one file per frame)."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmdepth_dgr.visualization import DepthLocalVisualizer, colorize_depth, depth_panels


def test_colorize_depth_marks_invalid_and_orders_near_far():
    depth = np.array([[1.0, 5.0, 0.0, np.nan]])
    rgb = colorize_depth(depth, 1.0, 5.0)
    assert rgb.shape == (1, 4, 3) and rgb.dtype == np.uint8
    assert (rgb[0, 2] == 0).all() and (rgb[0, 3] == 0).all()
    assert rgb[0, 0].astype(int).sum() > rgb[0, 1].astype(int).sum()  # near is bright
    with pytest.raises(ValueError, match='unknown colormap'):
        colorize_depth(depth, 0, 1, cmap='jet')


def test_visualizer_writes_four_panels(tmp_path):
    vis = DepthLocalVisualizer(name='test_vis_panels', save_dir=str(tmp_path),
                               vis_backends=[dict(type='LocalVisBackend')])
    sample = SegDataSample()
    sample.pred_depth_map = PixelData(data=torch.full((1, 12, 16), 2.0))
    sample.gt_depth_map = PixelData(data=torch.full((1, 12, 16), 2.5))
    image = np.zeros((12, 16, 3), np.uint8)
    out = tmp_path / 'x.png'
    vis.add_datasample('x', image, sample, out_file=str(out))
    import cv2
    drawn = cv2.imread(str(out))
    assert drawn.shape == (12, 64, 3)
    assert depth_panels(image, np.ones((12, 16))).shape == (12, 32, 3)
    # frames with the same basename in different scenes get different pictures
    for scene in ('office_0001', 'kitchen_0002'):
        sample.set_metainfo(dict(img_path=f'/d/{scene}/rgb_00000.jpg',
                                 rel_img_path=f'{scene}/rgb_00000.jpg'))
        vis.add_datasample('test_rgb_00000.jpg', image, sample)
    names = sorted(p.name for p in tmp_path.rglob('test_*.png'))
    assert names == ['test_kitchen_0002__rgb_00000_0.png', 'test_office_0001__rgb_00000_0.png']
