"""NYU official-split converter on a tiny labelled .mat written like MATLAB v7.3 writes it."""
import importlib.util
import os
import os.path as osp

import cv2
import h5py
import numpy as np
import pytest
import scipy.io

from mmdepth_dgr.datasets.preparation.nyu import NYULabeledMatError, convert_nyu_official
from mmdepth_dgr.testing.paths import REPO_ROOT, SHARED_SPLITS

REAL_TEST_SPLIT = SHARED_SPLITS / 'nyu_test.txt'
H, W = 480, 640
TRAIN = {2: 'kitchen', 3: 'living_room'}  # zero-based index -> scene type (not checked vs BTS)


def _real_test_lines(count=3):
    """The ``count`` real BTS test lines with the smallest frame indices, by index."""
    assert REAL_TEST_SPLIT.is_file(), f'{REAL_TEST_SPLIT} (../shared) must be next to the checkout'
    lines = REAL_TEST_SPLIT.read_text().splitlines()
    by_index = {int(line.split()[0].split('rgb_')[1][:5]): line for line in lines}
    return {idx: by_index[idx] for idx in sorted(by_index)[:count]}


def _pattern(idx):
    """Asymmetric RGB (480x640x3 uint8) and depths (raw with a hole, filled) of frame idx."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    rgb = np.stack([x * 255 / (W - 1), y * 255 / (H - 1), (x + 2 * y) * 255 / (W + 2 * H)],
                   axis=-1)
    rgb = np.clip(rgb + 3 * idx, 0, 255).astype(np.uint8)
    filled = (0.5 + 0.004 * x + 0.01 * y + 0.1 * idx).astype(np.float32)
    raw = filled.copy()
    raw[300:340, 20:120] = 0  # a hole at the lower left: rawDepths, not in-painted depths
    return rgb, raw, filled + np.float32(1.0)


def _matlab_strings(h5, name, strings):
    """A 1 x N MATLAB cell array of strings: references to uint16 L x 1 char arrays."""
    refs = h5.require_group('#refs#')
    cell = h5.create_dataset(name, (1, len(strings)), dtype=h5py.ref_dtype)
    for i, text in enumerate(strings):
        chars = refs.create_dataset(f'{name}_{i}',
                                    data=np.array([[ord(c)] for c in text], dtype=np.uint16))
        chars.attrs['MATLAB_class'] = np.bytes_('char')
        cell[0, i] = chars.ref
    cell.attrs['MATLAB_class'] = np.bytes_('cell')


def write_labeled_mat(path, frames, num, drop=None, image_shape=(3, W, H)):
    """A labelled .mat with ``num`` frames; ``frames`` maps written indices to scene types."""
    scenes = [frames.get(i, 'unused') for i in range(num)]
    with h5py.File(path, 'w') as h5:
        images = h5.create_dataset('images', (num, ) + image_shape, dtype=np.uint8,
                                   chunks=(1, ) + image_shape, compression='gzip')
        raw = h5.create_dataset('rawDepths', (num, W, H), dtype=np.float32, chunks=(1, W, H))
        depths = h5.create_dataset('depths', (num, W, H), dtype=np.float32, chunks=(1, W, H))
        for i in frames:
            rgb, raw_i, filled_i = _pattern(i)
            if image_shape == (3, W, H):
                images[i] = rgb.T  # MATLAB column-major: 480x640x3 -> 3x640x480
            raw[i], depths[i] = raw_i.T, filled_i.T
        _matlab_strings(h5, 'sceneTypes', scenes)
        _matlab_strings(h5, 'scenes', [f'{s}_0001' for s in scenes])
        if drop:
            del h5[drop]


def write_splits_mat(path, test, train, drop=None):
    """splits.mat with one-based N x 1 ``testNdxs``/``trainNdxs`` (as the official file)."""
    mat = {'testNdxs': np.array([[i + 1] for i in sorted(test)], dtype=np.float64),
           'trainNdxs': np.array([[i + 1] for i in sorted(train)], dtype=np.float64)}
    mat.pop(drop, None)
    scipy.io.savemat(path, mat)


@pytest.fixture
def nyu_inputs(tmp_path):
    """(labelled .mat, splits.mat, {test index: real BTS line}) with 3 test + 2 train frames."""
    real = _real_test_lines()
    frames = {idx: line.split('/')[0] for idx, line in real.items()}
    assert not set(frames) & set(TRAIN)
    frames.update(TRAIN)
    labeled, splits = tmp_path / 'labeled.mat', tmp_path / 'splits.mat'
    write_labeled_mat(labeled, frames, num=max(frames) + 2)
    write_splits_mat(splits, real, TRAIN)
    return labeled, splits, real


def _mtimes(root):
    return {osp.join(d, f): os.stat(osp.join(d, f)).st_mtime_ns
            for d, _, files in os.walk(root) for f in files}


def test_frames_names_and_resume(nyu_inputs, tmp_path):
    labeled, splits, real = nyu_inputs
    out = tmp_path / 'nyu'
    summary = convert_nyu_official(labeled, splits, out, progress=False)
    assert summary.written == {'test': 3, 'train': 2}
    assert summary.skipped == {'test': 0, 'train': 0}

    # Names: exactly the real BTS test split's lines for these indices.
    test_lines = (out / 'splits' / 'nyu_test.txt').read_text().splitlines()
    assert sorted(test_lines) == sorted(real.values())
    train_lines = (out / 'splits' / 'nyu_official_train.txt').read_text().splitlines()
    assert train_lines == ['kitchen/rgb_00002.jpg kitchen/sync_depth_00002.png 518.8579',
                           'living_room/rgb_00003.jpg living_room/sync_depth_00003.png 518.8579']

    for split, lines in (('test', test_lines), ('train', train_lines)):
        for line in lines:
            rgb_rel, depth_rel, _ = line.split()
            idx = int(rgb_rel.split('rgb_')[1][:5])
            rgb, raw, _ = _pattern(idx)
            root = out / 'official_splits' / split
            depth = cv2.imread(str(root / depth_rel), cv2.IMREAD_UNCHANGED)
            assert depth.dtype == np.uint16 and depth.shape == (H, W)
            # rawDepths (hole kept), BTS's truncated millimetres, pixel by pixel.
            np.testing.assert_array_equal(depth, (raw * 1000.0).astype(np.uint16))
            assert np.abs(depth.astype(int) - np.round(raw * 1000).astype(int)).max() <= 1
            assert (depth[300:340, 20:120] == 0).all()
            assert abs(int(depth[0, 0]) - 500 - 100 * idx) <= 1

            image = cv2.imread(str(root / rgb_rel))[:, :, ::-1].astype(int)
            assert image.shape == (H, W, 3)
            inner = (slice(10, 471), slice(10, 629))
            err = np.abs(image[inner] - rgb[inner])
            assert err.mean() < 1.5 and err.max() <= 12, (err.mean(), err.max())
            mirrored = np.abs(image[inner] - rgb[::-1, ::-1][inner]).mean()
            assert mirrored > 40
            # BTS's black boundary outside rows 7:474, cols 7:632.
            for border in (image[:5], image[476:], image[:, :5], image[:, 634:]):
                assert border.mean() < 4

    assert not [p for p in _mtimes(out) if p.endswith('.tmp')]
    before = _mtimes(out)
    again = convert_nyu_official(labeled, splits, out, progress=False)
    assert again.written == {'test': 0, 'train': 0} and again.skipped == {'test': 3, 'train': 2}
    assert _mtimes(out) == before

    # Resume: an empty (interrupted) file is rewritten, nothing else.
    victim = out / 'official_splits' / 'train' / 'kitchen' / 'rgb_00002.jpg'
    victim.write_bytes(b'')
    third = convert_nyu_official(labeled, splits, out, progress=False)
    assert third.written == {'test': 0, 'train': 1}
    assert victim.stat().st_size > 0


def test_depths_field_and_cli(nyu_inputs, tmp_path, capsys):
    labeled, splits, real = nyu_inputs
    spec = importlib.util.spec_from_file_location(
        'nyu_converter_cli', REPO_ROOT / 'tools' / 'dataset_converters' / 'nyu.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = tmp_path / 'cli'
    assert cli.main([str(labeled), str(splits), '--out', str(out), '--splits', 'test',
                     '--depth-field', 'depths', '--no-progress']) == 0
    assert 'test: 3 frames written' in capsys.readouterr().out
    assert not (out / 'official_splits' / 'train').exists()
    idx, line = next(iter(real.items()))
    depth = cv2.imread(str(out / 'official_splits' / 'test' / line.split()[1]), -1)
    np.testing.assert_array_equal(depth, (_pattern(idx)[2] * 1000.0).astype(np.uint16))

    bad = tmp_path / 'bad.mat'
    bad.write_bytes(b'MATLAB 5.0 MAT-file, not HDF5')
    assert cli.main([str(bad), str(splits), '--out', str(out), '--no-progress']) == 1
    assert str(bad) in capsys.readouterr().err


@pytest.mark.parametrize('key', ['images', 'rawDepths', 'sceneTypes'])
def test_missing_key(tmp_path, key):
    labeled, splits = tmp_path / 'labeled.mat', tmp_path / 'splits.mat'
    write_labeled_mat(labeled, {0: 'kitchen'}, num=2, drop=key)
    write_splits_mat(splits, [1], [0])
    with pytest.raises(NYULabeledMatError, match=key) as err:
        convert_nyu_official(labeled, splits, tmp_path / 'out', progress=False)
    assert str(labeled) in str(err.value)


def test_wrong_axis_order(tmp_path):
    labeled, splits = tmp_path / 'labeled.mat', tmp_path / 'splits.mat'
    write_labeled_mat(labeled, {0: 'kitchen'}, num=2, image_shape=(3, H, W))  # row-major
    write_splits_mat(splits, [1], [0])
    with pytest.raises(NYULabeledMatError, match=r"'images' has shape \(2, 3, 480, 640\)"):
        convert_nyu_official(labeled, splits, tmp_path / 'out', progress=False)


def test_bad_inputs(tmp_path):
    labeled, splits = tmp_path / 'labeled.mat', tmp_path / 'splits.mat'
    write_labeled_mat(labeled, {0: 'kitchen', 1: 'office'}, num=2)
    garbage = tmp_path / 'notes.txt'
    garbage.write_text('not a mat file')
    write_splits_mat(splits, [1], [0])
    with pytest.raises(NYULabeledMatError, match='not the official nyu_depth_v2_labeled.mat'):
        convert_nyu_official(garbage, splits, tmp_path / 'out', progress=False)
    with pytest.raises(NYULabeledMatError, match='not the official splits.mat'):
        convert_nyu_official(labeled, labeled, tmp_path / 'out', progress=False)  # v7.3 file
    write_splits_mat(splits, [1], [0], drop='testNdxs')
    with pytest.raises(NYULabeledMatError, match="'testNdxs' is missing"):
        convert_nyu_official(labeled, splits, tmp_path / 'out', progress=False)
    write_splits_mat(splits, [5], [0])
    with pytest.raises(NYULabeledMatError, match='index 6 but .* has only 2 frames'):
        convert_nyu_official(labeled, splits, tmp_path / 'out', progress=False)
    write_splits_mat(splits, [1], [1])
    with pytest.raises(NYULabeledMatError, match='in both testNdxs and trainNdxs'):
        convert_nyu_official(labeled, splits, tmp_path / 'out', progress=False)
