"""demo/image_demo.py end to end: outputs per image, flip, point clouds, clear errors."""
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import save_checkpoint, weights_to_cpu

from mmdepth_dgr.testing import TOOL_TEST_CONFIGS, build_depth_model, run_in_repo
from mmdepth_dgr.utils import load_depth_png, read_ply

CONFIG = TOOL_TEST_CONFIGS['nyu']
pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def demo_inputs(tmp_path_factory):
    """Three generated images (odd sizes; two with the stem ``odd``) and a random-weight
    checkpoint of CONFIG."""
    root = tmp_path_factory.mktemp('demo')
    rng = np.random.RandomState(0)
    images = root / 'images'
    images.mkdir()
    for name, (h, w) in {'room.png': (48, 64), 'odd.png': (33, 51), 'odd.jpg': (40, 56)}.items():
        assert cv2.imwrite(str(images / name), rng.randint(0, 256, (h, w, 3)).astype(np.uint8))
    torch.manual_seed(0)
    checkpoint = root / 'random.pth'
    save_checkpoint(dict(state_dict=weights_to_cpu(build_depth_model(CONFIG).state_dict())),
                    str(checkpoint))
    return images, checkpoint


def _demo(*args, check=True):
    return run_in_repo([sys.executable, 'demo/image_demo.py', *map(str, args)], check=check)


def test_writes_every_output_per_image(demo_inputs, tmp_path):
    images, checkpoint = demo_inputs
    out = tmp_path / 'out'
    _demo(images, CONFIG, checkpoint, '--out-dir', out, '--device', 'cpu', '--point-cloud',
          '--intrinsics', 50, 50, 31.5, 23.5)
    assert sorted(p.name for p in out.iterdir()) == [
        'odd.ply', 'odd_1.ply', 'odd_1_color.png', 'odd_1_depth.npy', 'odd_1_depth.png',
        'odd_color.png', 'odd_depth.npy', 'odd_depth.png',
        'room.ply', 'room_color.png', 'room_depth.npy', 'room_depth.png']
    # sorted folder listing: odd.jpg (40x56) first, then odd.png (33x51) as odd_1
    for stem, shape in (('room', (48, 64)), ('odd', (40, 56)), ('odd_1', (33, 51))):
        depth = np.load(out / f'{stem}_depth.npy')
        assert depth.dtype == np.float32 and depth.shape == shape
        assert np.abs(load_depth_png(out / f'{stem}_depth.png') - depth).max() <= 5e-4 + 1e-6
        points, colors = read_ply(out / f'{stem}.ply')
        assert len(points) == (depth > 0).sum() and colors.shape == points.shape
        np.testing.assert_allclose(np.sort(points[:, 2]), np.sort(depth[depth > 0]),
                                   rtol=1e-6)


def test_flip_changes_the_prediction(demo_inputs, tmp_path):
    images, checkpoint = demo_inputs
    for flag in ([], ['--flip']):
        _demo(images / 'room.png', CONFIG, checkpoint, '--out-dir', tmp_path / str(len(flag)),
              '--device', 'cpu', *flag)
    plain, flipped = (np.load(tmp_path / f'{i}' / 'room_depth.npy') for i in (0, 1))
    assert np.abs(plain - flipped).max() > 1e-4


def test_bad_inputs_are_named(demo_inputs, tmp_path):
    images, checkpoint = demo_inputs
    proc = _demo(images, CONFIG, checkpoint, '--out-dir', tmp_path, '--intrinsics', 1, 2, 3,
                 check=False)
    assert proc.returncode == 2 and 'must be 4 numbers' in proc.stderr
    empty = tmp_path / 'empty'
    empty.mkdir()
    proc = _demo(empty, CONFIG, checkpoint, '--out-dir', tmp_path, '--device', 'cpu',
                 check=False)
    assert proc.returncode != 0 and str(empty) in proc.stderr
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'not a png')
    proc = _demo(broken, CONFIG, checkpoint, '--out-dir', tmp_path, '--device', 'cpu',
                 check=False)
    assert proc.returncode != 0 and str(broken) in proc.stderr
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict=dict(weight=torch.zeros(1))), other)
    proc = _demo(images, CONFIG, other, '--out-dir', tmp_path, '--device', 'cpu', check=False)
    assert proc.returncode != 0 and str(other) in proc.stderr and 'missing' in proc.stderr
