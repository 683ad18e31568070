"""LoadDepthMap refuses depth it would read wrongly (8-bit PNG, float without opt-in, empty
file, size unlike the image), naming the file; zero-byte RGB images are named too."""
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmdepth_dgr.datasets import NYUDepthDataset
from mmdepth_dgr.datasets.transforms import LoadDepthMap
from mmdepth_dgr.testing import REPO_ROOT

REAL_NYU = REPO_ROOT.parent / 'shared' / 'real_samples' / 'nyu'
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadDepthMap', depth_rescale_factor=1e-3)]


def _real_nyu_depth() -> np.ndarray:
    depth = cv2.imread(str(REAL_NYU / 'sync_depth_00000.png'), cv2.IMREAD_UNCHANGED)
    assert depth is not None and depth.dtype == np.uint16  # the real frame is 16-bit
    return depth


def test_real_16bit_nyu_depth_loads_in_metres():
    res = LoadDepthMap(depth_rescale_factor=1e-3)(
        dict(depth_map_path=str(REAL_NYU / 'sync_depth_00000.png')))
    assert res['gt_depth_map'].shape == (480, 640)
    assert 2.0 < res['gt_depth_map'].max() < 10.0  # an indoor room, in metres


def test_8bit_copy_of_real_nyu_depth_is_refused(tmp_path):
    """The reported case: an 8-bit PNG read as depth gave GT max 0.14 m and abs_rel 44."""
    depth8 = (_real_nyu_depth() // 256).astype(np.uint8)
    path = tmp_path / 'sync_depth_8bit.png'
    assert cv2.imwrite(str(path), depth8)
    assert cv2.imread(str(path), cv2.IMREAD_UNCHANGED).dtype == np.uint8
    with pytest.raises(ValueError) as info:
        LoadDepthMap(depth_rescale_factor=1e-3)(dict(depth_map_path=str(path)))
    message = str(info.value)
    assert str(path) in message
    assert 'dtype uint8' in message and 'expected uint16' in message
    assert "allowed_dtypes=('float32',)" in message


def test_float_depth_needs_allowed_dtypes(tmp_path):
    depth = np.random.default_rng(0).uniform(0.5, 9.5, (12, 16)).astype(np.float32)
    path = tmp_path / 'depth.npy'
    np.save(path, depth)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ' has dtype float32'):
        LoadDepthMap(decode_backend='numpy')(dict(depth_map_path=str(path)))
    loader = LoadDepthMap(decode_backend='numpy', allowed_dtypes=('float32',))
    np.testing.assert_array_equal(loader(dict(depth_map_path=str(path)))['gt_depth_map'], depth)
    assert "allowed_dtypes=('float32',)" in repr(loader)
    # several formats at once, named as numpy names them
    both = LoadDepthMap(allowed_dtypes=('uint16', np.float32))
    assert both.allowed_dtypes == ('uint16', 'float32')


@pytest.mark.parametrize('bad', ['uint16', (), ('not_a_dtype',)])
def test_bad_allowed_dtypes_are_named(bad):
    with pytest.raises(ValueError, match='allowed_dtypes'):
        LoadDepthMap(allowed_dtypes=bad)


def test_zero_byte_depth_is_named(tmp_path):
    path = tmp_path / 'empty.png'
    path.write_bytes(b'')
    with pytest.raises(ValueError, match=r'empty file, 0 bytes\): ' + re.escape(str(path))):
        LoadDepthMap()(dict(depth_map_path=str(path)))


def _tree(tmp_path: Path, depth: np.ndarray) -> Path:
    """A one-line NYU split: the real RGB frame (read in place) and ``depth`` in tmp_path."""
    assert cv2.imwrite(str(tmp_path / 'depth.png'), depth)
    split = tmp_path / 'split.txt'
    split.write_text(f'{REAL_NYU / "rgb_00000.jpg"} {tmp_path / "depth.png"} 518.8579\n')
    return split


def test_depth_of_another_size_than_its_image_names_the_sample(tmp_path):
    small = cv2.resize(_real_nyu_depth(), (320, 240), interpolation=cv2.INTER_NEAREST)
    split = _tree(tmp_path, small)
    ds = NYUDepthDataset(ann_file=str(split), data_root='/', pipeline=PIPELINE)
    with pytest.raises(ValueError) as info:
        ds[0]
    message = str(info.value)
    assert message.startswith('split.txt:1: depth map of size (240, 320) does not match its '
                              'image of size (480, 640)')
    assert str(REAL_NYU / 'rgb_00000.jpg') in message and str(tmp_path / 'depth.png') in message
    # the same pair at the right size loads
    split = _tree(tmp_path, _real_nyu_depth())
    sample = NYUDepthDataset(ann_file=str(split), data_root='/', pipeline=PIPELINE)[0]
    assert sample['img'].shape[:2] == sample['gt_depth_map'].shape == (480, 640)


def _zero_byte_rgb_tree(tmp_path: Path) -> Path:
    (tmp_path / 'rgb.jpg').write_bytes(b'')
    assert cv2.imwrite(str(tmp_path / 'depth.png'), np.full((8, 8), 2000, np.uint16))
    split = tmp_path / 'split.txt'
    split.write_text('x.jpg x.png 518.8579\nrgb.jpg depth.png 518.8579\n')
    (tmp_path / 'x.jpg').write_bytes(cv2.imencode('.jpg', np.zeros((8, 8, 3), np.uint8))[1])
    assert cv2.imwrite(str(tmp_path / 'x.png'), np.full((8, 8), 2000, np.uint16))
    return split


def test_zero_byte_rgb_is_named_at_build(tmp_path):
    """The reported case: mmcv's LoadImageFromFile raises an OpenCV assertion without the path."""
    split = _zero_byte_rgb_tree(tmp_path)
    with pytest.raises(ValueError, match=r'^split\.txt:2: img_path file is empty \(0 bytes\): '
                       + re.escape(str(tmp_path / 'rgb.jpg')) + '$'):
        NYUDepthDataset(ann_file=str(split), data_root=str(tmp_path))


def test_zero_byte_rgb_is_named_when_read(tmp_path):
    split = _zero_byte_rgb_tree(tmp_path)
    for test_mode in (False, True):
        ds = NYUDepthDataset(ann_file=str(split), data_root=str(tmp_path), check_files=False,
                             test_mode=test_mode, pipeline=PIPELINE)
        assert ds[0]['img'].shape == (8, 8, 3)
        with pytest.raises(ValueError, match=r'split\.txt:2: img_path file is empty .*rgb\.jpg'):
            ds[1]


def test_zero_byte_depth_is_named_at_build(tmp_path):
    split = _zero_byte_rgb_tree(tmp_path)
    (tmp_path / 'rgb.jpg').write_bytes((tmp_path / 'x.jpg').read_bytes())
    (tmp_path / 'depth.png').write_bytes(b'')
    with pytest.raises(ValueError, match=r'split\.txt:2: depth_map_path file is empty'):
        NYUDepthDataset(ann_file=str(split), data_root=str(tmp_path))
