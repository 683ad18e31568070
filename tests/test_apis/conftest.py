"""Fixtures of the inference API tests: a random-weight checkpoint of the synthetic MiT-b0
NYU config (saved with mmengine, with ``meta['dataset_meta']``), models built from it and
from the KITTI config, and generated test images."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.runner.checkpoint import save_checkpoint, weights_to_cpu

from mmdepth_dgr.apis import init_model
from mmdepth_dgr.testing import REPO_ROOT, TOOL_TEST_CONFIGS, build_depth_model

#: The synthetic MiT-b0 NYU config of the README's main job (BN, no pretrained weights).
NYU_CONFIG = (REPO_ROOT / 'configs' / 'multiscale_depth'
              / 'multiscale-depth_mit-b0_2xb4-2k_synthetic-nyu-96x128.py')
#: The same network on the KITTI pipeline (KB crop in the test pipeline, 80 m cap).
KITTI_CONFIG = TOOL_TEST_CONFIGS['kitti']
#: What the checkpoint stores as ``meta['dataset_meta']`` (a dataset's metainfo).
DATASET_META = dict(classes=None, palette=None, depth_scale=1000.0, eval_crop='nyu')


def make_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """An (H, W, 3) uint8 BGR test image: colour ramps plus noise (seeded)."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    ramps = np.stack([255 * yy / max(height - 1, 1), 255 * xx / max(width - 1, 1),
                      128 + 0 * xx], axis=-1)
    noise = rng.randint(-40, 41, (height, width, 3))
    return np.clip(ramps + noise, 0, 255).astype(np.uint8)


def write_png(path: Path, img: np.ndarray) -> Path:
    """Write ``img`` (BGR) losslessly to ``path``; the path."""
    assert cv2.imwrite(str(path), img)
    return path


def depth_of(sample) -> np.ndarray:
    """The ``(1, H, W)`` prediction of a data sample as a numpy array."""
    return sample.pred_depth_map.data.detach().cpu().numpy()


@pytest.fixture(scope='package')
def nyu_checkpoint(tmp_path_factory) -> Path:
    """Random weights (seed 0) of :data:`NYU_CONFIG`'s model, saved by mmengine."""
    torch.manual_seed(0)
    model = build_depth_model(NYU_CONFIG)
    path = tmp_path_factory.mktemp('apis_checkpoint') / 'random_b0.pth'
    save_checkpoint(dict(meta=dict(dataset_meta=DATASET_META, seed=0),
                         state_dict=weights_to_cpu(model.state_dict())), str(path))
    return path


@pytest.fixture(scope='package')
def nyu_model(nyu_checkpoint) -> nn.Module:
    """:data:`NYU_CONFIG`'s model with :func:`nyu_checkpoint`'s weights, on the CPU."""
    return init_model(str(NYU_CONFIG), str(nyu_checkpoint), device='cpu')


@pytest.fixture(scope='package')
def kitti_model() -> nn.Module:
    """:data:`KITTI_CONFIG`'s model (given as a Path) with random weights, on the CPU."""
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='no checkpoint'):
        return init_model(Path(KITTI_CONFIG), device='cpu')
