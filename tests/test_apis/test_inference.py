"""init_model and inference_model: offline strict loading, full-size depth for files and arrays,
no config mutation, batches, agreement with mmseg's inference_model, clear errors."""
import copy
import re

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner.checkpoint import save_checkpoint
from mmseg.structures import SegDataSample

from mmdepth_dgr.apis import inference_model, init_model
from mmdepth_dgr.engine.checkpoint import CheckpointMismatchError
from mmdepth_dgr.testing import REAL_SAMPLES
from mmdepth_dgr.utils.checkpoint import load_weights_only

from .conftest import DATASET_META, NYU_CONFIG, depth_of, make_image, write_png

URL = 'https://download.invalid/never-fetched.pth'


# ------------------------------------------------------------------ init_model
def test_init_model_loads_the_checkpoint_and_its_dataset_meta(nyu_model, nyu_checkpoint):
    saved = load_weights_only(str(nyu_checkpoint))['state_dict']
    state = nyu_model.state_dict()
    assert set(state) == set(saved)
    for key, value in saved.items():
        assert torch.equal(state[key], value), key
    assert nyu_model.dataset_meta == DATASET_META
    assert not nyu_model.training
    assert all(p.device.type == 'cpu' for p in nyu_model.parameters())
    assert nyu_model.cfg.model.train_cfg is None
    assert isinstance(nyu_model.cfg, Config)


def test_init_model_without_checkpoint_keeps_random_weights(nyu_model):
    torch.manual_seed(1)
    with pytest.warns(UserWarning, match='no checkpoint'):
        fresh = init_model(Config.fromfile(str(NYU_CONFIG)), device='cpu')
    assert fresh.dataset_meta == dict(classes=None, palette=None)
    loaded = nyu_model.state_dict()
    differs = [k for k, v in fresh.state_dict().items()
               if v.is_floating_point() and not torch.equal(v, loaded[k])]
    assert differs  # the fixture's weights came from the checkpoint, not from the seed


def test_init_model_copies_the_config_and_switches_pretrained_weights_off():
    cfg = Config.fromfile(str(NYU_CONFIG))
    cfg.model.pretrained = URL
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=URL)
    cfg.model.decode_head.init_cfg = [dict(type='Pretrained', checkpoint=URL, prefix='head.')]
    cfg.model.decode_head.norm_cfg = dict(type='SyncBN', requires_grad=True)
    before = copy.deepcopy(cfg.to_dict())
    with pytest.warns(UserWarning, match='no checkpoint'):
        model = init_model(cfg, device='cpu', cfg_options={'model.decode_head.max_depth': 5.0})
    assert cfg.to_dict() == before  # the caller's config is untouched
    assert model.cfg is not cfg
    assert model.cfg.model.pretrained is None
    assert model.cfg.model.backbone.init_cfg is None
    assert model.cfg.model.decode_head.init_cfg is None
    assert model.backbone.init_cfg is None and model.decode_head.init_cfg is None
    assert model.cfg.model.train_cfg is None
    assert model.decode_head.max_depth == 5.0 and model.cfg.model.decode_head.max_depth == 5.0
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert norms and not any(isinstance(m, nn.SyncBatchNorm) for m in norms)


def test_init_model_names_a_missing_config_or_checkpoint(tmp_path, nyu_checkpoint):
    missing = tmp_path / 'no_such_config.py'
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        init_model(str(missing), device='cpu')
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        init_model(missing, str(nyu_checkpoint), device='cpu')
    no_ckpt = tmp_path / 'no_such_checkpoint.pth'
    with pytest.raises(FileNotFoundError, match=re.escape(str(no_ckpt))):
        init_model(str(NYU_CONFIG), str(no_ckpt), device='cpu')


def test_init_model_refuses_the_checkpoint_of_another_model(tmp_path, nyu_checkpoint):
    other = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    path = tmp_path / 'other_model.pth'
    save_checkpoint(dict(meta=dict(), state_dict=other.state_dict()), str(path))
    model_keys = [k for k in load_weights_only(str(nyu_checkpoint))['state_dict']
                  if not k.endswith('num_batches_tracked')]
    with pytest.raises(CheckpointMismatchError) as info:
        init_model(str(NYU_CONFIG), str(path), device='cpu')
    message = str(info.value)
    assert str(path) in message
    assert (f'missing keys (in the model, not in the checkpoint): {len(model_keys)}, e.g. '
            + ', '.join(model_keys[:5])) in message
    assert ('unexpected keys (in the checkpoint, not in the model): 7, e.g. 0.weight, 0.bias, '
            '1.weight, 1.bias, 1.running_mean') in message


def test_init_model_names_missing_and_mis_shaped_keys(tmp_path, nyu_checkpoint):
    state = dict(load_weights_only(str(nyu_checkpoint))['state_dict'])
    keys = [k for k in state if not k.endswith('num_batches_tracked')]
    dropped, reshaped = keys[3], keys[-2]
    del state[dropped]
    state[reshaped] = torch.zeros(2, 2)
    path = tmp_path / 'edited.pth'
    save_checkpoint(dict(state_dict=state), str(path))
    with pytest.raises(CheckpointMismatchError) as info:
        init_model(str(NYU_CONFIG), str(path), device='cpu')
    message = str(info.value)
    assert str(path) in message
    assert f'missing keys (in the model, not in the checkpoint): 1, e.g. {dropped}' in message
    assert f'shape mismatches (checkpoint vs model): 1, e.g. {reshaped} [2, 2] vs' in message
    assert 'unexpected keys' not in message


# ------------------------------------------------------------------ output sizes
@pytest.mark.parametrize('size', [(480, 640), (333, 517)])
def test_depth_has_the_input_size_for_arrays_and_png_files(nyu_model, tmp_path, size):
    img = make_image(*size, seed=size[0])
    png = write_png(tmp_path / 'frame.png', img)
    from_array, from_file = inference_model(nyu_model, [img, png])
    for sample in (from_array, from_file):
        depth = sample.pred_depth_map.data
        assert depth.shape == (1, *size) and depth.dtype == torch.float32
        assert torch.isfinite(depth).all() and (depth > 0).all()
        assert tuple(sample.metainfo['ori_shape']) == size
    assert from_array.metainfo['img_path'] is None
    assert from_file.metainfo['img_path'] == str(png)
    np.testing.assert_allclose(depth_of(from_file), depth_of(from_array), rtol=1e-6, atol=1e-6)


def test_kitti_frame_gives_full_frame_depth(kitti_model, tmp_path):
    """The KITTI test pipeline's KB crop (352x1216) is not applied: full 375x1242 depth."""
    img = make_image(375, 1242, seed=7)
    png = write_png(tmp_path / 'kitti.png', img)
    from_array, from_file = inference_model(kitti_model, [img, str(png)])
    for sample in (from_array, from_file):
        assert sample.pred_depth_map.data.shape == (1, 375, 1242)
        assert 'kb_crop_offset' not in sample.metainfo
        assert torch.isfinite(sample.pred_depth_map.data).all()
    np.testing.assert_allclose(depth_of(from_file), depth_of(from_array), rtol=1e-6, atol=1e-6)
    assert 'KBCrop' in [t['type'] for t in kitti_model.cfg.test_pipeline]  # config kept


@pytest.mark.parametrize('photo', [
    *sorted((REAL_SAMPLES / 'nyu').glob('rgb_*.jpg')),
    *sorted((REAL_SAMPLES / 'kitti' / 'rgb').glob('*.png')),
    *sorted((REAL_SAMPLES / 'wild').glob('*.jpg')),
], ids=lambda p: p.name)
def test_real_photographs_give_depth_of_their_size(request, photo):
    model = request.getfixturevalue('kitti_model' if 'kitti' in photo.parts else 'nyu_model')
    height, width = cv2.imread(str(photo)).shape[:2]
    depth = inference_model(model, str(photo)).pred_depth_map.data
    assert depth.shape == (1, height, width)
    assert torch.isfinite(depth).all() and (depth > 0).all()


def test_data_preprocessor_padding_is_removed(nyu_checkpoint):
    """With test-time padding (size_divisor 32) a 50x70 image is padded to 64x96; the
    prediction is cut back and has the image's size."""
    model = init_model(str(NYU_CONFIG), str(nyu_checkpoint), device='cpu',
                       cfg_options={'model.data_preprocessor.test_cfg': dict(size_divisor=32)})
    sample = inference_model(model, make_image(50, 70))
    assert tuple(sample.metainfo['img_padding_size']) == (0, 26, 0, 14)
    assert tuple(sample.metainfo['pad_shape']) == (64, 96)
    assert sample.pred_depth_map.data.shape == (1, 50, 70)


# ------------------------------------------------------------------ pipeline per call
def test_array_then_path_with_the_config_untouched(nyu_model, tmp_path):
    img = make_image(40, 56, seed=3)
    png = write_png(tmp_path / 'small.png', img)
    pipelines = copy.deepcopy((nyu_model.cfg.test_pipeline,
                               nyu_model.cfg.test_dataloader.dataset.pipeline))
    first = inference_model(nyu_model, img)
    second = inference_model(nyu_model, str(png))  # mmseg's version fails here
    third = inference_model(nyu_model, png)
    assert isinstance(first, SegDataSample) and isinstance(second, SegDataSample)
    assert (nyu_model.cfg.test_pipeline,
            nyu_model.cfg.test_dataloader.dataset.pipeline) == pipelines
    np.testing.assert_allclose(depth_of(second), depth_of(first), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(depth_of(third), depth_of(second))


def test_a_mixed_batch_equals_single_calls(nyu_model, tmp_path):
    small, other = make_image(40, 56, seed=4), make_image(48, 64, seed=5)
    png = write_png(tmp_path / 'other.png', other)
    inputs = (small, png, make_image(40, 56, seed=6), other)
    batch = inference_model(nyu_model, inputs)
    assert isinstance(batch, list) and len(batch) == 4
    for item, sample in zip(inputs, batch, strict=True):
        single = inference_model(nyu_model, item)
        assert sample.pred_depth_map.data.shape == single.pred_depth_map.data.shape
        np.testing.assert_allclose(depth_of(sample), depth_of(single), rtol=1e-5, atol=1e-5)
    assert [tuple(s.pred_depth_map.data.shape) for s in batch] == [
        (1, 40, 56), (1, 48, 64), (1, 40, 56), (1, 48, 64)]
    assert inference_model(nyu_model, []) == []


def test_agrees_with_mmseg_inference_model(nyu_model, tmp_path, monkeypatch):
    """mmseg's inference_model (its pipeline runs LoadDepthMap, which skips without a depth
    path) on the same model and image; it writes into model.cfg, so it gets a copy."""
    from mmseg.apis import inference_model as mmseg_inference_model
    img = make_image(45, 61, seed=8)
    png = write_png(tmp_path / 'mmseg.png', img)
    ours_array, ours_file = inference_model(nyu_model, img), inference_model(nyu_model, png)
    cfg = nyu_model.cfg
    monkeypatch.setattr(nyu_model, 'cfg', copy.deepcopy(cfg))
    theirs_array = mmseg_inference_model(nyu_model, img)
    monkeypatch.setattr(nyu_model, 'cfg', copy.deepcopy(cfg))
    theirs_file = mmseg_inference_model(nyu_model, str(png))
    assert theirs_array.pred_depth_map.data.shape == (1, 45, 61)
    np.testing.assert_allclose(depth_of(ours_array), depth_of(theirs_array), rtol=1e-6,
                               atol=1e-6)
    np.testing.assert_allclose(depth_of(ours_file), depth_of(theirs_file), rtol=1e-6,
                               atol=1e-6)


# ------------------------------------------------------------------ errors
def test_unreadable_or_missing_image_files_are_named(nyu_model, tmp_path):
    garbage = tmp_path / 'x.png'
    garbage.write_bytes(b'this is not a PNG file \x00\x01\x02' * 10)
    with pytest.raises(ValueError, match=r'cannot read image .*x\.png'):
        inference_model(nyu_model, str(garbage))
    missing = tmp_path / 'missing.png'
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        inference_model(nyu_model, [make_image(8, 8), missing])
    with pytest.raises(ValueError, match=re.escape(f'{tmp_path} is a folder')):
        inference_model(nyu_model, tmp_path)


@pytest.mark.parametrize('bad, expected', [
    (np.zeros((40, 56), np.uint8), r'shape \(40, 56\) and dtype uint8'),
    (np.zeros((40, 56, 4), np.uint8), r'shape \(40, 56, 4\) and dtype uint8'),
    (np.zeros((40, 56, 3), np.float32), r'shape \(40, 56, 3\) and dtype float32'),
    (np.zeros((0, 56, 3), np.uint8), r'shape \(0, 56, 3\)'),
])
def test_wrong_arrays_are_refused(nyu_model, bad, expected):
    with pytest.raises(ValueError, match=r'\(H, W, 3\) uint8 BGR image, got ' + expected):
        inference_model(nyu_model, bad)


def test_other_inputs_and_models_without_cfg_are_refused(nyu_model):
    with pytest.raises(TypeError, match='got int'):
        inference_model(nyu_model, 3)
    with pytest.raises(AttributeError, match='needs model.cfg'):
        inference_model(nn.Conv2d(3, 1, 1), make_image(8, 8))


def test_flip_is_the_mean_with_the_flipped_prediction(nyu_model):
    """``flip=True`` gives (N(I) + flip(N(flip(I)))) / 2, computed here from two plain calls."""
    img = make_image(50, 70, seed=3)
    plain = depth_of(inference_model(nyu_model, img))
    mirrored = depth_of(inference_model(nyu_model, np.ascontiguousarray(img[:, ::-1])))
    expected = (plain + mirrored[..., ::-1]) / 2
    flipped = depth_of(inference_model(nyu_model, img, flip=True))
    np.testing.assert_allclose(flipped, expected, rtol=1e-5, atol=1e-6)
    assert np.abs(flipped - plain).max() > 1e-4  # the augmentation changes the prediction
    batch = inference_model(nyu_model, [img, make_image(40, 40)], flip=True)
    np.testing.assert_allclose(depth_of(batch[0]), expected, rtol=1e-5, atol=1e-6)


def test_init_model_refuses_a_misspelt_cfg_option():
    """cfg_options keys are checked as for the tools' --cfg-options."""
    with pytest.raises(KeyError, match='modle'):
        init_model(str(NYU_CONFIG), device='cpu', cfg_options={'modle.decode_head.channels': 8})
    with pytest.raises(KeyError, match='modle'):
        init_model(Config.fromfile(str(NYU_CONFIG)), device='cpu',
                   cfg_options={'modle.decode_head.channels': 8})
