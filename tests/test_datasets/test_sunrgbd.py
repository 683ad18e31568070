"""SUNRGBDDataset, LoadSUNRGBDDepth and the SUN RGB-D test config on a tiny release tree.

The tree is written here in the release layout (``SUNRGBD/<sensor>/.../<frame>/image/*.jpg``,
``depth/*.png`` holding millimetres rotated left by 3 bits, ``intrinsics.txt``) with the
toolbox's two-column list, for two frames of the sizes of Kinect v2 (530x730) and of the NYU
frames of SUN RGB-D (427x561).
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

from mmdepth_dgr.datasets import SUNRGBDDataset
from mmdepth_dgr.datasets.transforms.zeroshot_loading import decode_sunrgbd_depth
from mmdepth_dgr.testing.paths import REPO_ROOT

BASE = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', 'sunrgbd.py')
CONFIG = osp.join(REPO_ROOT, 'configs', 'multiscale_depth',
                  'multiscale-depth_mit-b2_8xb4-80k_nyu-416x544_sunrgbd.py')
#: (list path stem, image size (H, W), fx)
FRAMES = [('SUNRGBD/kv2/kinect2data/000002_2014-05-26_rgbf000103-resize', (530, 730), 529.5),
          ('SUNRGBD/kv1/NYUdata/NYU0002', (427, 561), 518.857901)]
WINDOW = (45, 471, 41, 601)
#: A block of GT beyond the 8 m cap (and beyond 8.192 m, where v / 8000 is wrong).
FAR_BLOCK = (100, 140, 100, 200)
FAR_MM = 9000


def encode_mm(mm: np.ndarray) -> np.ndarray:
    """What the release stores: the 16-bit millimetre value rotated left by 3 bits."""
    mm = np.asarray(mm, dtype=np.uint32)
    return (((mm << 3) | (mm >> 13)) & 0xFFFF).astype(np.uint16)


def _depth_mm(shape, seed):
    rng = np.random.default_rng(seed)
    mm = rng.integers(500, 7000, size=shape).astype(np.uint32)
    mm[:20, :30] = 0  # no measurement
    r0, r1, c0, c1 = FAR_BLOCK
    mm[r0:r1, c0:c1] = FAR_MM
    return mm


def write_sunrgbd_tree(root: str) -> dict:
    """Write the tree; return the millimetre depths by frame index."""
    lines, depths = [], {}
    for i, (frame, shape, fx) in enumerate(FRAMES):
        name = f'{i + 1:07d}'
        for sub in ('image', 'depth'):
            os.makedirs(osp.join(root, frame, sub), exist_ok=True)
        img = np.random.default_rng(i).integers(0, 255, size=(*shape, 3), dtype=np.uint8)
        cv2.imwrite(osp.join(root, frame, 'image', f'{name}.jpg'), img)
        mm = _depth_mm(shape, i)
        cv2.imwrite(osp.join(root, frame, 'depth', f'{name}.png'), encode_mm(mm))
        h, w = shape
        with open(osp.join(root, frame, 'intrinsics.txt'), 'w') as f:
            f.write(f'{fx} 0 {w / 2}\n0 {fx} {h / 2}\n0 0 1\n')
        lines.append(f'{frame}/image/{name}.jpg {frame}/depth/{name}.png')
        depths[i] = mm
    with open(osp.join(root, 'SUNRGBD_val_splits.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return depths


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('sunrgbd'))
    return root, write_sunrgbd_tree(root)


@pytest.fixture
def tree_copy(tmp_path):
    root = str(tmp_path / 'sunrgbd')
    write_sunrgbd_tree(root)
    return root


def _dataset(root, pipeline=(), **kwargs):
    cfg = Config.fromfile(BASE).sunrgbd_test_dataloader.dataset.to_dict()
    cfg.update(data_root=root, pipeline=list(pipeline), **kwargs)
    return DATASETS.build(cfg)


def test_decoding_undoes_the_3_bit_rotation():
    # hand-computed: 1000 mm is stored as 8000; 9000 mm as (72000 mod 65536) | 1 = 6465
    raw = np.array([[0, 8, 8000, 6465, 0xFFFF]], dtype=np.uint16)
    np.testing.assert_array_equal(decode_sunrgbd_depth(raw),
                                  np.array([[0, 0.001, 1.0, 9.0, 65.535]], dtype=np.float32))
    mm = np.array([0, 1, 999, 8191, 8192, 9000, 12345, 65535], dtype=np.uint32)
    metres = decode_sunrgbd_depth(encode_mm(mm))
    assert metres.dtype == np.float32
    np.testing.assert_array_equal(metres, mm.astype(np.float32) / np.float32(1000))
    # v / 8000 (the toolbox's depth_scale) is only right below 8.192 m
    assert encode_mm(np.array([9000]))[0] / 8000 != pytest.approx(9.0, abs=1)


def test_reads_the_list_and_the_intrinsics(tree):
    root, _ = tree
    ds = _dataset(root)
    assert isinstance(ds, SUNRGBDDataset)
    assert len(ds) == 2
    for i, (frame, (h, w), fx) in enumerate(FRAMES):
        info = ds.get_data_info(i)
        assert info['img_path'] == osp.join(root, frame, 'image', f'{i + 1:07d}.jpg')
        assert info['depth_map_path'] == osp.join(root, frame, 'depth', f'{i + 1:07d}.png')
        assert info['intrinsics_path'] == osp.join(root, frame, 'intrinsics.txt')
        assert info['focal'] == pytest.approx(fx)
        assert info['calib'] == pytest.approx((fx, fx, w / 2, h / 2))
    assert ds.metainfo['max_depth'] == 8.0 and ds.metainfo['eval_crop'] is None
    lazy = _dataset(root, read_intrinsics=False)
    assert lazy.get_data_info(0)['focal'] == pytest.approx(518.8579)


def test_pipeline_gives_metres_inside_the_fixed_window(tree):
    root, depths = tree
    pipeline = Config.fromfile(BASE).sunrgbd_test_pipeline
    ds = _dataset(root, pipeline[:-1])
    for i, (_, shape, _) in enumerate(FRAMES):
        results = ds[i]
        gt = results['gt_depth_map']
        assert gt.shape == shape and gt.dtype == np.float32
        expected = np.zeros(shape, dtype=np.float32)
        top, bottom, left, right = WINDOW  # unscaled; clipped on the 427x561 frame
        expected[top:bottom, left:right] = (depths[i].astype(np.float32)
                                            / np.float32(1000))[top:bottom, left:right]
        np.testing.assert_array_equal(gt, expected)
    small = ds[1]['gt_depth_map']
    assert np.all(small[:45] == 0) and np.all(small[:, :41] == 0)
    assert np.all(small[45:, 41:] == depths[1][45:, 41:].astype(np.float32) / np.float32(1000))
    packed = _dataset(root, pipeline)[0]['data_samples']
    assert packed.gt_depth_map.data.shape == (1, 530, 730)
    assert packed.metainfo['focal'] == pytest.approx(529.5)


def test_clamp_max_is_the_toolbox_gt_clamp(tree):
    root, _ = tree
    ds = _dataset(root, [dict(type='LoadImageFromFile'),
                         dict(type='LoadSUNRGBDDepth', clamp_max=8.0)])
    gt = ds[0]['gt_depth_map']
    r0, r1, c0, c1 = FAR_BLOCK
    assert np.all(gt[r0:r1, c0:c1] == 8.0) and gt.max() == 8.0
    with pytest.raises(ValueError, match='clamp_max'):
        TRANSFORMS.build(dict(type='LoadSUNRGBDDepth', clamp_max=0))


def test_metric_applies_the_cap_and_the_window(tree):
    """GT beyond 8 m and pixels outside the window get absurd predictions; they must not count."""
    root, depths = tree
    cfg = Config.fromfile(CONFIG)
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.data_root = root
    dataset = DATASETS.build(dataset_cfg)
    metric = METRICS.build(cfg.test_evaluator)
    top, bottom, left, right = WINDOW
    samples, expected = [], []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        gt = depths[i].astype(np.float64) / 1000
        inside = np.zeros(gt.shape, dtype=bool)
        inside[top:bottom, left:right] = True
        pred = np.full(gt.shape, 0.5)  # outside the window: wrong
        pred[inside] = gt[inside] * 1.25 ** 0.5  # inside: 11.8 % too far
        r0, r1, c0, c1 = FAR_BLOCK
        pred[r0:r1, c0:c1] = 0.5  # beyond the cap: wrong
        sample.pred_depth_map = PixelData(data=torch.from_numpy(pred[None]).float())
        samples.append(sample.to_dict())
        valid = inside & (gt > 1e-3) & (gt < 8)
        expected.append(np.mean(np.abs(pred[valid] - gt[valid]) / gt[valid]))
    metric.process({}, samples)
    out = metric.compute_metrics(metric.results)
    assert out['d1'] == pytest.approx(1.0)
    assert out['abs_rel'] == pytest.approx(1.25 ** 0.5 - 1, rel=1e-5)
    assert out['abs_rel'] == pytest.approx(np.mean(expected), rel=1e-5)


def test_test_dataloader_builds_from_the_model_config(tree):
    root, _ = tree
    cfg = Config.fromfile(CONFIG)
    loader_cfg = cfg.test_dataloader.to_dict()
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader_cfg['dataset']['data_root'] = root
    loader = Runner.build_dataloader(loader_cfg)
    batch = next(iter(loader))
    assert batch['inputs'][0].shape == (3, 530, 730)
    assert batch['data_samples'][0].gt_depth_map.data.shape == (1, 530, 730)
    assert cfg.model.data_preprocessor.test_cfg == dict(size_divisor=32)


@pytest.mark.parametrize('which', ['image', 'depth'])
def test_missing_file_is_named_with_its_list_line(tree_copy, which):
    frame = FRAMES[1][0]
    name = '0000002.jpg' if which == 'image' else '0000002.png'
    path = osp.join(tree_copy, frame, which, name)
    os.remove(path)
    with pytest.raises(FileNotFoundError, match=f'SUNRGBD_val_splits.txt:2: .*{name}'):
        _dataset(tree_copy)


def test_missing_or_bad_intrinsics_are_named(tree_copy):
    path = osp.join(tree_copy, FRAMES[0][0], 'intrinsics.txt')
    with open(path, 'w') as f:
        f.write('529.5 0 365\n0 529.5 265\n')
    with pytest.raises(ValueError, match='SUNRGBD_val_splits.txt:1: .*intrinsics.txt.*9'):
        _dataset(tree_copy)
    os.remove(path)
    with pytest.raises(FileNotFoundError, match='SUNRGBD_val_splits.txt:1: .*intrinsics.txt'):
        _dataset(tree_copy)
    assert len(_dataset(tree_copy, read_intrinsics=False)) == 2


def test_eight_bit_depth_png_is_refused(tree_copy):
    frame, shape, _ = FRAMES[0]
    path = osp.join(tree_copy, frame, 'depth', '0000001.png')
    cv2.imwrite(path, np.full(shape, 7, dtype=np.uint8))
    ds = _dataset(tree_copy, Config.fromfile(BASE).sunrgbd_test_pipeline)
    with pytest.raises(ValueError, match='0000001.png has dtype uint8'):
        ds[0]


def test_intrinsics_need_the_file_checks(tree):
    """read_intrinsics reads files at load time, which check_files=False skips: refused."""
    root, _ = tree
    with pytest.raises(ValueError, match=r'read_intrinsics=True reads every frame\'s '
                       r'intrinsics\.txt .*check_files=False.*set read_intrinsics=False'):
        _dataset(root, check_files=False)
    lazy = _dataset(root, check_files=False, read_intrinsics=False)
    assert lazy.get_data_info(0)['focal'] == pytest.approx(518.8579)
    assert 'calib' not in lazy.get_data_info(0)


def test_image_outside_an_image_folder_names_the_list_line(tree_copy):
    frame = FRAMES[1][0]
    os.rename(osp.join(tree_copy, frame, 'image'), osp.join(tree_copy, frame, 'rgb'))
    list_file = osp.join(tree_copy, 'SUNRGBD_val_splits.txt')
    with open(list_file) as f:
        text = f.read().replace(f'{frame}/image/', f'{frame}/rgb/')
    with open(list_file, 'w') as f:
        f.write(text)
    with pytest.raises(ValueError, match=r'SUNRGBD_val_splits\.txt:2: SUN RGB-D image .*'
                       r'0000002\.jpg is not in an "image" folder'):
        _dataset(tree_copy)


def test_loader_reports_its_own_rescale_factor(tree):
    root, _ = tree
    loader = TRANSFORMS.build(dict(type='LoadSUNRGBDDepth'))
    results = _dataset(root, [dict(type='LoadImageFromFile'), dict(type='LoadSUNRGBDDepth')])[0]
    assert results['depth_rescale_factor'] == loader.depth_rescale_factor == 1.0


def test_tta_flips_the_image_and_keeps_the_decoded_gt(tree):
    """--tta on the SUN RGB-D config: two views, both with the decoded, windowed GT."""
    from mmdepth_dgr.engine.tta import enable_tta

    root, _ = tree
    cfg = Config.fromfile(CONFIG)
    plain = _dataset(root, cfg.test_dataloader.dataset.pipeline)[0]
    cfg = enable_tta(cfg)
    cfg.test_dataloader.dataset.data_root = root
    views = DATASETS.build(cfg.test_dataloader.dataset)[0]
    assert len(views['inputs']) == len(views['data_samples']) == 2
    assert [s.flip for s in views['data_samples']] == [False, True]
    np.testing.assert_array_equal(views['inputs'][1].numpy(), views['inputs'][0].numpy()[..., ::-1])
    for sample in views['data_samples']:
        np.testing.assert_array_equal(sample.gt_depth_map.data.numpy(),
                                      plain['data_samples'].gt_depth_map.data.numpy())


def test_check_split_tool_on_the_tree(tree_copy, capsys):
    """README: tools/dataset_converters/check_split.py on a SUN RGB-D tree with '' prefixes."""
    import importlib.util
    tool = osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'check_split.py')
    spec = importlib.util.spec_from_file_location('check_split_tool', tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    list_file = osp.join(tree_copy, 'SUNRGBD_val_splits.txt')
    argv = [tree_copy, list_file, '--img-prefix', '', '--depth-prefix', '']
    assert module.main(argv) == 0
    assert (f'{list_file}: 2 lines: 2 present, 0 missing image, 0 missing depth, '
            '0 None (no ground truth)') in capsys.readouterr().out
    missing = osp.join(tree_copy, FRAMES[1][0], 'depth', '0000002.png')
    os.remove(missing)
    assert module.main(argv) == 0  # only a missing image fails the check
    out = capsys.readouterr().out
    assert '1 present, 0 missing image, 1 missing depth' in out
    assert f'  missing depth: {missing}' in out


def test_random_mit_b0_predicts_at_the_gt_size(tree):
    """The config's test pipeline and preprocessor (padding to multiples of 32) on a tiny random
    MiT-b0 (CPU): the padding is cut, the prediction has the 530x730 GT's size."""
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
        data = model.data_preprocessor(batch, False)
        assert data['inputs'].shape[-2:] == (544, 736)  # padded
        out = model.test_step(batch)[0]
    assert out.pred_depth_map.data.shape == out.gt_depth_map.data.shape == (1, 530, 730)
