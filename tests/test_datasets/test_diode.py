"""DIODEDataset, LoadDIODEDepth and the DIODE indoor test config on a tiny release tree.

The tree is written here in the layout of DIODE's ``val.tar.gz``
(``val/indoors/scene_*/scan_*/<name>.png`` with ``<name>_depth.npy``, 768x1024x1 float32
metres, and ``<name>_depth_mask.npy``, 1 = valid), two images in two scenes.
"""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.registry import DATASETS, METRICS, TRANSFORMS

from mmdepth_dgr.datasets import DIODEDataset
from mmdepth_dgr.testing.paths import REPO_ROOT

BASE = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', 'diode.py')
CONFIG = osp.join(REPO_ROOT, 'configs', 'multiscale_depth',
                  'multiscale-depth_mit-b2_8xb4-80k_nyu-416x544_diode.py')
SHAPE = (768, 1024)
WINDOW = (45, 471, 41, 601)
STEMS = ['scene_00019/scan_00183/00019_00183_indoors_000_010',
         'scene_00021/scan_00189/00021_00189_indoors_150_020']
#: Pixels the mask file marks invalid although the depth file holds a value there.
MASKED_BLOCK = (200, 240, 300, 400)
#: A block beyond the 10 m cap.
FAR_BLOCK = (300, 340, 100, 200)


def write_diode_tree(root: str) -> dict:
    """Write the tree; return ``{index: (depth (H, W) float32, mask (H, W) bool)}``."""
    facts = {}
    for i, stem in enumerate(STEMS):
        base = osp.join(root, 'val', 'indoors', stem)
        os.makedirs(osp.dirname(base), exist_ok=True)
        rng = np.random.default_rng(i)
        cv2.imwrite(base + '.png', rng.integers(0, 255, size=(*SHAPE, 3), dtype=np.uint8))
        depth = rng.uniform(0.6, 9.0, size=SHAPE).astype(np.float32)
        depth[:10] = 0  # no return
        r0, r1, c0, c1 = FAR_BLOCK
        depth[r0:r1, c0:c1] = 12.0
        mask = depth > 0
        r0, r1, c0, c1 = MASKED_BLOCK
        mask[r0:r1, c0:c1] = False
        np.save(base + '_depth.npy', depth[..., None])  # H x W x 1, as released
        np.save(base + '_depth_mask.npy', mask.astype(np.float32))
        facts[i] = (depth, mask)
    return facts


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('diode'))
    return root, write_diode_tree(root)


@pytest.fixture
def tree_copy(tmp_path):
    root = str(tmp_path / 'diode')
    write_diode_tree(root)
    return root


def _dataset(root, pipeline=(), **kwargs):
    cfg = Config.fromfile(BASE).diode_test_dataloader.dataset.to_dict()
    cfg.update(data_root=root, pipeline=list(pipeline), **kwargs)
    return DATASETS.build(cfg)


def test_finds_the_images_of_the_release_layout(tree):
    root, _ = tree
    ds = _dataset(root)
    assert isinstance(ds, DIODEDataset)
    assert len(ds) == 2
    for i, stem in enumerate(STEMS):
        info = ds.get_data_info(i)
        base = osp.join(root, 'val', 'indoors', stem)
        assert info['img_path'] == base + '.png'
        assert info['depth_map_path'] == base + '_depth.npy'
        assert info['depth_mask_path'] == base + '_depth_mask.npy'
        assert info['rel_img_path'] == stem + '.png' == info['split_line']
        assert info['focal'] == 886.81
        assert info['calib'] == (886.81, 927.06, 512.0, 384.0)
    assert ds.metainfo['max_depth'] == 10.0 and ds.metainfo['eval_crop'] is None


def test_pipeline_resizes_the_image_only_and_masks_the_gt(tree):
    root, facts = tree
    pipeline = Config.fromfile(BASE).diode_test_pipeline
    results = _dataset(root, pipeline[:-1])[0]
    assert results['img'].shape == (480, 640, 3)
    assert tuple(results['ori_shape']) == SHAPE
    depth, mask = facts[0]
    expected = np.zeros(SHAPE, dtype=np.float32)
    top, bottom, left, right = WINDOW  # unscaled on the 768x1024 GT, as ZoeDepth
    keep = np.zeros(SHAPE, dtype=bool)
    keep[top:bottom, left:right] = True
    expected[keep & mask] = depth[keep & mask]
    np.testing.assert_array_equal(results['gt_depth_map'], expected)
    r0, r1, c0, c1 = MASKED_BLOCK
    assert np.all(results['gt_depth_map'][r0:r1, c0:c1] == 0)
    sample = _dataset(root, pipeline)[0]['data_samples']
    assert sample.gt_depth_map.data.shape == (1, *SHAPE)
    assert tuple(sample.metainfo['img_shape']) == (480, 640)


def test_zoedepth_reading_ignores_the_mask(tree):
    root, facts = tree
    ds = _dataset(root, [dict(type='LoadImageFromFile'),
                         dict(type='LoadDIODEDepth', apply_mask=False)])
    results = ds[1]
    depth, mask = facts[1]
    np.testing.assert_array_equal(results['gt_depth_map'], depth)
    np.testing.assert_array_equal(results['gt_depth_valid'], mask)


def test_metric_applies_mask_cap_and_window(tree):
    """Masked, too far and outside-window pixels get absurd predictions; they must not count."""
    root, facts = tree
    cfg = Config.fromfile(CONFIG)
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.data_root = root
    dataset = DATASETS.build(dataset_cfg)
    metric = METRICS.build(cfg.test_evaluator)
    top, bottom, left, right = WINDOW
    samples = []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        depth, mask = facts[i]
        pred = np.full(SHAPE, 0.2)  # everywhere but the evaluated pixels: wrong
        good = np.zeros(SHAPE, dtype=bool)
        good[top:bottom, left:right] = True
        good &= mask & (depth > 1e-3) & (depth < 10)
        pred[good] = depth[good] * 0.9
        sample.pred_depth_map = PixelData(data=torch.from_numpy(pred[None]).float())
        samples.append(sample.to_dict())
    metric.process({}, samples)
    out = metric.compute_metrics(metric.results)
    assert out['d1'] == pytest.approx(1.0)
    assert out['abs_rel'] == pytest.approx(0.1, rel=1e-5)


def test_test_dataloader_builds_from_the_model_config(tree):
    root, _ = tree
    loader_cfg = Config.fromfile(CONFIG).test_dataloader.to_dict()
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader_cfg['dataset']['data_root'] = root
    batch = next(iter(Runner.build_dataloader(loader_cfg)))
    assert batch['inputs'][0].shape == (3, 480, 640)
    assert batch['data_samples'][0].gt_depth_map.data.shape == (1, *SHAPE)
    assert tuple(batch['data_samples'][0].ori_shape) == SHAPE


@pytest.mark.parametrize('suffix', ['_depth.npy', '_depth_mask.npy'])
def test_image_without_its_depth_or_mask_is_named(tree_copy, suffix):
    os.remove(osp.join(tree_copy, 'val', 'indoors', STEMS[1] + suffix))
    name = osp.basename(STEMS[1])
    for check_files in (True, False):  # the pairing is read from the folder listing
        with pytest.raises(FileNotFoundError) as err:
            _dataset(tree_copy, check_files=check_files)
        assert f'1 image(s) without their {"depth mask" if "mask" in suffix else "depth"} ' \
            f'file: {STEMS[1]}.png (no {name}{suffix})' in str(err.value)


def test_depth_and_mask_without_their_image_are_named(tree_copy):
    """The image defines no sample on its own: its depth and mask left behind are an error."""
    os.remove(osp.join(tree_copy, 'val', 'indoors', STEMS[1] + '.png'))
    with pytest.raises(FileNotFoundError) as err:
        _dataset(tree_copy)
    text = str(err.value)
    assert f'1 depth file(s) without their image <name>.png: {STEMS[1]}_depth.npy' in text
    assert (f'1 depth mask file(s) without their image <name>.png: '
            f'{STEMS[1]}_depth_mask.npy') in text


def test_logs_the_number_of_samples(tree, monkeypatch):
    import mmdepth_dgr.datasets.diode as diode
    logged = []
    monkeypatch.setattr(diode, 'print_log', lambda msg, **kw: logged.append(msg))
    root, _ = tree
    _dataset(root)
    assert logged == [f'DIODEDataset: 2 samples in {osp.join(root, "val", "indoors")}']


def test_ann_file_is_refused(tree):
    with pytest.raises(ValueError, match=r"DIODE has no list file.*ann_file='val\.txt'"):
        _dataset(tree[0], ann_file='val.txt')


def test_missing_file_in_lazy_mode_is_named_by_the_loader(tree_copy):
    ds = _dataset(tree_copy, Config.fromfile(BASE).diode_test_pipeline, check_files=False)
    path = osp.join(tree_copy, 'val', 'indoors', STEMS[0] + '_depth_mask.npy')
    os.remove(path)  # after the dataset was built
    with pytest.raises(FileNotFoundError, match=r'DIODE depth mask file not found: .*'
                       + osp.basename(path)):
        ds[0]


def test_empty_file_is_named(tree_copy):
    path = osp.join(tree_copy, 'val', 'indoors', STEMS[1] + '_depth_mask.npy')
    open(path, 'wb').close()
    with pytest.raises(ValueError, match=rf'{STEMS[1]}\.png: depth_mask_path file is empty'):
        _dataset(tree_copy)


def test_empty_or_absent_folder_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='val/indoors'):
        _dataset(str(tmp_path))
    os.makedirs(tmp_path / 'val' / 'indoors' / 'scene_00001')
    with pytest.raises(ValueError, match='no images'):
        _dataset(str(tmp_path))


def test_bad_shapes_and_files_are_named(tree_copy):
    pipeline = Config.fromfile(BASE).diode_test_pipeline[:-1]
    base = osp.join(tree_copy, 'val', 'indoors', STEMS[0])
    np.save(base + '_depth_mask.npy', np.ones((768, 1000), dtype=np.float32))
    with pytest.raises(ValueError, match='_depth_mask.npy has size'):
        _dataset(tree_copy, pipeline)[0]
    np.save(base + '_depth_mask.npy', np.ones((480, 640), dtype=np.float32))
    np.save(base + '_depth.npy', np.ones((480, 640, 1), dtype=np.float32))
    with pytest.raises(ValueError, match=r'does not match its image of size \(768, 1024\)'):
        _dataset(tree_copy, pipeline)[0]
    np.save(base + '_depth.npy', np.ones(SHAPE, dtype=np.uint16))
    np.save(base + '_depth_mask.npy', np.ones(SHAPE, dtype=np.float32))
    with pytest.raises(ValueError, match='float array'):
        _dataset(tree_copy, pipeline)[0]
    with open(base + '_depth.npy', 'wb') as f:
        f.write(b'not an npy')
    with pytest.raises(ValueError, match='unreadable DIODE depth .npy'):
        _dataset(tree_copy, pipeline)[0]
    np.save(base + '_depth.npy', np.array([{'depth': 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match='corrupt or unreadable DIODE depth .npy: .*_depth.npy'):
        _dataset(tree_copy, pipeline)[0]  # pickled objects are never loaded
    np.save(base + '_depth.npy', np.ones((768, 1024, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r'DIODE depth must be a \(H, W\) or \(H, W, 1\) '
                       r'image, got shape \(768, 1024, 2\)'):
        _dataset(tree_copy, pipeline)[0]


def test_window_transform_checks_its_argument():
    with pytest.raises(ValueError, match='window'):
        TRANSFORMS.build(dict(type='MaskDepthOutsideWindow', window=(471, 45, 41, 601)))
    t = TRANSFORMS.build(dict(type='MaskDepthOutsideWindow', window=(1, 3, 2, 5)))
    out = t(dict(gt_depth_map=np.ones((4, 6), dtype=np.float32)))['gt_depth_map']
    expected = np.zeros((4, 6), dtype=np.float32)
    expected[1:3, 2:5] = 1
    np.testing.assert_array_equal(out, expected)
    assert 'gt_depth_map' not in t(dict(img_path='x.png'))  # nothing loaded: unchanged


def test_window_is_the_metric_nyu_crop_at_480x640():
    """One definition: the pixel window is the metric's 'nyu' crop of a 480x640 frame."""
    from mmdepth_dgr.datasets.transforms.zeroshot_loading import EIGEN_PIXEL_WINDOW
    from mmdepth_dgr.evaluation import eval_crop_mask
    assert EIGEN_PIXEL_WINDOW == WINDOW
    mask = eval_crop_mask((480, 640), 'nyu')
    rows, cols = np.nonzero(mask)
    assert (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1) == WINDOW
    for pipeline in (Config.fromfile(BASE).diode_test_pipeline,
                     Config.fromfile(BASE.replace('diode', 'sunrgbd')).sunrgbd_test_pipeline):
        step = next(t for t in pipeline if t['type'] == 'MaskDepthOutsideWindow')
        assert 'window' not in step  # the transform's default
        assert TRANSFORMS.build(step).window == WINDOW


def test_random_mit_b0_predicts_at_the_gt_size(tree):
    """The config's test pipeline and preprocessor on a tiny random MiT-b0 (CPU): the 640x480
    input's prediction is resized back to the 1024x768 GT."""
    from mmseg.registry import MODELS

    root, _ = tree
    cfg = Config.fromfile(CONFIG)
    model_cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', '_base_', 'models',
                                         'multiscale-depth_mit-b0.py')).model
    model_cfg.backbone.init_cfg = None
    model_cfg.data_preprocessor = cfg.model.data_preprocessor
    model = MODELS.build(model_cfg).eval()
    loader_cfg = cfg.test_dataloader.to_dict()
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader_cfg['dataset']['data_root'] = root
    batch = next(iter(Runner.build_dataloader(loader_cfg)))
    with torch.no_grad():
        out = model.test_step(batch)[0]
    assert batch['inputs'][0].shape == (3, 480, 640)
    assert out.pred_depth_map.data.shape == out.gt_depth_map.data.shape == (1, *SHAPE)
