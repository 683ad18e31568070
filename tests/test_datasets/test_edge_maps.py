"""BTSDepthDataset(edge_map_suffix=...): each sample's edge map next to its depth map, checked at
load time; the synthetic NYU / KITTI base configs pack the generator's exact edges at test time."""
import os
import re
import shutil

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose
from mmseg.registry import DATASETS

from mmdepth_dgr.datasets import KITTIDepthDataset, NYUDepthDataset
from mmdepth_dgr.datasets.bts_dataset import edge_map_path
from mmdepth_dgr.synthetic import generate_kitti
from mmdepth_dgr.testing import REPO_ROOT

BASES = REPO_ROOT / 'configs' / '_base_' / 'datasets'
NYU_TEST = dict(ann_file='splits/nyu_test.txt',
                data_prefix=dict(img_path='official_splits/test',
                                 depth_map_path='official_splits/test'))


def _edges_png(path) -> np.ndarray:
    edges = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert edges is not None and edges.dtype == np.uint8, path
    return (edges > 0).astype(np.uint8)


def test_edge_map_path_rule():
    assert edge_map_path('a/sync_depth_00000.png', '_edges.png') == 'a/sync_depth_00000_edges.png'
    assert edge_map_path('d/0000000005.png', '.edge.png') == 'd/0000000005.edge.png'
    assert edge_map_path(None, '_edges.png') is None


def test_suffix_sets_edge_map_path_next_to_the_depth(nyu_eval_root):
    ds = NYUDepthDataset(data_root=str(nyu_eval_root), edge_map_suffix='_edges.png',
                         test_mode=True, **NYU_TEST)
    assert len(ds) == 2
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        depth = info['depth_map_path']
        assert depth.endswith('.png') and 'sync_depth_' in depth
        assert info['edge_map_path'] == depth[:-len('.png')] + '_edges.png'
        assert _edges_png(info['edge_map_path']).any()
    plain = NYUDepthDataset(data_root=str(nyu_eval_root), test_mode=True, **NYU_TEST)
    assert 'edge_map_path' not in plain.get_data_info(0)  # default: unchanged


def test_lines_without_depth_have_no_edge_map(tmp_path):
    generate_kitti(tmp_path, 0, 16, height=24, width=80, seed=0, num_drives=1)
    ds = KITTIDepthDataset(ann_file='splits/kitti_eigen_test.txt', data_root=str(tmp_path),
                           data_prefix=dict(img_path='raw', depth_map_path='gt'),
                           edge_map_suffix='_edges.png', test_mode=True)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    without = [info for info in infos if not info['has_gt']]
    assert len(without) == 1 and without[0]['edge_map_path'] is None
    assert all(info['edge_map_path'].endswith('_edges.png') for info in infos if info['has_gt'])


def test_missing_and_empty_edge_maps_are_named(tmp_path, nyu_eval_root):
    root = tmp_path / 'nyu'
    shutil.copytree(nyu_eval_root, root)
    second = NYUDepthDataset(data_root=str(root), edge_map_suffix='_edges.png', test_mode=True,
                             **NYU_TEST).get_data_info(1)['edge_map_path']
    open(second, 'wb').close()
    with pytest.raises(ValueError, match=r'nyu_test\.txt:2: edge_map_path file is empty '
                       r'\(0 bytes\): ' + re.escape(second)):
        NYUDepthDataset(data_root=str(root), edge_map_suffix='_edges.png', test_mode=True,
                        **NYU_TEST)
    os.remove(second)
    with pytest.raises(FileNotFoundError, match=r'nyu_test\.txt:2: edge_map_path file not '
                       'found: ' + re.escape(second)):
        NYUDepthDataset(data_root=str(root), edge_map_suffix='_edges.png', test_mode=True,
                        **NYU_TEST)
    # without the suffix, or in lazy mode, the edge maps are not needed
    assert len(NYUDepthDataset(data_root=str(root), test_mode=True, **NYU_TEST)) == 2
    assert len(NYUDepthDataset(data_root=str(root), edge_map_suffix='_edges.png',
                               check_files=False, test_mode=True, **NYU_TEST)) == 2


@pytest.mark.parametrize('suffix', ['', 'edges/x.png', 3])
def test_bad_suffix_is_an_error(suffix, nyu_eval_root):
    with pytest.raises(ValueError, match='edge_map_suffix must be None or a non-empty'):
        NYUDepthDataset(data_root=str(nyu_eval_root), edge_map_suffix=suffix, test_mode=True,
                        **NYU_TEST)


def _config_dataset(base: str, split: str, root) -> tuple:
    cfg = Config.fromfile(str(BASES / base))
    dataset_cfg = cfg[f'{split}_dataloader'].dataset.copy()
    dataset_cfg.data_root = str(root)
    return cfg, DATASETS.build(dataset_cfg)


def test_synthetic_nyu_config_packs_the_exact_edges(nyu_eval_root):
    cfg, ds = _config_dataset('synthetic_nyu.py', 'test', nyu_eval_root)
    for i in range(len(ds)):
        packed = ds[i]
        sample = packed['data_samples']
        assert 'gt_edge_map' in sample
        edges = sample.gt_edge_map.data
        assert edges.shape == (1, ) + tuple(packed['inputs'].shape[1:]) == (1, 64, 96)
        assert set(np.unique(edges.numpy())) == {0, 1}
        np.testing.assert_array_equal(edges[0].numpy(),
                                      _edges_png(ds.get_data_info(i)['edge_map_path']))
    assert [t['type'] for t in cfg.test_pipeline].count('LoadDepthEdgeMap') == 1
    # the training set and pipeline stay without edges
    _, train = _config_dataset('synthetic_nyu.py', 'train', nyu_eval_root)
    assert 'edge_map_path' not in train.get_data_info(0)
    assert 'gt_edge_map' not in train[0]['data_samples']


def test_synthetic_nyu_tta_views_share_the_unflipped_edges(nyu_eval_root):
    cfg, ds = _config_dataset('synthetic_nyu.py', 'test', nyu_eval_root)
    views = Compose(cfg.tta_pipeline)(ds.get_data_info(0))
    truth = _edges_png(ds.get_data_info(0)['edge_map_path'])
    assert [s.flip for s in views['data_samples']] == [False, True]
    assert not np.array_equal(truth, truth[:, ::-1])  # a flip would show
    for sample in views['data_samples']:
        np.testing.assert_array_equal(sample.gt_edge_map.data[0].numpy(), truth)


def test_synthetic_kitti_config_kb_crops_the_edges_with_the_depth(kitti_eval_root):
    cfg, ds = _config_dataset('synthetic_kitti.py', 'test', kitti_eval_root)
    info = ds.get_data_info(0)
    packed = ds[0]
    sample = packed['data_samples']
    assert tuple(packed['inputs'].shape[1:]) == (352, 1216)
    top, left = sample.kb_crop_offset
    full = _edges_png(info['edge_map_path'])
    assert full.shape == (356, 1220)
    np.testing.assert_array_equal(sample.gt_edge_map.data[0].numpy(),
                                  full[top:top + 352, left:left + 1216])
    assert sample.gt_edge_map.data.sum() > 100
    views = Compose(cfg.tta_pipeline)(ds.get_data_info(0))
    flipped = views['data_samples'][1]
    assert flipped.flip
    np.testing.assert_array_equal(flipped.gt_edge_map.data[0].numpy(),
                                  full[top:top + 352, left:left + 1216][:, ::-1])
