"""LoadDepthMap: uint16 PNG depth, rescaling, seg_fields, named errors for missing or bad files."""
import cv2
import numpy as np
import pytest

from mmdepth_dgr.datasets.transforms import LoadDepthMap


def test_load_depth_map(tmp_path):
    raw = np.random.RandomState(0).randint(0, 10000, size=(24, 32)).astype(np.uint16)
    path = str(tmp_path / 'depth.png')
    assert cv2.imwrite(path, raw)
    res = LoadDepthMap(depth_rescale_factor=1 / 1000)(dict(depth_map_path=path, seg_fields=[]))
    depth = res['gt_depth_map']
    assert depth.dtype == np.float32 and depth.shape == (24, 32)
    np.testing.assert_allclose(depth, raw / 1000.0, rtol=1e-6)
    assert res['seg_fields'] == ['gt_depth_map']
    assert res['depth_rescale_factor'] == pytest.approx(1e-3)
    # missing seg_fields is created
    res = LoadDepthMap()(dict(depth_map_path=path))
    assert res['seg_fields'] == ['gt_depth_map']
    np.testing.assert_array_equal(res['gt_depth_map'], raw.astype(np.float32))
    # to_float32=False keeps the stored dtype (mmseg's in-place multiply fails here)
    res = LoadDepthMap(to_float32=False)(dict(depth_map_path=path))
    assert res['gt_depth_map'].dtype == np.uint16


def test_load_depth_map_missing_file(tmp_path):
    path = str(tmp_path / 'nope.png')
    with pytest.raises(FileNotFoundError) as info:
        LoadDepthMap()(dict(depth_map_path=path, seg_fields=[]))
    assert path in str(info.value) and 'depth_map_path' in str(info.value)


def test_load_depth_map_corrupt_file(tmp_path):
    path = str(tmp_path / 'corrupt.png')
    with open(path, 'wb') as f:
        f.write(b'\x89PNG garbage bytes, not an image' * 3)
    with pytest.raises(ValueError) as info:
        LoadDepthMap()(dict(depth_map_path=path, seg_fields=[]))
    assert 'corrupt or unreadable depth PNG' in str(info.value) and path in str(info.value)
    empty = str(tmp_path / 'empty.png')
    open(empty, 'wb').close()
    with pytest.raises(ValueError, match='corrupt or unreadable'):
        LoadDepthMap()(dict(depth_map_path=empty, seg_fields=[]))


def test_load_depth_map_3d(tmp_path):
    path = str(tmp_path / 'color.png')
    assert cv2.imwrite(path, np.ones((8, 8, 3), np.uint16))
    with pytest.raises(ValueError) as info:
        LoadDepthMap()(dict(depth_map_path=path, seg_fields=[]))
    assert path in str(info.value) and '2-D' in str(info.value)


def test_load_depth_map_without_a_path_passes_results_unchanged():
    """Inference on a bare image (mmseg's inference_model / MMSegInferencer) has no key."""
    img = np.zeros((6, 8, 3), np.uint8)
    for results in (dict(img=img, img_path='a.jpg'), dict(img=img, depth_map_path=None)):
        keys = sorted(results)
        out = LoadDepthMap()(results)
        assert sorted(out) == keys and out['img'] is img
        assert 'gt_depth_map' not in out and 'seg_fields' not in out


def test_load_depth_map_refuses_a_dataset_sample_without_the_key():
    """A dataset sample (mmengine's sample_idx) without depth_map_path is a dataset bug."""
    with pytest.raises(KeyError, match="'x.jpg' has no 'depth_map_path'"):
        LoadDepthMap()(dict(img_path='x.jpg', sample_idx=3))


def test_load_depth_map_in_test_pipeline_on_a_bare_image(tmp_path):
    """The test pipeline runs on dict(img_path=...) and packs no ground truth."""
    from mmengine.dataset import Compose
    path = str(tmp_path / 'frame.png')
    assert cv2.imwrite(path, np.full((12, 16, 3), 7, np.uint8))
    pipeline = Compose([dict(type='LoadImageFromFile'),
                        dict(type='LoadDepthMap', depth_rescale_factor=1e-3),
                        dict(type='PackSegInputs')])
    packed = pipeline(dict(img_path=path))
    assert tuple(packed['inputs'].shape) == (3, 12, 16)
    assert 'gt_depth_map' not in packed['data_samples']
