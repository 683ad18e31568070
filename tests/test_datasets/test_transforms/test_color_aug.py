"""DepthColorAug: gamma / brightness / colour augmentation keeps the alignment, ranges, errors."""
import numpy as np
import pytest

from mmdepth_dgr.datasets.transforms import DepthColorAug
from mmdepth_dgr.testing.transforms import assert_piecewise_monotonic, make_results, piecewise_scene


def test_color_aug_keeps_alignment():
    np.random.seed(0)
    img, depth = piecewise_scene(240, 320)
    res = DepthColorAug(prob=1.0)(make_results(img, depth))
    assert_piecewise_monotonic(res['img'], res['gt_depth_map'], min_count=2000)


def test_color_aug_prob_zero_unchanged():
    img, depth = piecewise_scene(60, 80)
    res = DepthColorAug(prob=0.0)(make_results(img.copy(), depth))
    assert res['img'].dtype == np.float32
    np.testing.assert_array_equal(res['img'], img.astype(np.float32))


def test_color_aug_applied():
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, size=(60, 80, 3)).astype(np.uint8)
    outs = []
    for _ in range(2):
        np.random.seed(7)
        aug = DepthColorAug(prob=1.0, brightness_range=(0.75, 1.25))
        outs.append(aug(dict(img=img.copy()))['img'])
    out = outs[0]
    assert out.dtype == np.float32 and out.shape == img.shape
    assert out.min() >= 0.0 and out.max() <= 255.0
    assert not np.allclose(out, img.astype(np.float32))
    np.testing.assert_array_equal(outs[0], outs[1])  # seeded -> reproducible
    # strong brightening saturates at 255 instead of overflowing
    bright = DepthColorAug(prob=1.0, brightness_range=(3.0, 3.0))(dict(img=img.copy()))['img']
    assert bright.max() == 255.0 and bright.dtype == np.float32


@pytest.mark.parametrize('kwargs,name', [
    (dict(gamma_range=(1.1, 0.9)), 'gamma_range'),
    (dict(brightness_range=(0.0, 1.1)), 'brightness_range'),
    (dict(color_range=(-1.0, 1.0)), 'color_range'),
    (dict(color_range=(0.9, 1.0, 1.1)), 'color_range'),
    (dict(prob=1.5), 'prob'),
])
def test_color_aug_bad_range(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DepthColorAug(**kwargs)
