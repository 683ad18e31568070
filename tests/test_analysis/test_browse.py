"""The dataset-browsing library: split and channel-order resolution, unique picture names,
repeatable augmented samples and the pictures of an un-augmented split (RGB panel = file)."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmdepth_dgr.analysis import browse
from mmdepth_dgr.engine import load_config
from mmdepth_dgr.testing import TOOL_TEST_CONFIGS, dataloader_options
from mmdepth_dgr.utils.naming import sample_file_name

#: Rows of a picture below the panels' captions (drawn in the top-left corner).
CAPTION_ROWS = 16

pytestmark = pytest.mark.usefixtures('single_thread')


@pytest.fixture
def cfg(nyu_multiscene_root) -> Config:
    return load_config(str(TOOL_TEST_CONFIGS['nyu']), dataloader_options(nyu_multiscene_root))


def test_split_dataset_cfg(cfg):
    dataset = browse.split_dataset_cfg(cfg, 'val')
    assert dataset['ann_file'] == 'splits/nyu_test.txt'
    dataset['ann_file'] = 'changed'  # a copy
    assert cfg.val_dataloader.dataset.ann_file == 'splits/nyu_test.txt'
    with pytest.raises(ValueError, match=r"unknown split 'bogus': choose one of train, val"):
        browse.split_dataset_cfg(cfg, 'bogus')
    cfg.val_dataloader = None
    with pytest.raises(ValueError, match=r'no val_dataloader with a dataset.*it has: '
                                         r'train_dataloader, test_dataloader'):
        browse.split_dataset_cfg(cfg, 'val')


@pytest.mark.parametrize('preprocessor, order', [
    (dict(bgr_to_rgb=True), 'bgr'),
    (dict(rgb_to_bgr=True), 'rgb'),
    (dict(), 'bgr'),
])
def test_input_channel_order(preprocessor, order):
    assert browse.input_channel_order(dict(model=dict(data_preprocessor=preprocessor))) == order
    assert browse.input_channel_order(dict(data_preprocessor=preprocessor)) == order


def test_input_channel_order_of_the_config(cfg):
    assert cfg.model.data_preprocessor.bgr_to_rgb is True
    assert browse.input_channel_order(cfg) == 'bgr'


def test_input_to_rgb():
    chw = torch.stack([torch.full((2, 3), v, dtype=torch.uint8) for v in (10, 20, 30)])
    rgb = browse.input_to_rgb(chw, 'bgr')
    assert rgb.shape == (2, 3, 3) and rgb.dtype == np.uint8
    assert rgb[0, 0].tolist() == [30, 20, 10]
    assert browse.input_to_rgb(chw.float().numpy(), 'rgb')[1, 2].tolist() == [10, 20, 30]
    with pytest.raises(ValueError, match=r'\(3, H, W\)'):
        browse.input_to_rgb(torch.zeros(2, 3, 3), 'bgr')
    with pytest.raises(ValueError, match='channel_order'):
        browse.input_to_rgb(chw, 'hsv')


def test_unique_name():
    used = set()
    names = [browse.unique_name(meta, used) for meta in (
        dict(rel_img_path='scene_a/rgb_00000.jpg'), dict(rel_img_path='scene_b/rgb_00000.jpg'),
        dict(img_path='/x/a/rgb_00001.jpg'), dict(img_path='/x/b/rgb_00001.jpg'),
        dict(img_path='/x/c/rgb_00001.jpg'))]
    assert names == ['scene_a__rgb_00000', 'scene_b__rgb_00000', 'rgb_00001', 'rgb_00001_1',
                     'rgb_00001_2']
    assert used == set(names)


def test_augmented_samples_are_repeatable_with_a_seed(cfg):
    dataset = browse.build_split_dataset(cfg, 'train')
    assert len(dataset) == 8
    first = list(browse.augmented_samples(dataset, 'bgr', max_samples=3, seed=5))
    again = list(browse.augmented_samples(dataset, 'bgr', max_samples=3, seed=5))
    other = list(browse.augmented_samples(dataset, 'bgr', max_samples=3, seed=6))
    assert len(first) == 3
    for (img_a, sample_a), (img_b, sample_b) in zip(first, again, strict=True):
        assert np.array_equal(img_a, img_b)
        assert torch.equal(sample_a.gt_depth_map.data, sample_b.gt_depth_map.data)
        assert img_a.shape[:2] == tuple(sample_a.gt_depth_map.data.shape[-2:])
    assert any(a.shape != b.shape or not np.array_equal(a, b)
               for (a, _), (b, _) in zip(first, other, strict=True))
    with pytest.raises(ValueError, match='max_samples'):
        next(browse.augmented_samples(dataset, max_samples=-1))


def test_browse_val_split_rgb_panel_is_the_image_file(cfg, tmp_path):
    written = browse.browse_dataset(cfg, str(tmp_path), split='val', max_samples=3,
                                    progress=False)
    assert len(written) == 3 and len(set(written)) == 3
    assert sorted(str(p) for p in tmp_path.iterdir()) == sorted(written)
    dataset = browse.build_split_dataset(cfg, 'val')
    for index, path in enumerate(written):
        meta = dataset[index]['data_samples'].metainfo
        assert path.endswith(sample_file_name(meta) + '.png')
        source = cv2.imread(meta['img_path'])  # BGR, as the picture is read back
        assert not np.array_equal(source[..., 0], source[..., 2])  # a colour image
        picture = cv2.imread(path)
        h, w = source.shape[:2]
        assert picture.shape == (h, 2 * w, 3)  # RGB | GT
        assert np.array_equal(picture[CAPTION_ROWS:, :w], source[CAPTION_ROWS:])


def test_browse_dataset_needs_an_output(cfg):
    with pytest.raises(ValueError, match='output directory or show'):
        browse.browse_dataset(cfg, None, show=False)
