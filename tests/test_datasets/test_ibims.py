"""IBimsDataset and LoadIBimsAnnotations on a tiny tree in the official iBims-1 layout."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmdepth_dgr.datasets import IBimsDataset
from mmdepth_dgr.datasets.ibims import parse_ibims_calib
from mmdepth_dgr.testing.ibims import CALIB, TABLE_BLOCK, write_ibims_tree
from mmdepth_dgr.testing.paths import REPO_ROOT

BASE = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', 'ibims.py')


def _dataset(root, **kwargs):
    cfg = Config.fromfile(BASE).ibims_test_dataloader.dataset.to_dict()
    cfg.pop('type')
    cfg.update(data_root=root, **kwargs)
    return IBimsDataset(**cfg)


def test_reads_the_official_layout(ibims_tree):
    root, facts = ibims_tree
    ds = _dataset(root, pipeline=[])
    assert len(ds) == 2
    info = ds.get_data_info(0)
    raw = osp.join(root, 'ibims1_core_raw')
    assert info['img_path'] == osp.join(raw, 'rgb', 'corridor_01.png')
    assert info['depth_map_path'] == osp.join(raw, 'depth', 'corridor_01.png')
    assert info['edge_map_path'] == osp.join(raw, 'edges', 'corridor_01.png')
    assert info['mask_invalid_path'] == osp.join(raw, 'mask_invalid', 'corridor_01.png')
    assert info['mask_transp_path'] == osp.join(raw, 'mask_transp', 'corridor_01.png')
    assert info['plane_mat_path'] == osp.join(root, 'ibims1_core_mat', 'corridor_01.mat')
    # image 0 has the 3x3 transposed matrix, image 1 the four numbers: same intrinsics
    for i in range(2):
        assert ds.get_data_info(i)['calib'] == pytest.approx(CALIB)
        assert ds.get_data_info(i)['focal'] == CALIB[0]
    assert ds.metainfo['depth_scale'] == pytest.approx(65535 / 50)
    assert ds.metainfo['eval_crop'] is None


def test_pipeline_masks_gt_and_loads_planes(ibims_tree):
    root, facts = ibims_tree
    pipeline = Config.fromfile(BASE).ibims_test_pipeline
    ds = _dataset(root, pipeline=pipeline[:-1])  # everything but PackSegInputs
    results = ds[0]
    gt = results['gt_depth_map']
    assert gt.shape == (480, 640)
    # official masking: 0 where invalid or transparent, the stored depth elsewhere
    assert np.all(gt[~facts['valid']] == 0)
    np.testing.assert_allclose(gt[facts['valid']], facts['decoded'][facts['valid']], atol=1e-5)
    np.testing.assert_allclose(facts['decoded'], facts['depth'], atol=50 / 65535)
    assert set(np.unique(results['gt_edge_map'])) == {0, 1}
    planes = results['ibims_planes']
    assert sorted(planes) == ['floor', 'table', 'wall']
    np.testing.assert_array_equal(planes['floor']['mask'] == 1, facts['floor'])
    np.testing.assert_array_equal(planes['floor']['params'][0, 4:7], [0, 0, 1])
    r0, r1, c0, c1 = TABLE_BLOCK
    assert planes['table']['mask'].sum() == (r1 - r0) * (c1 - c0)
    assert ds[1]['ibims_planes']['floor']['params'].shape == (0, 7)  # no floor plane
    packed = Config.fromfile(BASE).ibims_test_pipeline
    full = _dataset(root, pipeline=packed)[0]
    sample = full['data_samples']
    assert sample.gt_depth_map.data.shape == (1, 480, 640)
    assert sample.metainfo['calib'] == pytest.approx(CALIB)
    assert 'ibims_planes' in sample.metainfo


@pytest.fixture
def tree_copy(tmp_path):
    root = str(tmp_path / 'ibims')
    write_ibims_tree(root)
    return root


@pytest.mark.parametrize('rel', ['ibims1_core_raw/depth/office_02.png',
                                 'ibims1_core_raw/edges/corridor_01.png',
                                 'ibims1_core_raw/mask_transp/office_02.png',
                                 'ibims1_core_raw/calib/corridor_01.txt',
                                 'ibims1_core_mat/office_02.mat'])
def test_missing_file_is_named(tree_copy, rel):
    path = osp.join(tree_copy, rel)
    os.remove(path)
    with pytest.raises(FileNotFoundError, match=osp.basename(path)) as err:
        _dataset(tree_copy, pipeline=[])
    assert 'imagelist.txt:' in str(err.value)


def test_empty_file_is_named(tree_copy):
    path = osp.join(tree_copy, 'ibims1_core_raw', 'mask_invalid', 'office_02.png')
    open(path, 'wb').close()
    with pytest.raises(ValueError, match='imagelist.txt:2: mask_invalid_path.*empty'):
        _dataset(tree_copy, pipeline=[])


@pytest.mark.parametrize('content', ['500,500,320\n', '500,abc,320,240\n', '0,500,320,240\n'])
def test_malformed_calibration_is_named(tree_copy, content):
    path = osp.join(tree_copy, 'ibims1_core_raw', 'calib', 'office_02.txt')
    with open(path, 'w') as f:
        f.write(content)
    with pytest.raises(ValueError, match='office_02.txt'):
        _dataset(tree_copy, pipeline=[])


def test_standard_intrinsic_matrix_is_read(tmp_path):
    path = tmp_path / 'k.txt'
    path.write_text('500 0 320.5\n0 510 240.5\n0 0 1\n')
    assert parse_ibims_calib(str(path)) == (500.0, 510.0, 320.5, 240.5)


@pytest.mark.parametrize('line', ['corridor_01 extra', 'rgb/corridor_01'])
def test_bad_image_list_line_is_named(tree_copy, line):
    with open(osp.join(tree_copy, 'imagelist.txt'), 'a') as f:
        f.write(f'\n{line}\n')
    with pytest.raises(ValueError, match=r'imagelist.txt:4'):
        _dataset(tree_copy, pipeline=[])


def test_corrupt_plane_file_is_named(tree_copy):
    path = osp.join(tree_copy, 'ibims1_core_mat', 'corridor_01.mat')
    with open(path, 'wb') as f:
        f.write(b'not a mat file at all')
    pipeline = Config.fromfile(BASE).ibims_test_pipeline[:-1]
    ds = _dataset(tree_copy, pipeline=pipeline)
    with pytest.raises(ValueError, match='corridor_01.mat'):
        ds[0]


def test_lazy_mode_reads_calibration_in_the_pipeline(tree_copy):
    pipeline = Config.fromfile(BASE).ibims_test_pipeline[:-1]
    ds = _dataset(tree_copy, pipeline=pipeline, check_files=False)
    assert ds.get_data_info(1)['calib'] is None
    assert ds[1]['calib'] == pytest.approx(CALIB)
