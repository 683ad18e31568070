"""Tests of the procedural synthetic NYU / KITTI generator."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
MODULE_PATH = REPO / 'mmdepth_dgr' / 'datasets' / 'synthetic.py'
CLI = REPO / 'tools' / 'dataset_converters' / 'make_synthetic.py'


def _load_module():
    """Load synthetic.py by path so the test does not need mmseg/mmcv."""
    name = 'mmdepth_dgr_synthetic_under_test'
    spec = importlib.util.spec_from_file_location(name, MODULE_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


syn = _load_module()

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


# ---------------------------------------------------------------- primitives


def test_ray_plane_known_answers():
    dirs = np.array([[0, 0, 1], [0, 0, -1], [1, 0, 0], [0, 0, 2], [0.5, 0, 1]], np.float32)
    t = syn.ray_plane((0, 0, 0), dirs, (0, 0, 5), (0, 0, 1))
    np.testing.assert_allclose(t, [5, np.inf, np.inf, 2.5, 5])
    # the normal orientation does not matter
    np.testing.assert_allclose(syn.ray_plane((0, 0, 0), dirs, (0, 0, 5), (0, 0, -3)), t)


def test_ray_box_known_answers():
    dirs = np.array([[0, 0, 1], [0, 0, -1], [1, 0, 0], [0.1, 0, 1], [0.5, 0, 1]], np.float64)
    t = syn.ray_box((0, 0, 0), dirs, (-1, -1, 4), (1, 1, 6))
    np.testing.assert_allclose(t, [4, np.inf, np.inf, 4, np.inf])
    with np.errstate(divide='ignore'):
        inv = 1.0 / dirs
    np.testing.assert_allclose(syn.ray_box((0, 0, 0), dirs, (-1, -1, 4), (1, 1, 6), inv), t)
    # origin inside: distance to the exit face
    np.testing.assert_allclose(syn.ray_box((0, 0, 5), dirs[:2], (-1, -1, 4), (1, 1, 6)), [1, 1])
    # oblique hit on a side face: ray (1, 0, 1) from (-3, 0, 3) enters x = -1 at t = 2
    np.testing.assert_allclose(syn.ray_box((-3, 0, 3), [[1, 0, 1]], (-1, -1, 4), (1, 1, 6)),
                               [2.0])


def test_ray_sphere_known_answers():
    dirs = np.array([[0, 0, 1], [0, 1, 0], [0, 0, 2], [0, 0, -1]], np.float32)
    t = syn.ray_sphere((0, 0, 0), dirs, (0, 0, 5), 1.0)
    np.testing.assert_allclose(t, [4, np.inf, 2, np.inf], rtol=1e-6)
    np.testing.assert_allclose(syn.ray_sphere((0, 0, 5), dirs[:1], (0, 0, 5), 1.0), [1.0])
    # grazing ray at distance 0.6 from the centre: t = 5 - sqrt(1 - 0.36)
    np.testing.assert_allclose(syn.ray_sphere((0.6, 0, 0), dirs[:1], (0, 0, 5), 1.0), [4.2],
                               rtol=1e-6)


def test_ray_vertical_cylinder_known_answers():
    args = ((0.0, 5.0), 1.0, 0.0, 2.0)
    side = syn.ray_vertical_cylinder((0, 1, 0), [[0, 0, 1], [1, 0, 0]], *args)
    np.testing.assert_allclose(side, [4, np.inf])
    above = syn.ray_vertical_cylinder((0, 3, 0), [[0, 0, 1]], *args)
    assert np.isinf(above).all()
    cap = syn.ray_vertical_cylinder((0, 5, 5), [[0, -1, 0]], *args)
    np.testing.assert_allclose(cap, [3.0])


def test_rotation_and_rays_give_z_depth():
    rot = syn.look_rotation(0.3, 0.2, 0.05)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    # a fronto-parallel wall 3 m in front has constant z-depth 3 (not the ray length)
    cam = syn.Camera(24, 32, 20.0, np.zeros(3), syn.look_rotation(0.0, 0.0))
    wall = syn.Primitive('plane', ((0, 0, 3), (0, 0, -1)),
                         syn.solid_material(np.full(3, 0.5, np.float32)))
    black = np.zeros(3, np.float32)
    scene = syn.Scene((wall,), syn.point_light_shader((0, 0, 0), 1.0, 0.2, 3.0),
                      lambda d: np.broadcast_to(black, d.shape).copy())
    rgb, depth, hit = syn.render_scene(scene, cam)
    np.testing.assert_allclose(depth, 3.0, rtol=1e-5)
    assert (hit == 0).all() and rgb.shape == (24, 32, 3)


def test_encoders_and_focals():
    d = np.array([0.5, 10.0, 10.5, np.inf, 0.0, 1.2344])
    np.testing.assert_array_equal(syn.encode_nyu_depth(d), [500, 10000, 0, 0, 0, 1234])
    k = np.array([1.0, 80.0, 80.5, np.inf, 0.0])
    np.testing.assert_array_equal(syn.encode_kitti_depth(k), [256, 20480, 0, 0, 0])
    assert f'{syn.nyu_focal(640):.4f}' == '518.8579'
    assert f'{syn.kitti_focal(1242):.4f}' == '721.5377'


def test_lidar_mask_rows():
    mask = syn.lidar_beam_mask(375, 1242, syn.KITTI_FOCAL, np.random.default_rng(0))
    rows = np.flatnonzero(mask.any(axis=1))
    assert 50 <= len(rows) <= 64
    assert rows.min() >= 375 // 3 and np.diff(rows).min() >= 2


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
    assert len(scenes['train']) == 2 and len(scenes['test']) >= 1
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
    assert n_none >= 1
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


# ---------------------------------------------------------------- depth vs image


def test_depth_edges_match_image_edges():
    rng = np.random.default_rng(3)
    room = syn.build_indoor_scene(rng)
    cam = syn.sample_indoor_camera(rng, room, 120, 160, syn.nyu_focal(160))
    rgb, depth = syn.render_nyu_frame(room, cam, rng)
    _, exact, _ = syn.render_scene(room.scene, cam)
    assert np.isfinite(exact).all()
    valid = depth > 0
    np.testing.assert_allclose(depth[valid], exact[valid])
    # occlusion boundaries: relative depth jump > 10 % between horizontal neighbours
    jump = np.abs(np.diff(exact, axis=1)) > 0.1 * exact[:, 1:]
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    grad = np.abs(np.diff(gray, axis=1))
    assert jump.sum() > 10
    assert grad[jump].mean() > 2.0 * grad[~jump].mean()


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


# ---------------------------------------------------------------- CLI


def _run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run the CLI with the repository on PYTHONPATH."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(REPO), env.get('PYTHONPATH')]))
    proc = subprocess.run([sys.executable, str(CLI), *args], env=env, capture_output=True,
                          text=True, cwd=cwd)
    return proc


@pytest.mark.parametrize('dataset, size, split', [
    ('nyu', ('32', '48'), 'nyu_test.txt'),
    ('kitti', ('24', '80'), 'kitti_eigen_test.txt'),
])
def test_cli(tmp_path, dataset, size, split):
    out = tmp_path / dataset
    proc = _run_cli([dataset, '--out', str(out), '--num-train', '3', '--num-test', '2',
                     '--height', size[0], '--width', size[1], '--seed', '0'], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r'wrote 5 frames in [\d.]+ s \(\d+ frames/min\)', proc.stdout)
    assert str(out / 'splits' / split) in proc.stdout
    assert '100%' in proc.stdout
    assert len(_read_lines(out / 'splits' / split)) == 2


def test_cli_rejects_bad_argument(tmp_path):
    proc = _run_cli(['nyu', '--out', str(tmp_path / 'x'), '--height', '4'], tmp_path)
    assert proc.returncode != 0
    assert 'height' in proc.stderr
