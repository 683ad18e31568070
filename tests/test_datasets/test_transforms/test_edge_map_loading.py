"""LoadDepthEdgeMap: 0/1 uint8 edges from a PNG (nonzero = edge), in seg_fields so flips and crops
move them with the image, packed by mmseg's PackSegInputs; bad files are named."""
import re

import cv2
import numpy as np
import pytest
from mmseg.datasets.transforms import PackSegInputs, RandomCrop, RandomFlip

from mmdepth_dgr.datasets.transforms import LoadDepthEdgeMap, LoadDepthMap


@pytest.fixture
def edge_png(tmp_path):
    """A 6x8 8-bit edge map (255 on a diagonal and a column, as the generator writes) and its
    0/1 array."""
    edges = np.zeros((6, 8), np.uint8)
    edges[np.arange(6), np.arange(6)] = 1
    edges[:, 7] = 1
    path = tmp_path / 'sync_depth_00000_edges.png'
    assert cv2.imwrite(str(path), edges * 255)
    return path, edges


def test_loads_0_255_png_as_0_1_uint8_in_seg_fields(edge_png):
    path, edges = edge_png
    res = LoadDepthEdgeMap()(dict(edge_map_path=str(path), seg_fields=['gt_depth_map']))
    assert res['gt_edge_map'].dtype == np.uint8 and res['gt_edge_map'].shape == (6, 8)
    np.testing.assert_array_equal(res['gt_edge_map'], edges)
    assert res['seg_fields'] == ['gt_depth_map', 'gt_edge_map']
    again = LoadDepthEdgeMap()(res)  # no second seg_fields entry
    assert again['seg_fields'] == ['gt_depth_map', 'gt_edge_map']


def test_any_nonzero_value_of_a_16bit_map_is_an_edge(tmp_path):
    edges = np.array([[0, 1, 300], [65535, 0, 2]], np.uint16)
    path = tmp_path / 'e.png'
    assert cv2.imwrite(str(path), edges)
    res = LoadDepthEdgeMap()(dict(edge_map_path=str(path)))
    np.testing.assert_array_equal(res['gt_edge_map'], [[0, 1, 1], [1, 0, 1]])
    assert res['gt_edge_map'].dtype == np.uint8


def test_without_a_path_results_pass_unchanged():
    bare = dict(img_path='photo.jpg')  # mmseg's inference_model runs the test pipeline on this
    assert LoadDepthEdgeMap()(dict(bare)) == bare
    no_gt = dict(img_path='a.png', edge_map_path=None, sample_idx=0)  # split line without depth
    assert LoadDepthEdgeMap()(dict(no_gt)) == no_gt


def test_a_dataset_sample_without_the_key_is_an_error():
    with pytest.raises(KeyError, match="'a.png' has no 'edge_map_path'.*edge_map_suffix"):
        LoadDepthEdgeMap()(dict(img_path='a.png', sample_idx=3))


def test_missing_empty_and_corrupt_files_are_named(tmp_path):
    missing = tmp_path / 'missing_edges.png'
    with pytest.raises(FileNotFoundError, match='edge map file not found: '
                       + re.escape(str(missing))):
        LoadDepthEdgeMap()(dict(edge_map_path=str(missing)))
    empty = tmp_path / 'empty_edges.png'
    empty.write_bytes(b'')
    with pytest.raises(ValueError, match=r'empty file, 0 bytes\): ' + re.escape(str(empty))):
        LoadDepthEdgeMap()(dict(edge_map_path=str(empty)))
    corrupt = tmp_path / 'corrupt_edges.png'
    corrupt.write_bytes(b'\x89PNG\r\n\x1a\n not a png at all')
    with pytest.raises(ValueError, match='corrupt or unreadable edge map PNG: '
                       + re.escape(str(corrupt))):
        LoadDepthEdgeMap()(dict(edge_map_path=str(corrupt)))


def test_colour_image_is_refused(tmp_path):
    path = tmp_path / 'rgb_edges.png'
    assert cv2.imwrite(str(path), np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(ValueError, match=r'2-D .*got shape \(4, 5, 3\): ' + re.escape(str(path))):
        LoadDepthEdgeMap()(dict(edge_map_path=str(path)))


def test_size_unlike_the_loaded_image_is_named(edge_png):
    path, _ = edge_png
    results = dict(img=np.zeros((6, 9, 3), np.uint8), img_path='rgb_00000.jpg',
                   split_line='nyu_test.txt:7', edge_map_path=str(path))
    with pytest.raises(ValueError) as info:
        LoadDepthEdgeMap()(results)
    message = str(info.value)
    assert message.startswith('nyu_test.txt:7: edge map of size (6, 8)')
    assert 'image of size (6, 9)' in message and str(path) in message
    assert 'rgb_00000.jpg' in message
    same = dict(results, img=np.zeros((6, 8, 3), np.uint8))
    assert LoadDepthEdgeMap()(same)['gt_edge_map'].shape == (6, 8)


def test_flip_crop_and_pack_keep_the_edges_with_the_image(edge_png, tmp_path):
    path, edges = edge_png
    depth_path = tmp_path / 'depth.png'
    assert cv2.imwrite(str(depth_path), np.full((6, 8), 2000, np.uint16))
    img = np.zeros((6, 8, 3), np.uint8)
    img[..., 0] = edges * 200  # the image shows the edges
    results = dict(img=img, img_shape=(6, 8), ori_shape=(6, 8), img_path='x.jpg',
                   depth_map_path=str(depth_path), edge_map_path=str(path))
    results = LoadDepthMap(depth_rescale_factor=1e-3)(results)
    results = LoadDepthEdgeMap()(results)
    results = RandomFlip(prob=1.0, direction='horizontal')(results)
    np.testing.assert_array_equal(results['gt_edge_map'], edges[:, ::-1])
    np.random.seed(0)
    results = RandomCrop(crop_size=(4, 5))(results)
    assert results['gt_edge_map'].shape == (4, 5)
    np.testing.assert_array_equal(results['gt_edge_map'] * 200, results['img'][..., 0])
    packed = PackSegInputs()(results)
    sample = packed['data_samples']
    assert 'gt_edge_map' in sample and sample.gt_edge_map.data.shape == (1, 4, 5)
    np.testing.assert_array_equal(sample.gt_edge_map.data[0].numpy(), results['gt_edge_map'])
    assert sample.gt_depth_map.data.shape == (1, 4, 5)
