"""Whole augmentation pipelines (mmseg flip / crop and the depth transforms) keep image and
depth aligned; every depth transform is registered and has a repr."""
import numpy as np
import pytest
from mmseg.datasets.transforms import RandomCrop, RandomFlip
from mmseg.registry import TRANSFORMS

from mmdepth_dgr.datasets.transforms import (
    DepthColorAug,
    DepthRandomRotate,
    KBCrop,
    LoadDepthEdgeMap,
    LoadDepthMap,
    NYUBorderCrop,
)
from mmdepth_dgr.testing.transforms import (
    assert_exact_alignment,
    assert_piecewise_exact,
    assert_piecewise_monotonic,
    make_results,
    piecewise_scene,
    unique_scene,
)

# ------------------------------------------------------------ alignment through whole pipelines


@pytest.mark.parametrize('direction', ['horizontal', 'vertical'])
def test_mmseg_random_flip_alignment(direction):
    img, depth = unique_scene(120, 160)
    res = RandomFlip(prob=1.0, direction=direction)(make_results(img.copy(), depth.copy()))
    assert res['flip'] and res['flip_direction'] == direction
    assert not np.array_equal(res['img'], img)
    assert_exact_alignment(res['img'], res['gt_depth_map'])


def test_mmseg_random_crop_alignment():
    np.random.seed(3)
    img, depth = unique_scene(480, 640)
    res = RandomCrop(crop_size=(416, 544))(make_results(img, depth))
    assert res['img'].shape[:2] == res['gt_depth_map'].shape == (416, 544)
    assert res['img_shape'] == (416, 544)
    assert_exact_alignment(res['img'], res['gt_depth_map'])


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_nyu_bts_pipeline_alignment(seed):
    np.random.seed(seed)
    img, depth = piecewise_scene(480, 640, seed)
    pipeline = [
        NYUBorderCrop(),
        DepthRandomRotate(max_degree=2.5),
        RandomFlip(prob=0.5),
        RandomCrop(crop_size=(416, 544)),
        DepthColorAug(prob=1.0, brightness_range=(0.75, 1.25)),
    ]
    res = make_results(img, depth)
    for t in pipeline:
        res = t(res)
    assert res['img'].shape == (416, 544, 3) and res['img'].dtype == np.float32
    assert res['gt_depth_map'].shape == (416, 544)
    assert res['img_shape'] == (416, 544)
    assert_piecewise_monotonic(res['img'], res['gt_depth_map'])


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_kitti_bts_pipeline_alignment(seed):
    np.random.seed(seed)
    img, depth = piecewise_scene(375, 1242, seed)
    pipeline = [
        KBCrop(),
        DepthRandomRotate(max_degree=1.0),
        RandomCrop(crop_size=(352, 704)),
        RandomFlip(prob=0.5),
    ]
    res = make_results(img, depth)
    for t in pipeline:
        res = t(res)
    assert res['img'].shape == (352, 704, 3)
    assert res['gt_depth_map'].shape == (352, 704)
    assert_piecewise_exact(res['img'], res['gt_depth_map'])


# ------------------------------------------------------------------------- registry / repr


@pytest.mark.parametrize('cls', [LoadDepthMap, LoadDepthEdgeMap, KBCrop, DepthRandomRotate,
                                 DepthColorAug, NYUBorderCrop])
def test_registered_and_repr(cls):
    import mmdepth_dgr.datasets.transforms as transforms
    assert cls.__name__ in transforms.__all__
    assert TRANSFORMS.get(cls.__name__) is cls
    obj = TRANSFORMS.build(dict(type=cls.__name__))
    assert isinstance(obj, cls)
    text = repr(obj)
    assert text.startswith(cls.__name__ + '(') and text.endswith(')')
