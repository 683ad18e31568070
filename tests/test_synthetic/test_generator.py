"""The synthetic NYU / KITTI generators: file layouts and splits, determinism, argument checks,
progress, independence from the rest of mmdepth_dgr."""
import re
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmdepth_dgr import synthetic as syn
from mmdepth_dgr.testing import REPO_ROOT, run_in_repo

MODULE_PATH = REPO_ROOT / 'mmdepth_dgr' / 'synthetic' / '__init__.py'
# loads the package by path, with mmdepth_dgr, mmseg, mmcv, mmengine and torch unimportable
LOAD_BY_PATH = """
import importlib.util, sys
sys.modules.update(dict.fromkeys(['mmdepth_dgr', 'mmseg', 'mmcv', 'mmengine', 'torch']))
name = 'mmdepth_dgr_synthetic_under_test'
spec = importlib.util.spec_from_file_location(name, sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules[name] = module  # dataclasses resolve their module through sys.modules
spec.loader.exec_module(module)
print(module.generate_nyu(sys.argv[2], 1, 1, height=24, width=32).num_frames)
"""

NYU_H, NYU_W = 60, 80
KITTI_H, KITTI_W = 47, 156
NYU_TRAIN_RE = re.compile(
    r'^/(?P<s1>[a-z_]+_\d{4})/rgb_(?P<i1>\d{5})\.jpg '
    r'/(?P<s2>[a-z_]+_\d{4})/sync_depth_(?P<i2>\d{5})\.png (?P<f>\d+\.\d{4})$')
NYU_TEST_RE = re.compile(
    r'^(?P<s1>[a-z_]+_\d{4})/rgb_(?P<i1>\d{5})\.jpg '
    r'(?P<s2>[a-z_]+_\d{4})/sync_depth_(?P<i2>\d{5})\.png (?P<f>\d+\.\d{4})$')
KITTI_RE = re.compile(
    r'^2011_09_26/(?P<d1>2011_09_26_drive_\d{4}_sync)/image_02/data/(?P<i1>\d{10})\.png '
    r'(?:(?P<d2>2011_09_26_drive_\d{4}_sync)/proj_depth/groundtruth/image_02/(?P<i2>\d{10})\.png'
    r'|None) (?P<f>\d+\.\d{4})$')


def _read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*'))
            if p.is_file()}


@pytest.fixture(scope='module')
def nyu_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp('nyu')
    syn.generate_nyu(out, 6, 3, height=NYU_H, width=NYU_W, seed=0, num_scenes=2)
    return out


@pytest.fixture(scope='module')
def kitti_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp('kitti')
    syn.generate_kitti(out, 4, 40, height=KITTI_H, width=KITTI_W, seed=0, num_drives=2)
    return out


# ---------------------------------------------------------------- NYU layout


def test_nyu_layout_and_splits(nyu_dir):
    train = _read_lines(nyu_dir / 'splits' / 'nyu_train.txt')
    test = _read_lines(nyu_dir / 'splits' / 'nyu_test.txt')
    assert len(train) == 6 and len(test) == 3
    focal = f'{518.8579 * NYU_W / 640:.4f}'
    scenes = {}
    for lines, regex, root, key in ((train, NYU_TRAIN_RE, nyu_dir / 'sync', 'train'),
                                    (test, NYU_TEST_RE, nyu_dir / 'official_splits' / 'test',
                                     'test')):
        scenes[key] = set()
        for line in lines:
            m = regex.match(line)
            assert m, line
            assert m['s1'] == m['s2'] and m['i1'] == m['i2'] and m['f'] == focal
            scenes[key].add(m['s1'])
            rgb_rel, depth_rel = (p.lstrip('/') for p in line.split()[:2])
            img = cv2.imread(str(root / rgb_rel), cv2.IMREAD_UNCHANGED)
            depth = cv2.imread(str(root / depth_rel), cv2.IMREAD_UNCHANGED)
            assert img.shape == (NYU_H, NYU_W, 3) and img.dtype == np.uint8
            assert depth.shape == (NYU_H, NYU_W) and depth.dtype == np.uint16
            valid = depth > 0
            assert valid.mean() > 0.9
            assert depth[valid].max() <= 10000 and depth[valid].min() >= 500
    assert len(scenes['train']) == 2 and len(scenes['test']) == min(2, len(test)) == 2
    assert not scenes['train'] & scenes['test']


# ---------------------------------------------------------------- KITTI layout


def test_kitti_layout_and_splits(kitti_dir):
    train = _read_lines(kitti_dir / 'splits' / 'kitti_eigen_train.txt')
    test = _read_lines(kitti_dir / 'splits' / 'kitti_eigen_test.txt')
    assert len(train) == 4 and len(test) == 40
    focal = f'{721.5377 * KITTI_W / 1242:.4f}'
    drives = {'train': set(), 'test': set()}
    n_none = 0
    for key, lines in (('train', train), ('test', test)):
        for line in lines:
            m = KITTI_RE.match(line)
            assert m, line
            assert m['f'] == focal
            drives[key].add(m['d1'])
            img_rel, gt_rel = line.split()[:2]
            img = cv2.imread(str(kitti_dir / 'raw' / img_rel), cv2.IMREAD_UNCHANGED)
            assert img.shape == (KITTI_H, KITTI_W, 3) and img.dtype == np.uint8
            if gt_rel == 'None':
                assert key == 'test'
                n_none += 1
                gt_dir = kitti_dir / 'gt' / m['d1'] / 'proj_depth' / 'groundtruth' / 'image_02'
                assert not (gt_dir / f"{m['i1']}.png").exists()
                continue
            assert m['d1'] == m['d2'] and m['i1'] == m['i2']
            depth = cv2.imread(str(kitti_dir / 'gt' / gt_rel), cv2.IMREAD_UNCHANGED)
            assert depth.shape == (KITTI_H, KITTI_W) and depth.dtype == np.uint16
            valid = depth > 0
            assert 0.01 < valid.mean() < 0.3
            assert depth.max() <= 80 * 256
            assert not valid[:KITTI_H // 4].any()  # sky / top rows never have GT
    assert n_none == round(len(test) * 45 / 697) == 3  # the real Eigen file's share
    assert not drives['train'] & drives['test']


# ---------------------------------------------------------------- determinism


@pytest.mark.parametrize('kind', ['nyu', 'kitti'])
def test_determinism(tmp_path, kind):
    gen = syn.generate_nyu if kind == 'nyu' else syn.generate_kitti
    size = dict(height=40, width=64) if kind == 'nyu' else dict(height=32, width=104)
    for name, seed in (('a', 7), ('b', 7), ('c', 8)):
        gen(tmp_path / name, 2, 1, seed=seed, **size)
    a, b, c = (_tree_bytes(tmp_path / n) for n in 'abc')
    assert a == b
    assert len(a) == len(c)
    images_a = [v for k, v in a.items() if not k.startswith('splits')]
    images_c = [v for k, v in c.items() if not k.startswith('splits')]
    assert all(x != y for x, y in zip(images_a, images_c, strict=True))


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize('kwargs, name', [
    (dict(num_train=-1), 'num_train'),
    (dict(num_test=-2), 'num_test'),
    (dict(height=8), 'height'),
    (dict(width=4), 'width'),
    (dict(seed=-1), 'seed'),
    (dict(num_scenes=0), 'num_scenes'),
])
def test_nyu_argument_validation(tmp_path, kwargs, name):
    args = dict(num_train=1, num_test=1, height=32, width=32)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        syn.generate_nyu(tmp_path, **args)
    assert not any(tmp_path.iterdir())


def test_kitti_argument_validation(tmp_path):
    with pytest.raises(ValueError, match='num_drives'):
        syn.generate_kitti(tmp_path, 1, 1, height=32, width=32, num_drives=0)
    with pytest.raises(TypeError, match='num_train'):
        syn.generate_kitti(tmp_path, 1.5, 1, height=32, width=32)


def test_progress_callback(tmp_path):
    calls = []
    syn.generate_nyu(tmp_path, 2, 1, height=24, width=32,
                     progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_package_loads_from_its_path_without_the_rest(tmp_path):
    """The generators need only numpy, OpenCV and the standard library (no mmseg, no torch)."""
    proc = run_in_repo([sys.executable, '-c', LOAD_BY_PATH, MODULE_PATH, tmp_path], check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['2']
    assert len(_read_lines(tmp_path / 'splits' / 'nyu_test.txt')) == 1
