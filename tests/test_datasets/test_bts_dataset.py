"""NYU / KITTI dataset classes: every line of the real BTS split files, stub trees, errors."""
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.dataset import Compose

import mmdepth_dgr  # noqa: F401  (registers everything)
from mmdepth_dgr.datasets import KITTIDepthDataset, NYUDepthDataset
from mmdepth_dgr.datasets.bts_dataset import parse_split_line
from mmdepth_dgr.testing import REPO_ROOT

SPLITS = REPO_ROOT.parent / 'shared' / 'splits'


def _lines(name: str) -> list:
    return [line for line in (SPLITS / name).read_text().splitlines() if line.strip()]


@pytest.mark.parametrize('name, cls, n_fields', [
    ('nyu_train.txt', NYUDepthDataset, 3),
    ('nyu_test.txt', NYUDepthDataset, 3),
    ('kitti_eigen_train.txt', KITTIDepthDataset, 3),
    ('kitti_eigen_test.txt', KITTIDepthDataset, 3),
    ('kitti_benchmark_val.txt', KITTIDepthDataset, 2),
    ('kitti_benchmark_test.txt', KITTIDepthDataset, 1),
])
def test_real_split_files_parse_every_line(name, cls, n_fields):
    lines = _lines(name)
    ds = cls(ann_file=str(SPLITS / name), data_root='/nonexistent', check_files=False,
             lazy_init=False, serialize_data=False, test_mode='train' not in name)
    assert len(ds) == len(lines)
    for i in (0, len(lines) // 2, len(lines) - 1):
        info = ds.get_data_info(i)
        fields = lines[i].split()
        assert info['img_path'] == '/nonexistent/' + fields[0].lstrip('/')
        assert info['rel_img_path'] == fields[0].lstrip('/')
        if n_fields >= 2 and fields[1] != 'None':
            assert info['depth_map_path'] == '/nonexistent/' + fields[1].lstrip('/')
        if n_fields == 3:
            assert info['focal'] == pytest.approx(float(fields[2]))
        else:
            assert info['focal'] == pytest.approx(721.5377)
    n_none = sum(1 for line in lines if len(line.split()) < 2 or line.split()[1] == 'None')
    assert sum(not ds.get_data_info(i)['has_gt'] for i in range(len(ds))) == n_none


def test_real_split_counts():
    """The community's numbers: 654 NYU test images, 697 Eigen test lines with 45 without GT."""
    assert len(_lines('nyu_test.txt')) == 654
    eigen = _lines('kitti_eigen_test.txt')
    assert len(eigen) == 697
    assert sum(line.split()[1] == 'None' for line in eigen) == 45


def test_metainfo_carries_scales_and_crops():
    nyu = NYUDepthDataset(ann_file=str(SPLITS / 'nyu_test.txt'), check_files=False)
    kitti = KITTIDepthDataset(ann_file=str(SPLITS / 'kitti_eigen_test.txt'), check_files=False,
                              test_mode=True)
    assert (nyu.depth_scale, nyu.min_depth, nyu.max_depth) == (1000.0, 1e-3, 10.0)
    assert (kitti.depth_scale, kitti.min_depth, kitti.max_depth) == (256.0, 1e-3, 80.0)
    info = nyu.get_data_info(0)
    assert info['eval_crop'] == 'nyu' and info['focal'] == pytest.approx(518.8579)
    assert kitti.get_data_info(0)['eval_crop'] == 'garg'
    assert nyu.metainfo['max_depth'] == 10.0


def _stub_tree(root: Path, lines: list, depth_scale: float, shape=(24, 32)) -> Path:
    """Write tiny image/depth files for the given real split lines."""
    rng = np.random.default_rng(0)
    for line in lines:
        fields = line.split()
        img = root / 'img' / fields[0].lstrip('/')
        img.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(img), rng.integers(0, 255, (*shape, 3), dtype=np.uint8))
        if len(fields) > 1 and fields[1] != 'None':
            depth = root / 'depth' / fields[1].lstrip('/')
            depth.parent.mkdir(parents=True, exist_ok=True)
            value = np.full(shape, 2.5 * depth_scale, dtype=np.uint16)
            value[0, 0] = 0
            cv2.imwrite(str(depth), value)
    split = root / 'split.txt'
    split.write_text('\n'.join(lines) + '\n')
    return split


@pytest.mark.parametrize('name, cls, scale', [
    ('nyu_train.txt', NYUDepthDataset, 1000.0),
    ('kitti_eigen_test.txt', KITTIDepthDataset, 256.0),
])
def test_stub_tree_loads_with_community_scales(tmp_path, name, cls, scale):
    lines = _lines(name)[:40]
    split = _stub_tree(tmp_path, lines, scale)
    ds = cls(ann_file=str(split), data_root=str(tmp_path), test_mode='test' in name,
             data_prefix=dict(img_path='img', depth_map_path='depth'),
             pipeline=[dict(type='LoadImageFromFile'),
                       dict(type='LoadDepthMap', depth_rescale_factor=1 / scale)])
    assert len(ds) == len(lines)
    for i in range(len(ds)):
        sample = ds[i]
        assert sample['img'].shape == (24, 32, 3)
        if ds.get_data_info(i)['has_gt']:
            assert sample['gt_depth_map'][1, 1] == pytest.approx(2.5)
            assert sample['gt_depth_map'][0, 0] == 0
        else:
            assert 'gt_depth_map' not in sample


def test_missing_files_are_named(tmp_path):
    lines = _lines('nyu_test.txt')[:3]
    split = _stub_tree(tmp_path, lines, 1000.0)
    missing = tmp_path / 'img' / lines[1].split()[0]
    missing.unlink()
    with pytest.raises(FileNotFoundError, match=r'split\.txt:2: img_path file not found: .*'
                       + lines[1].split()[0]):
        NYUDepthDataset(ann_file=str(split), data_root=str(tmp_path),
                        data_prefix=dict(img_path='img', depth_map_path='depth'))
    with pytest.raises(FileNotFoundError, match='split file not found: .*nope.txt'):
        NYUDepthDataset(ann_file=str(tmp_path / 'nope.txt'))


def test_missing_image_at_load_time_names_file(tmp_path):
    lines = _lines('nyu_test.txt')[:2]
    split = _stub_tree(tmp_path, lines, 1000.0)
    ds = NYUDepthDataset(ann_file=str(split), data_root=str(tmp_path), check_files=False,
                         data_prefix=dict(img_path='img', depth_map_path='depth'),
                         pipeline=[dict(type='LoadImageFromFile'),
                                   dict(type='LoadDepthMap', depth_rescale_factor=1e-3)])
    (tmp_path / 'img' / lines[0].split()[0]).unlink()
    with pytest.raises(FileNotFoundError, match=lines[0].split()[0]):
        ds[0]
    image = tmp_path / 'img' / lines[1].split()[0]
    image.write_bytes(b'not a jpeg')
    with pytest.raises(AssertionError, match='failed to load image: .*' + lines[1].split()[0]):
        ds[1]
    cv2.imwrite(str(image), np.zeros((24, 32, 3), np.uint8))
    depth = tmp_path / 'depth' / lines[1].split()[1]
    depth.write_bytes(b'not a png at all')
    with pytest.raises(ValueError, match='corrupt or unreadable depth PNG: .*'
                       + lines[1].split()[1]):
        ds[1]


@pytest.mark.parametrize('line, message', [
    ('a.jpg b.png 518.8 extra', r'bad\.txt:2: expected "rgb_path \[depth_path \[focal\]\]"'),
    ('a.jpg b.png focal', r"bad\.txt:2: focal length 'focal' is not a number"),
    ('a.jpg b.png -1', r'bad\.txt:2: focal length must be positive'),
])
def test_bad_split_lines_name_file_and_line(tmp_path, line, message):
    split = tmp_path / 'bad.txt'
    split.write_text('x.jpg y.png 518.8579\n' + line + '\n')
    with pytest.raises(ValueError, match=message):
        NYUDepthDataset(ann_file=str(split), check_files=False)


def test_parse_split_line_variants():
    assert parse_split_line('/a/b.jpg /a/c.png 1.5', 'f', 1, None) == ('a/b.jpg', 'a/c.png', 1.5)
    assert parse_split_line('a.png None 7', 'f', 1, None) == ('a.png', None, 7.0)
    assert parse_split_line('a.png', 'f', 1, 3.0) == ('a.png', None, 3.0)
    assert parse_split_line('   ', 'f', 1, None) is None
    with pytest.raises(ValueError, match='no focal length'):
        parse_split_line('a.png b.png', 'f', 1, None)


def test_empty_split_file_is_an_error(tmp_path):
    split = tmp_path / 'empty.txt'
    split.write_text('\n')
    with pytest.raises(ValueError, match='has no samples'):
        NYUDepthDataset(ann_file=str(split), check_files=False)


def test_nyu_test_pipeline_from_config(tmp_path):
    """The base config's test pipeline runs on a stub tree and packs the depth meta keys."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / '_base_'
                              / 'datasets' / 'nyu.py'))
    split = _stub_tree(tmp_path, _lines('nyu_test.txt')[:2], 1000.0)
    pipeline = Compose(cfg.test_pipeline)
    ds = NYUDepthDataset(ann_file=str(split), data_root=str(tmp_path),
                         data_prefix=dict(img_path='img', depth_map_path='depth'))
    packed = pipeline(ds.get_data_info(0))
    meta = packed['data_samples'].metainfo
    assert meta['focal'] == pytest.approx(518.8579)
    assert meta['eval_crop'] == 'nyu'
    assert packed['data_samples'].gt_depth_map.data.shape == (1, 24, 32)


def test_metainfo_has_no_classes_for_mmseg_apis():
    """classes / palette exist (None: depth has no classes) for mmseg's show_result_pyplot and
    init_model, which read them from the checkpoint's dataset_meta (this metainfo)."""
    from mmdepth_dgr.datasets.bts_dataset import BTSDepthDataset
    no_classes = dict(classes=None, palette=None)
    for cls in (BTSDepthDataset, NYUDepthDataset, KITTIDepthDataset):
        class_meta = cls.METAINFO
        assert class_meta == no_classes
    ds = NYUDepthDataset(ann_file=str(SPLITS / 'nyu_test.txt'), check_files=False)
    meta = ds.metainfo
    assert meta['classes'] is None and meta['palette'] is None
    assert meta['depth_scale'] == 1000.0 and meta['eval_crop'] == 'nyu'
    class_meta = NYUDepthDataset.METAINFO
    assert class_meta == no_classes  # the instance's metainfo is a copy
