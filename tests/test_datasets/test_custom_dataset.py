"""CustomDepthDataset: the three layouts (folders, split file, JSON list) on trees written
here, depth_scale, the base config, and errors that name the file, line, entry and key."""
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS

from mmdepth_dgr.datasets import CustomDepthDataset
from mmdepth_dgr.datasets.custom import DepthRangeCheckHook, check_depth_ranges, file_size_hw
from mmdepth_dgr.engine import load_config
from mmdepth_dgr.testing import REPO_ROOT

BASE_CONFIG = REPO_ROOT / 'configs' / '_base_' / 'datasets' / 'custom.py'
CONFIG = (REPO_ROOT / 'configs' / 'multiscale_depth'
          / 'multiscale-depth_mit-b0_1xb8-20k_custom-416x544.py')
SHAPE = (24, 32)


def _load_pipeline(scale: float = 1000.0, **loader) -> list:
    return [dict(type='LoadImageFromFile'),
            dict(type='LoadDepthMap', depth_rescale_factor=1 / scale, **loader)]


def _image(path: Path, shape=SHAPE, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    assert cv2.imwrite(str(path), rng.integers(0, 255, (*shape, 3), dtype=np.uint8))
    return path


def _depth(path: Path, value: int, shape=SHAPE) -> Path:
    """A uint16 depth PNG of ``value`` everywhere but (0, 0), which is 0 (invalid)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    depth = np.full(shape, value, dtype=np.uint16)
    depth[0, 0] = 0
    assert cv2.imwrite(str(path), depth)
    return path


def _folder_tree(root: Path, names=('a', 'room1/b', 'room2/c'), exts=('.jpg', '.png', '.jpg'),
                 value: int = 2500) -> Path:
    """``rgb/<name><ext>`` + ``depth/<name>.png`` (value ``value + 100 * i``)."""
    for i, (name, ext) in enumerate(zip(names, exts, strict=True)):
        _image(root / 'rgb' / f'{name}{ext}', seed=i)
        _depth(root / 'depth' / f'{name}.png', value + 100 * i)
    return root


def _folders(root: Path, **kwargs) -> CustomDepthDataset:
    kwargs.setdefault('pipeline', _load_pipeline(kwargs.get('depth_scale', 1000.0)))
    return CustomDepthDataset(layout='folders', data_root=str(root), **kwargs)


# ------------------------------------------------------------------------------ the layouts


def test_folders_pair_by_name_below_the_folders(tmp_path):
    root = _folder_tree(tmp_path)
    (root / 'rgb' / '.DS_Store').write_bytes(b'x')  # hidden files are skipped
    ds = _folders(root)
    assert len(ds) == 3
    infos = [ds.get_data_info(i) for i in range(3)]
    assert [i['rel_img_path'] for i in infos] == ['a.jpg', 'room1/b.png', 'room2/c.jpg']
    assert [i['depth_map_path'] for i in infos] == [
        str(root / 'depth' / n) for n in ('a.png', 'room1/b.png', 'room2/c.png')]
    assert infos[1]['img_path'] == str(root / 'rgb' / 'room1' / 'b.png')
    assert infos[1]['split_line'] == "pair 'room1/b'"
    assert all(i['has_gt'] and i['focal'] is None and i['calib'] is None for i in infos)
    assert ds.metainfo['layout'] == 'folders' and ds.metainfo['depth_scale'] == 1000.0
    for i, expected in enumerate((2.5, 2.6, 2.7)):
        sample = ds[i]
        assert sample['img'].shape == (*SHAPE, 3)
        assert sample['gt_depth_map'][1, 1] == pytest.approx(expected)
        assert sample['gt_depth_map'][0, 0] == 0


def test_folders_default_prefixes_and_global_focal(tmp_path):
    root = _folder_tree(tmp_path)
    ds = CustomDepthDataset(data_root=str(root), default_focal=500.0)  # layout 'folders'
    assert len(ds) == 3
    assert {ds.get_data_info(i)['focal'] for i in range(3)} == {500.0}


def test_split_layout_with_and_without_focal(tmp_path):
    _image(tmp_path / 'img' / 'x.jpg')
    _depth(tmp_path / 'gt' / 'x.png', 1000)
    _image(tmp_path / 'img' / 'y.jpg', seed=1)
    _depth(tmp_path / 'gt' / 'y.png', 3000)
    split = tmp_path / 'train.txt'
    split.write_text('x.jpg x.png 580.5\n\n/y.jpg /y.png\n')
    kwargs = dict(layout='split', ann_file='train.txt', data_root=str(tmp_path),
                  data_prefix=dict(img_path='img', depth_map_path='gt'),
                  pipeline=_load_pipeline())
    ds = CustomDepthDataset(**kwargs)
    assert [ds.get_data_info(i)['focal'] for i in range(2)] == [580.5, None]
    assert [ds.get_data_info(i)['split_line'] for i in range(2)] == ['train.txt:1',
                                                                      'train.txt:3']
    assert ds.get_data_info(1)['depth_map_path'] == str(tmp_path / 'gt' / 'y.png')
    assert ds[1]['gt_depth_map'][3, 3] == pytest.approx(3.0)
    ds = CustomDepthDataset(default_focal=600.0, **kwargs)
    assert [ds.get_data_info(i)['focal'] for i in range(2)] == [580.5, 600.0]
    # a line without ground truth: test sets only
    split.write_text('x.jpg x.png\ny.jpg None\n')
    ds = CustomDepthDataset(test_mode=True, **kwargs)
    assert [ds.get_data_info(i)['has_gt'] for i in range(2)] == [True, False]
    assert 'gt_depth_map' not in ds[1]
    with pytest.raises(ValueError, match=r'train\.txt:2: no depth map on this line'):
        CustomDepthDataset(**kwargs)


def test_json_layout_with_focal_intrinsics_and_absolute_paths(tmp_path):
    _image(tmp_path / 'rgb' / 'a.png')
    _depth(tmp_path / 'depth' / 'a.png', 1500)
    absolute = _image(tmp_path / 'elsewhere' / 'b.jpg', seed=1)
    _depth(tmp_path / 'depth' / 'b.png', 4000)
    _image(tmp_path / 'rgb' / 'c.jpg', seed=2)
    _depth(tmp_path / 'depth' / 'c.png', 2000)
    (tmp_path / 'list.json').write_text(json.dumps([
        {'rgb': 'a.png', 'depth': 'a.png', 'focal': 520.0},
        {'rgb': str(absolute), 'depth': 'b.png', 'intrinsics': [700, 710.5, 320, 240.25]},
        {'rgb': 'c.jpg', 'depth': 'c.png'},
    ]))
    ds = CustomDepthDataset(layout='json', ann_file='list.json', data_root=str(tmp_path),
                            data_prefix=dict(img_path='rgb', depth_map_path='depth'),
                            default_focal=450.0, pipeline=_load_pipeline())
    infos = [ds.get_data_info(i) for i in range(3)]
    assert [i['focal'] for i in infos] == [520.0, 700.0, 450.0]
    assert [i['calib'] for i in infos] == [None, (700.0, 710.5, 320.0, 240.25), None]
    assert infos[1]['img_path'] == str(absolute)
    assert [i['split_line'] for i in infos] == ['list.json[0]', 'list.json[1]', 'list.json[2]']
    assert [ds[i]['gt_depth_map'][5, 5] for i in range(3)] == pytest.approx([1.5, 4.0, 2.0])


def test_json_null_depth_is_for_test_sets(tmp_path):
    _image(tmp_path / 'a.jpg')
    (tmp_path / 'list.json').write_text('[{"rgb": "a.jpg", "depth": null}]')
    ds = CustomDepthDataset(layout='json', ann_file=str(tmp_path / 'list.json'),
                            data_root=str(tmp_path), test_mode=True)
    assert ds.get_data_info(0)['has_gt'] is False
    assert ds.get_data_info(0)['depth_map_path'] is None
    with pytest.raises(ValueError, match=r"list\.json\[0\]: 'depth' is null"):
        CustomDepthDataset(layout='json', ann_file=str(tmp_path / 'list.json'),
                           data_root=str(tmp_path))


# ------------------------------------------------------------------------------ depth_scale


@pytest.mark.parametrize('scale, stored, metres', [
    (1000.0, 2500, 2.5), (256.0, 2500, 2500 / 256), (5000.0, 40000, 8.0)])
def test_depth_scale_turns_stored_values_into_metres(tmp_path, scale, stored, metres):
    root = _folder_tree(tmp_path, names=('a', ), exts=('.jpg', ), value=stored)
    ds = _folders(root, depth_scale=scale)
    assert ds.get_data_info(0)['depth_scale'] == scale
    assert ds[0]['gt_depth_map'][2, 2] == pytest.approx(metres, rel=1e-6)


def test_float_npy_depth_in_metres(tmp_path):
    _image(tmp_path / 'rgb' / 'a.jpg')
    (tmp_path / 'depth').mkdir()
    depth = np.linspace(0.5, 7.5, SHAPE[0] * SHAPE[1], dtype=np.float32).reshape(SHAPE)
    np.save(tmp_path / 'depth' / 'a.npy', depth)
    ds = _folders(tmp_path, depth_scale=1.0,
                  pipeline=_load_pipeline(1.0, decode_backend='numpy',
                                          allowed_dtypes=('float32', )))
    np.testing.assert_array_equal(ds[0]['gt_depth_map'], depth)


def test_pipeline_factor_must_invert_depth_scale(tmp_path):
    root = _folder_tree(tmp_path)
    with pytest.raises(ValueError, match=r'depth_rescale_factor=0\.001, but the dataset has '
                       r'depth_scale=256\.0.*1 / 256'):
        _folders(root, depth_scale=256.0, pipeline=_load_pipeline(1000.0))
    tta = [dict(type='LoadImageFromFile'),
           dict(type='TestTimeAug', transforms=[[dict(type='RandomFlip', prob=0.0)],
                                                _load_pipeline(1000.0)[1:]])]
    with pytest.raises(ValueError, match='depth_rescale_factor=0.001'):
        _folders(root, depth_scale=256.0, pipeline=tta)


@pytest.mark.parametrize('scale', [0, -1000.0, float('inf'), '1000'])
def test_bad_depth_scale(tmp_path, scale):
    with pytest.raises(ValueError, match='depth_scale must be a positive number'):
        CustomDepthDataset(data_root=str(tmp_path), depth_scale=scale)


# ------------------------------------------------------------------------------ errors


def test_size_mismatch_names_both_files_in_every_layout(tmp_path):
    root = _folder_tree(tmp_path)
    bad_depth = _depth(root / 'depth' / 'room1' / 'b.png', 2000, shape=(24, 30))
    bad_image = root / 'rgb' / 'room1' / 'b.png'
    message = (rf"pair 'room1/b': depth map of size \(24, 30\) does not match its image of "
               rf'size \(24, 32\) \(H, W\): image {re.escape(str(bad_image))}, depth '
               rf'{re.escape(str(bad_depth))}')
    with pytest.raises(ValueError, match=message):
        _folders(root)
    (root / 'list.json').write_text(json.dumps([{'rgb': 'a.jpg', 'depth': 'a.png'},
                                                {'rgb': 'room1/b.png', 'depth': 'room1/b.png'}]))
    with pytest.raises(ValueError, match=r'list\.json\[1\]: depth map of size \(24, 30\) .*'
                       + re.escape(str(bad_depth))):
        CustomDepthDataset(layout='json', ann_file='list.json', data_root=str(root),
                           data_prefix=dict(img_path='rgb', depth_map_path='depth'))
    (root / 'split.txt').write_text('room1/b.png room1/b.png 500\n')
    with pytest.raises(ValueError, match=r'split\.txt:1: depth map of size \(24, 30\) .*image '
                       + re.escape(str(bad_image))):
        CustomDepthDataset(layout='split', ann_file='split.txt', data_root=str(root),
                           data_prefix=dict(img_path='rgb', depth_map_path='depth'))
    # without the start-up check, the loader names both files when the sample is read
    ds = _folders(root, check_sizes=False)
    with pytest.raises(ValueError, match=message):
        ds[1]


def test_file_headers_give_sizes_without_decoding(tmp_path):
    assert file_size_hw(str(_image(tmp_path / 'a.jpg', shape=(7, 9))), 'image', 'w') == (7, 9)
    assert file_size_hw(str(_depth(tmp_path / 'a.png', 1, shape=(5, 3))), 'depth', 'w') == (5, 3)
    np.save(tmp_path / 'd.npy', np.zeros((4, 6), np.float32))
    assert file_size_hw(str(tmp_path / 'd.npy'), 'depth', 'w') == (4, 6)
    np.save(tmp_path / 'e.npy', np.zeros((4, 6, 1), np.float32))
    with pytest.raises(ValueError, match=r'w: depth .*e\.npy must be a 2-D'):
        file_size_hw(str(tmp_path / 'e.npy'), 'depth', 'w')
    (tmp_path / 'junk.png').write_bytes(b'not a png')
    with pytest.raises(ValueError, match=r'w: cannot read the depth header of .*junk\.png'):
        file_size_hw(str(tmp_path / 'junk.png'), 'depth', 'w')


def test_missing_and_empty_files_are_named(tmp_path):
    root = _folder_tree(tmp_path)
    kwargs = dict(data_root=str(root), data_prefix=dict(img_path='rgb', depth_map_path='depth'))
    (root / 'split.txt').write_text('a.jpg a.png\nroom2/c.jpg room2/nope.png\n')
    with pytest.raises(FileNotFoundError, match=r'split\.txt:2: depth_map_path file not found: '
                       + re.escape(str(root / 'depth' / 'room2' / 'nope.png'))):
        CustomDepthDataset(layout='split', ann_file='split.txt', **kwargs)
    (root / 'list.json').write_text(json.dumps([{'rgb': 'a.jpg', 'depth': 'a.png'},
                                                {'rgb': 'gone.jpg', 'depth': 'a.png'}]))
    with pytest.raises(FileNotFoundError, match=r'list\.json\[1\]: img_path file not found: '
                       + re.escape(str(root / 'rgb' / 'gone.jpg'))):
        CustomDepthDataset(layout='json', ann_file='list.json', **kwargs)
    (root / 'depth' / 'a.png').write_bytes(b'')
    with pytest.raises(ValueError, match=r"pair 'a': depth_map_path file is empty \(0 bytes\)"):
        _folders(root)
    with pytest.raises(FileNotFoundError, match=r'json file not found: .*nope\.json'):
        CustomDepthDataset(layout='json', ann_file='nope.json', **kwargs)
    with pytest.raises(FileNotFoundError, match=r'image folder not found: .*photos'):
        CustomDepthDataset(data_root=str(root), data_prefix=dict(img_path='photos'))


@pytest.mark.parametrize('entry, message', [
    ({'rgb': 'a.jpg', 'detph': 'a.png'}, r"\[1\]: unknown key\(s\) 'detph'; a sample has the "
     r'keys rgb, depth, focal, intrinsics'),
    ({'depth': 'a.png'}, r"\[1\]: key 'rgb' must be a non-empty path string, got nothing"),
    ({'rgb': 'a.jpg'}, r"\[1\]: missing key 'depth'"),
    ({'rgb': 'a.jpg', 'depth': 3}, r"\[1\]: key 'depth' must be a non-empty path string or null"),
    ({'rgb': 'a.jpg', 'depth': 'a.png', 'focal': '500'}, r"\[1\]: key 'focal' must be a number"),
    ({'rgb': 'a.jpg', 'depth': 'a.png', 'focal': -5}, r'\[1\] focal: focal length must be '
     'positive'),
    ({'rgb': 'a.jpg', 'depth': 'a.png', 'intrinsics': [500, 500, 320]},
     r"\[1\]: key 'intrinsics' must be a list of 4 finite numbers"),
    ({'rgb': 'a.jpg', 'depth': 'a.png', 'intrinsics': [500, 1e9, 320, 240]},
     r'\[1\] intrinsics fy: focal length 1000000000.0 px is outside'),
    ({'rgb': 'a.jpg', 'depth': 'a.png', 'focal': 500, 'intrinsics': [500, 500, 320, 240]},
     r"\[1\]: give either 'focal' or 'intrinsics'"),
    (['a.jpg', 'a.png'], r'\[1\]: expected an object like'),
])
def test_bad_json_entries_name_file_index_and_key(tmp_path, entry, message):
    root = _folder_tree(tmp_path)
    ann = root / 'list.json'
    ann.write_text(json.dumps([{'rgb': 'a.jpg', 'depth': 'a.png'}, entry]))
    with pytest.raises(ValueError, match=re.escape(str(ann)) + message):
        CustomDepthDataset(layout='json', ann_file=str(ann), data_root=str(root),
                           data_prefix=dict(img_path='rgb', depth_map_path='depth'))


def test_bad_json_files(tmp_path):
    ann = tmp_path / 'list.json'
    ann.write_text('[{"rgb": "a.jpg", "depth": "a.png"},\n {"rgb": }]')
    with pytest.raises(ValueError, match=r'list\.json: not valid JSON \(Expecting value at '
                       r'line 2, column 10\)'):
        CustomDepthDataset(layout='json', ann_file=str(ann))
    ann.write_text('{"rgb": "a.jpg", "depth": "a.png"}')
    with pytest.raises(ValueError, match=r'list\.json: expected a JSON list of samples .*got '
                       'a dict'):
        CustomDepthDataset(layout='json', ann_file=str(ann))
    ann.write_text('[]')
    with pytest.raises(ValueError, match=r'list\.json has no samples'):
        CustomDepthDataset(layout='json', ann_file=str(ann))


def test_unmatched_names_are_listed(tmp_path):
    names = [f'f{i:02d}' for i in range(8)]
    root = _folder_tree(tmp_path, names=names, exts=['.jpg'] * 8)
    for name in names[1:8]:  # 7 images without depth (the first 5 listed)
        (root / 'depth' / f'{name}.png').unlink()
    _depth(root / 'depth' / 'orphan.png', 1000)
    with pytest.raises(ValueError) as err:
        _folders(root)
    text = str(err.value)
    assert ('unmatched files: 7 image(s) in ' + str(root / 'rgb') + ' have no depth map of the '
            'same name in ' + str(root / 'depth') + ': f01.jpg, f02.jpg, f03.jpg, f04.jpg, '
            'f05.jpg, ...;') in text
    assert '1 depth map(s) in ' + str(root / 'depth') + ' have no image' in text
    assert text.rstrip().split('no image of the same name in ')[1].startswith(
        str(root / 'rgb') + ': orphan.png (')
    assert 'f06.jpg' not in text and 'f00' not in text


def test_unknown_depth_format_is_named(tmp_path):
    root = _folder_tree(tmp_path)
    (root / 'depth' / 'room1' / 'b.png').rename(root / 'depth' / 'room1' / 'b.exr')
    with pytest.raises(ValueError, match=r'unknown depth format: 1 file\(s\) in .*depth have '
                       r'another extension than \.png, \.tif, \.tiff, \.npy: room1/b\.exr'):
        _folders(root)
    (root / 'list.json').write_text('[{"rgb": "room1/b.png", "depth": "room1/b.exr"}]')
    with pytest.raises(ValueError, match=r"list\.json\[0\]: unknown depth format '\.exr': "
                       + re.escape(str(root / 'depth' / 'room1' / 'b.exr'))):
        CustomDepthDataset(layout='json', ann_file='list.json', data_root=str(root),
                           data_prefix=dict(img_path='rgb', depth_map_path='depth'))


def test_depth_format_the_loader_cannot_decode_is_named(tmp_path):
    _image(tmp_path / 'rgb' / 'a.jpg')
    (tmp_path / 'depth').mkdir()
    np.save(tmp_path / 'depth' / 'a.npy', np.ones(SHAPE, np.float32))
    with pytest.raises(ValueError, match=r"pair 'a': depth map .*a\.npy needs LoadDepthMap\("
                       r"decode_backend='numpy'\), but the pipeline's depth loader decodes "
                       "with 'cv2'"):
        _folders(tmp_path, depth_scale=1.0, pipeline=_load_pipeline(1.0))


def test_folder_layout_errors(tmp_path):
    root = _folder_tree(tmp_path)
    _image(root / 'rgb' / 'a.png')  # a.jpg and a.png
    with pytest.raises(ValueError, match=r"two image files have the name 'a': .*a\.jpg and "
                       r'.*a\.png'):
        _folders(root)
    with pytest.raises(ValueError, match=r"layout 'folders' needs two folders, got the image "
                       'and depth folder'):
        _folders(root, data_prefix=dict(img_path='rgb', depth_map_path='rgb'))
    (root / 'rgb' / 'a.png').unlink()
    (root / 'rgb' / 'notes.txt').write_text('x')
    with pytest.raises(ValueError, match=r'unknown image format: 1 file\(s\) .*notes\.txt'):
        _folders(root)


@pytest.mark.parametrize('kwargs, message', [
    (dict(layout='csv'), "unknown layout 'csv'; choose one of 'split', 'folders', 'json'"),
    (dict(layout='folders', ann_file='x.txt'), "layout 'folders' pairs the files of two "
     'folders and reads no ann_file'),
    (dict(layout='json'), "layout 'json' needs ann_file"),
    (dict(layout='split'), "layout 'split' needs ann_file"),
])
def test_bad_layout_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        CustomDepthDataset(**kwargs)


# ------------------------------------------------------------------------------ the configs


def test_base_config_builds_through_the_registry(tmp_path):
    """configs/_base_/datasets/custom.py's loaders on a folder tree in its default layout."""
    for split, n in (('train', 3), ('val', 2)):
        _folder_tree(tmp_path / split, names=[f'{split}{i}' for i in range(n)],
                     exts=['.jpg'] * n)
    cfg = Config.fromfile(str(BASE_CONFIG))
    assert cfg.train_dataloader.dataset.type == 'CustomDepthDataset'
    train = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=str(tmp_path)))
    val = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=str(tmp_path)))
    assert (len(train), len(val)) == (3, 2)
    assert not train.test_mode and val.test_mode
    packed = val[1]
    meta = packed['data_samples'].metainfo
    assert meta['rel_img_path'] == 'val1.jpg'
    assert meta['depth_scale'] == 1000.0 and meta['max_depth'] == 10.0 and 'calib' in meta
    gt = packed['data_samples'].gt_depth_map.data
    assert gt.shape == (1, *SHAPE) and float(gt[0, 2, 2]) == pytest.approx(2.6)
    assert train[0]['inputs'].shape[0] == 3


def test_runnable_config_ties_head_and_metric_to_the_data():
    cfg = Config.fromfile(str(CONFIG))
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'CustomDepthDataset' and dataset.layout == 'folders'
    assert cfg.model.decode_head.max_depth == dataset.max_depth == cfg.test_evaluator.max_depth_eval
    assert cfg.model.decode_head.min_depth == dataset.min_depth
    loader = next(t for t in dataset.pipeline if t.type == 'LoadDepthMap')
    assert loader.depth_rescale_factor * dataset.depth_scale == pytest.approx(1.0)
    assert cfg.test_evaluator.depth_scale == 1000.0  # --out PNGs in mm, whatever the data
    assert {'type': 'DepthRangeCheckHook'} in [dict(h) for h in cfg.custom_hooks]
    check_depth_ranges(cfg)
    assert cfg.train_cfg.max_iters == cfg.param_scheduler[0].end == 20000
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'


def test_metric_dumps_millimetres_whatever_the_data_encoding():
    """--out PNGs hold mm for depth_scale=1 data too (not whole metres)."""
    cfg = Config.fromfile(str(BASE_CONFIG))
    assert cfg.depth_scale == 1000.0
    assert cfg.val_evaluator.depth_scale == cfg.test_evaluator.depth_scale == 1000.0
    text = BASE_CONFIG.read_text()
    assert "crop=None, depth_scale=1000.0)" in text and 'depth_scale=depth_scale)' not in text


# ------------------------------------------------------------------------------ headers


def _rotated_jpeg(path: Path, stored_hw=SHAPE, orientation: int = 6) -> Path:
    """A JPEG of ``stored_hw`` pixels whose EXIF says: turn it by 90 degrees to show it."""
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif[0x0112] = orientation
    pixels = np.random.default_rng(0).integers(0, 255, (*stored_hw, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, exif=exif)
    return path


def test_exif_orientation_is_applied_like_the_image_loader(tmp_path):
    jpeg = _rotated_jpeg(tmp_path / 'rgb' / 'a.jpg')  # stored 24x32, shown 32x24
    assert cv2.imread(str(jpeg)).shape[:2] == (32, 24)  # what LoadImageFromFile decodes
    assert file_size_hw(str(jpeg), 'image', 'w', exif_orientation=True) == (32, 24)
    assert file_size_hw(str(jpeg), 'image', 'w') == SHAPE
    upright = _rotated_jpeg(tmp_path / 'b.jpg', orientation=1)
    assert file_size_hw(str(upright), 'image', 'w', exif_orientation=True) == SHAPE
    # a depth map of the decoded size passes the start-up check and loads
    _depth(tmp_path / 'depth' / 'a.png', 2000, shape=(32, 24))
    sample = _folders(tmp_path)[0]
    assert sample['img'].shape[:2] == sample['gt_depth_map'].shape == (32, 24)
    # one of the stored size is refused at start-up, both files named
    _depth(tmp_path / 'depth' / 'a.png', 2000, shape=SHAPE)
    with pytest.raises(ValueError, match=r"pair 'a': depth map of size \(24, 32\) does not match "
                       r'its image of size \(32, 24\) .*a\.jpg, depth .*a\.png'):
        _folders(tmp_path)


@pytest.mark.parametrize('content', ['pickled', 'junk', 'truncated'])
def test_unreadable_npy_names_the_file_and_the_sample(tmp_path, content):
    _image(tmp_path / 'rgb' / 'a.jpg')
    path = tmp_path / 'depth' / 'a.npy'
    path.parent.mkdir()
    if content == 'pickled':
        np.save(path, np.array([{'depth': 1.0}], dtype=object), allow_pickle=True)
    elif content == 'junk':
        path.write_bytes(b'not a numpy file at all')
    else:
        np.save(path, np.ones(SHAPE, np.float32))
        path.write_bytes(path.read_bytes()[:40])
    pipeline = _load_pipeline(1.0, decode_backend='numpy', allowed_dtypes=('float32', ))
    with pytest.raises(ValueError, match=r"pair 'a': cannot read the depth map "
                       + re.escape(str(path)) + r' as a numpy array'):
        _folders(tmp_path, depth_scale=1.0, pipeline=pipeline)


# ------------------------------------------------------------------------------ child configs


def _readme_config(first_line: str) -> str:
    """The README's Python block that starts with ``first_line``."""
    readme = (REPO_ROOT / 'README.md').read_text()
    blocks = re.findall(r'```python\n(.*?)```', readme, re.S)
    found = [b for b in blocks if b.startswith(first_line)]
    assert len(found) == 1, first_line
    return found[0]


@pytest.fixture
def readme_configs(tmp_path):
    work = tmp_path / 'work_dirs'
    work.mkdir()
    (work / 'my_rgbd.py').write_text(_readme_config('# work_dirs/my_rgbd.py'))
    (work / 'my_rgbd_far.py').write_text(_readme_config('# work_dirs/my_rgbd_far.py'))
    return work


def test_readme_child_config_for_another_encoding_and_range(tmp_path, readme_configs):
    """README step 2's my_rgbd_far.py sets every key: it passes the range check and reads
    metres x 256 PNGs up to 80 m."""
    cfg = load_config(str(readme_configs / 'my_rgbd_far.py'))
    check_depth_ranges(cfg)
    assert cfg.model.decode_head.max_depth == cfg.test_evaluator.max_depth_eval == 80.0
    for split, n in (('train', 2), ('val', 1)):
        _folder_tree(tmp_path / 'data' / split, names=[f'{split}{i}' for i in range(n)],
                     exts=['.jpg'] * n, value=256 * 50)  # 50 m, 50.39 m
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = DATASETS.build(dict(cfg[key].dataset, data_root=str(tmp_path / 'data')))
        assert dataset.max_depth == 80.0 and dataset.depth_scale == 256.0
        assert float(dataset[0]['data_samples'].gt_depth_map.data[0, 2, 2]) == pytest.approx(50.0)


def test_range_check_names_every_key(readme_configs):
    """my_rgbd_far.py without the head and evaluator lines: the hook stops the run, naming the
    keys, with the message the README shows."""
    far = readme_configs / 'my_rgbd_far.py'
    lines = far.read_text().rstrip('\n').splitlines()
    assert lines[-3].startswith('model = ')
    far.write_text('\n'.join(lines[:-3]) + '\n')
    cfg = load_config(str(far))
    with pytest.raises(ValueError) as err:
        DepthRangeCheckHook().before_run(type('Runner', (), {'cfg': cfg})())
    message = str(err.value)
    assert 'maximum depths differ: train_dataloader.dataset.max_depth=80' in message
    assert 'model.decode_head.max_depth=10, val_evaluator.max_depth_eval=10' in message
    assert 'minimum' not in message
    assert message in (REPO_ROOT / 'README.md').read_text()
    # and the plain README config is consistent
    check_depth_ranges(load_config(str(readme_configs / 'my_rgbd.py')))
