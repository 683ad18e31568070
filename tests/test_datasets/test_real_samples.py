"""The NYU and KITTI pipelines and the metric on the real frames of ``../shared/real_samples``
(read there, never copied): what only real data shows - NYU's white border and its crop,
KITTI's sparse LiDAR and its KB crop, depth ranges in metres - and known metric values.

The frames are required: without ``../shared`` these tests fail (they do not skip).
"""
import math
from pathlib import Path
from typing import Dict, List

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmseg.registry import DATASETS, METRICS, TRANSFORMS

from mmdepth_dgr.testing import REAL_SAMPLES, REPO_ROOT

DATASET_CONFIGS = REPO_ROOT / 'configs' / '_base_' / 'datasets'
NYU_NAMES = ('00000', '00050', '00100')
KITTI_NAMES = ('0000000005', '0000000050', '0000000100')
NYU_SHAPE, KITTI_SHAPE = (480, 640), (375, 1242)
#: The NYU white-border crop of BTS training at 480x640: rows 45:472, cols 43:608.
NYU_CROP = (slice(45, 472), slice(43, 608))
#: The Eigen evaluation crop of NYU at 480x640 (README "Data").
NYU_EVAL_CROP = (slice(45, 471), slice(41, 601))
#: The Garg evaluation crop of a 375x1242 KITTI frame (BTS's fractions, int-truncated).
KITTI_GARG_CROP = (slice(153, 371), slice(44, 1197))
#: The KB crop's window in a 375x1242 frame: the bottom 352 rows, 1216 centred columns.
KB_CROP = (slice(23, 375), slice(13, 1229))
#: Near-white: every BGR channel at least this (NYU's border is 253-255 after JPEG).
WHITE = 240


def _required(path: Path) -> Path:
    assert path.exists(), (f'real frames missing: {path} (the shared folder next to the '
                           'checkout, ../shared/real_samples, see its README)')
    return path


@pytest.fixture(scope='module')
def nyu_files() -> List[tuple]:
    """``(rgb, depth)`` paths of the three NYU frames."""
    root = _required(REAL_SAMPLES / 'nyu')
    return [(_required(root / f'rgb_{n}.jpg'), _required(root / f'sync_depth_{n}.png'))
            for n in NYU_NAMES]


@pytest.fixture(scope='module')
def kitti_files() -> List[tuple]:
    """``(rgb, depth)`` paths of the three KITTI frames."""
    root = _required(REAL_SAMPLES / 'kitti')
    return [(_required(root / 'rgb' / f'{n}.png'), _required(root / 'depth' / f'{n}.png'))
            for n in KITTI_NAMES]


def _config(name: str) -> Config:
    return Config.fromfile(str(DATASET_CONFIGS / f'{name}.py'))


def _dataset(name: str, files: List[tuple], tmp_path: Path, pipeline: str = 'test_pipeline'):
    """The config's val dataset (built through the registry) on a split file of ``files``,
    relative to their common folder, with the config's ``pipeline``."""
    cfg = _config(name)
    root = Path(files[0][0]).parents[0 if name == 'nyu' else 1]
    split = tmp_path / f'{name}_real.txt'
    split.write_text(''.join(f'{rgb.relative_to(root)} {depth.relative_to(root)}\n'
                             for rgb, depth in files))
    return DATASETS.build(dict(cfg.val_dataloader.dataset, ann_file=str(split),
                               data_root=str(root), data_prefix=dict(img_path='',
                                                                     depth_map_path=''),
                               pipeline=cfg[pipeline]))


def _loaded(name: str, info: dict) -> dict:
    """``info`` through the config's training loaders (image, depth in metres)."""
    cfg = _config(name)
    loaders = [t for t in cfg.train_pipeline if t.type in ('LoadImageFromFile', 'LoadDepthMap')]
    assert len(loaders) == 2
    return Compose(loaders)(dict(info))


def _step(name: str, transform_type: str, results: dict) -> dict:
    """One transform of the config's training pipeline, built through the registry."""
    cfg = _config(name)
    (transform, ) = [t for t in cfg.train_pipeline if t.type == transform_type]
    return TRANSFORMS.build(transform)(results)


def _stored(path: Path) -> np.ndarray:
    depth = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert depth is not None and depth.dtype == np.uint16, path
    return depth


# ------------------------------------------------------------------------------ NYU


def test_nyu_frames_have_a_white_border_that_the_crop_removes(nyu_files, tmp_path):
    ds = _dataset('nyu', nyu_files, tmp_path)
    for i in range(len(ds)):
        res = _loaded('nyu', ds.get_data_info(i))
        img, depth = res['img'], res['gt_depth_map']
        assert img.shape == (*NYU_SHAPE, 3)
        white = img.min(axis=2) >= WHITE
        bands = [white[:4], white[-4:], white[:, :4], white[:, -4:]]
        assert all(band.mean() > 0.95 for band in bands), [band.mean() for band in bands]
        assert white.mean() < 0.15  # a frame, not a white picture
        out = _step('nyu', 'NYUBorderCrop', dict(res))
        assert out['border_crop_box'] == (43, 45, 608, 472)
        np.testing.assert_array_equal(out['img'], img[NYU_CROP])
        cropped = out['img'].min(axis=2) >= WHITE
        edges = [cropped[:2], cropped[-2:], cropped[:, :2], cropped[:, -2:]]
        assert all(edge.mean() < 0.25 for edge in edges), [edge.mean() for edge in edges]
        # the depth is cut with the image, and NYU's depth is (nearly) empty outside the crop
        np.testing.assert_array_equal(out['gt_depth_map'], depth[NYU_CROP])
        valid = depth > 0
        inside = np.zeros(NYU_SHAPE, bool)
        inside[NYU_CROP] = True
        assert valid[inside].mean() > 0.8 and valid[~inside].mean() < 0.1


def test_nyu_depth_is_millimetres_read_as_metres(nyu_files, tmp_path):
    ds = _dataset('nyu', nyu_files, tmp_path)
    assert ds.depth_scale == 1000.0
    for i, (_, depth_path) in enumerate(nyu_files):
        gt = _loaded('nyu', ds.get_data_info(i))['gt_depth_map']
        stored = _stored(depth_path)
        assert gt.dtype == np.float32 and gt.shape == NYU_SHAPE
        np.testing.assert_allclose(gt, stored / 1000.0, rtol=1e-6)
        valid = gt[gt > 0]
        assert 0.6 < valid.size / gt.size < 0.8  # about 70 % valid (README)
        assert 0.5 < valid.min() < 1.5 and 5.0 < valid.max() < 10.0  # a room, in metres


def test_nyu_rotation_invents_no_depth(nyu_files, tmp_path):
    ds = _dataset('nyu', nyu_files, tmp_path)
    np.random.seed(0)
    for i in range(len(ds)):
        res = _step('nyu', 'NYUBorderCrop', _loaded('nyu', ds.get_data_info(i)))
        before = res['gt_depth_map'].copy()
        out = _step('nyu', 'DepthRandomRotate', res)
        angle = out['rotate_angle']
        assert 0 < abs(angle) <= 2.5
        after = out['gt_depth_map']
        assert after.shape == before.shape and out['img'].shape[:2] == before.shape
        assert set(np.unique(after)) <= set(np.unique(before))  # nearest: values kept
        assert not np.array_equal(after, before)
        n_before, n_after = (before > 0).sum(), (after > 0).sum()
        assert 0.9 * n_before < n_after < n_before  # what rotates in from outside is 0


def test_nyu_training_pipeline_from_the_config(nyu_files, tmp_path):
    ds = _dataset('nyu', nyu_files, tmp_path, pipeline='train_pipeline')
    np.random.seed(1)
    for i in range(len(ds)):
        packed = ds[i]
        assert packed['inputs'].shape == (3, 416, 544)
        gt = packed['data_samples'].gt_depth_map.data
        assert gt.shape == (1, 416, 544)
        valid = gt[gt > 0]
        assert valid.numel() > 0.7 * gt.numel()
        assert float(valid.min()) > 0.5 and float(valid.max()) < 10.0


def test_nyu_test_pipeline_packs_the_full_frame(nyu_files, tmp_path):
    ds = _dataset('nyu', nyu_files, tmp_path)
    sample = ds[0]['data_samples']
    assert sample.gt_depth_map.data.shape == (1, *NYU_SHAPE)
    assert sample.metainfo['focal'] == pytest.approx(518.8579)
    assert sample.metainfo['eval_crop'] == 'nyu' and sample.metainfo['depth_scale'] == 1000.0


# ------------------------------------------------------------------------------ KITTI


def test_kitti_lidar_is_sparse_and_far(kitti_files, tmp_path):
    ds = _dataset('kitti', kitti_files, tmp_path)
    assert ds.depth_scale == 256.0
    for i, (_, depth_path) in enumerate(kitti_files):
        gt = _loaded('kitti', ds.get_data_info(i))['gt_depth_map']
        assert gt.shape == KITTI_SHAPE
        np.testing.assert_allclose(gt, _stored(depth_path) / 256.0, rtol=1e-6)
        valid = gt > 0
        assert 0.15 < valid.mean() < 0.25  # about 20 % of the pixels have a LiDAR return
        assert not valid[:100].any()  # the LiDAR does not see the top of the frame (sky)
        depths = gt[valid]
        assert 1.0 < depths.min() < 10.0 and 50.0 < depths.max() < 85.0  # a street, metres


def test_kitti_kb_crop_keeps_the_lidar_points(kitti_files, tmp_path):
    ds = _dataset('kitti', kitti_files, tmp_path)
    for i, (rgb_path, depth_path) in enumerate(kitti_files):
        sample = ds[i]['data_samples']
        meta = sample.metainfo
        assert meta['kb_crop_offset'] == (23, 13) and meta['uncropped_shape'] == KITTI_SHAPE
        assert meta['img_shape'] == meta['ori_shape'] == (352, 1216)
        gt = sample.gt_depth_map.data[0].numpy()
        full = _stored(depth_path) / 256.0
        np.testing.assert_allclose(gt, full[KB_CROP], rtol=1e-6)
        assert (gt > 0).sum() >= 0.999 * (full > 0).sum()
        rgb = cv2.imread(str(rgb_path))
        assert ds[i]['inputs'].shape == (3, 352, 1216)
        np.testing.assert_array_equal(ds[i]['inputs'].permute(1, 2, 0).numpy(), rgb[KB_CROP])


def test_kitti_rotation_and_training_pipeline(kitti_files, tmp_path):
    ds = _dataset('kitti', kitti_files, tmp_path)
    np.random.seed(2)
    res = _step('kitti', 'KBCrop', _loaded('kitti', ds.get_data_info(0)))
    before = res['gt_depth_map'].copy()
    out = _step('kitti', 'DepthRandomRotate', res)
    assert 0 < abs(out['rotate_angle']) <= 1.0
    after = out['gt_depth_map']
    assert set(np.unique(after)) <= set(np.unique(before))
    assert 0.97 * (before > 0).sum() < (after > 0).sum() <= (before > 0).sum()
    train = _dataset('kitti', kitti_files, tmp_path, pipeline='train_pipeline')
    for i in range(len(train)):
        packed = train[i]
        assert packed['inputs'].shape == (3, 352, 704)
        gt = packed['data_samples'].gt_depth_map.data
        assert gt.shape == (1, 352, 704)
        assert 0.1 < float((gt > 0).float().mean()) < 0.35


# ------------------------------------------------------------------------------ the metric


def _evaluate(name: str, ds, factor: float) -> Dict[str, float]:
    """The config's evaluator on every sample of ``ds`` with ``factor * GT`` as prediction."""
    metric = METRICS.build(_config(name).val_evaluator)
    samples = []
    for i in range(len(ds)):
        sample = ds[i]['data_samples'].to_dict()
        gt = sample['gt_depth_map']['data']
        sample['pred_depth_map'] = dict(data=gt.clone() * factor)
        samples.append(sample)
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


@pytest.mark.parametrize('name', ['nyu', 'kitti'])
def test_ground_truth_against_itself_is_perfect(name, nyu_files, kitti_files, tmp_path):
    ds = _dataset(name, nyu_files if name == 'nyu' else kitti_files, tmp_path)
    result = _evaluate(name, ds, 1.0)
    for key in ('abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10', 'silog'):
        assert result[key] == pytest.approx(0.0, abs=1e-5), key
    assert result['d1'] == result['d2'] == result['d3'] == 1.0


def test_nyu_scaled_ground_truth_gives_known_errors(nyu_files, tmp_path):
    ds = _dataset('nyu', nyu_files, tmp_path)
    result = _evaluate('nyu', ds, 1.1)  # 1.1 x at most 8.3 m stays below the 10 m cap
    assert result['abs_rel'] == pytest.approx(0.1, rel=1e-5)
    assert result['log10'] == pytest.approx(math.log10(1.1), rel=1e-5)
    assert result['silog'] == pytest.approx(0.0, abs=1e-2)  # a constant log error
    assert result['d1'] == 1.0
    # rmse = 0.1 * sqrt(mean(gt^2)) per image on the valid pixels of the Eigen crop, averaged
    expected = []
    for _, depth_path in nyu_files:
        gt = (_stored(depth_path) / 1000.0)[NYU_EVAL_CROP]
        gt = gt[(gt > 1e-3) & (gt < 10.0)]
        expected.append(0.1 * math.sqrt(np.mean(gt ** 2)))
    assert result['rmse'] == pytest.approx(np.mean(expected), rel=1e-4)
    # 1.25 < 1.3 < 1.25^2: d1 counts only the far pixels whose prediction the 10 m cap clamps
    result = _evaluate('nyu', ds, 1.3)
    expected = []
    for _, depth_path in nyu_files:
        gt = (_stored(depth_path) / 1000.0)[NYU_EVAL_CROP]
        gt = gt[(gt > 1e-3) & (gt < 10.0)]
        pred = np.clip(1.3 * gt, 1e-3, 10.0)
        expected.append(np.mean(np.maximum(pred / gt, gt / pred) < 1.25))
    assert 0 < np.mean(expected) < 0.01  # a few points beyond 8 m
    assert result['d1'] == pytest.approx(np.mean(expected), rel=1e-6)
    assert result['d2'] == 1.0


def test_kitti_scaled_ground_truth_gives_known_errors(kitti_files, tmp_path):
    """With the 80 m cap (predictions clamped, ground truth above it ignored) and the Garg crop
    placed in the full frame although the samples are KB-cropped."""
    ds = _dataset('kitti', kitti_files, tmp_path)
    result = _evaluate('kitti', ds, 1.1)
    expected = []
    for _, depth_path in kitti_files:
        gt = (_stored(depth_path) / 256.0)[KITTI_GARG_CROP]
        gt = gt[(gt > 1e-3) & (gt < 80.0)]
        pred = np.clip(1.1 * gt, 1e-3, 80.0)
        expected.append(np.mean(np.abs(pred - gt) / gt))
    assert result['abs_rel'] == pytest.approx(np.mean(expected), rel=1e-5)
    assert 0.09 < result['abs_rel'] < 0.1  # a few far points are clamped
    assert result['d1'] == 1.0


def test_metric_sees_the_frames_as_torch_tensors(nyu_files, tmp_path):
    """The packed samples hold the loaded ground truth (what the runner hands the metric)."""
    ds = _dataset('nyu', nyu_files, tmp_path)
    gt = ds[1]['data_samples'].gt_depth_map.data
    assert isinstance(gt, torch.Tensor) and gt.dtype == torch.float32
    np.testing.assert_allclose(gt[0].numpy(), _stored(nyu_files[1][1]) / 1000.0, rtol=1e-6)
