"""SlidingDepthEstimator: mmseg's DepthEstimator, identical in 'whole' mode, sliding in 'slide'."""
import copy
from pathlib import Path
from unittest import mock

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmseg.models.segmentors import DepthEstimator
from mmseg.models.utils import resize
from mmseg.registry import MODELS

from mmdepth_dgr.models.segmentors import SlidingDepthEstimator
from mmdepth_dgr.testing import REPO_ROOT, build_depth_model, depth_batch
from mmdepth_dgr.testing.probe import TINY_TARGET

SIZE = (64, 96)
#: two overlapping windows over a 64x96 input: columns 0-64 and 32-96
SLIDE = dict(mode='slide', crop_size=(64, 64), stride=(32, 32))
MODEL_BASES = sorted((REPO_ROOT / 'configs' / '_base_' / 'models').glob('*.py'))


def _build(kind: str, test_cfg: dict, state_dict=None):
    """The tiny ResNet-18 depth network as ``kind``, in eval mode, with ``state_dict``."""
    torch.manual_seed(0)
    cfg = dict(copy.deepcopy(TINY_TARGET), type=kind, test_cfg=ConfigDict(test_cfg))
    model = build_depth_model(cfg).eval()
    if state_dict is not None:
        model.load_state_dict(state_dict)
    return model


@pytest.fixture(scope='module')
def weights():
    return _build('SlidingDepthEstimator', dict(mode='whole')).state_dict()


def _predict(model, batch=None):
    """``pred_depth_map`` of each sample of the batch (stacked) and the preprocessed data."""
    data = model.data_preprocessor(batch or depth_batch(SIZE), False)
    with torch.no_grad():
        out = model.predict(**data)
    return torch.stack([s.pred_depth_map.data for s in out]), data


def test_subclass_does_not_replace_mmseg_class():
    assert MODELS.get('DepthEstimator') is DepthEstimator
    assert MODELS.get('SlidingDepthEstimator') is SlidingDepthEstimator
    assert issubclass(SlidingDepthEstimator, DepthEstimator)


@pytest.mark.parametrize('test_cfg', [dict(mode='whole'), dict()])
def test_whole_mode_is_mmseg_bit_for_bit(weights, test_cfg):
    ours, _ = _predict(_build('SlidingDepthEstimator', test_cfg, weights))
    theirs, _ = _predict(_build('DepthEstimator', dict(mode='whole'), weights))
    assert ours.shape == (2, 1, *SIZE)
    assert (ours - theirs).abs().max().item() == 0


def test_mmseg_slide_mode_returns_a_stretched_whole_prediction(weights):
    """Why the subclass exists (mmseg 1.2.2): ``mode='slide'`` runs the windows, then whole-image
    inference with the metas the window loop left behind (``img_shape`` = the last window),
    so the head resizes the whole-image depth to 64x64 and postprocessing stretches it back."""
    mmseg_model = _build('DepthEstimator', SLIDE, weights)
    with mock.patch.object(mmseg_model, 'encode_decode',
                           wraps=mmseg_model.encode_decode) as calls:
        theirs, data = _predict(mmseg_model)
    assert calls.call_count == 2 + 1  # two windows, discarded, then the whole image
    metas = [dict(s.metainfo, img_shape=torch.Size(SLIDE['crop_size']))
             for s in data['data_samples']]
    with torch.no_grad():
        whole = mmseg_model.whole_inference(data['inputs'], metas)
    assert whole.shape[-2:] == SLIDE['crop_size']
    stretched = resize(whole, size=SIZE, mode='bilinear', align_corners=False)
    assert torch.equal(theirs, stretched)
    ours, _ = _predict(_build('SlidingDepthEstimator', SLIDE, weights))
    assert (ours - theirs).abs().max() > 1e-3


def test_slide_averages_the_windows(weights):
    """Slide = per-pixel mean of the windows' own predictions (``predict`` on each crop)."""
    model = _build('SlidingDepthEstimator', SLIDE, weights)
    with mock.patch.object(model, 'encode_decode', wraps=model.encode_decode) as calls:
        slide, data = _predict(model)
    windows = [(0, 64, 0, 64), (0, 64, 32, 96)]  # SLIDE's two windows over SIZE
    assert calls.call_count == len(windows) and calls.call_count == len(windows)
    assert slide.shape == (2, 1, *SIZE)  # the input size
    inputs = data['inputs']
    total, count = torch.zeros(2, 1, *SIZE), torch.zeros(1, 1, *SIZE)
    with torch.no_grad():
        for y1, y2, x1, x2 in windows:
            crop = model.predict(inputs[:, :, y1:y2, x1:x2].contiguous())
            total[:, :, y1:y2, x1:x2] += torch.stack([s.pred_depth_map.data for s in crop])
            count[:, :, y1:y2, x1:x2] += 1
    assert set(count.unique().tolist()) == {1.0, 2.0}  # the windows overlap
    torch.testing.assert_close(slide, total / count, rtol=0, atol=1e-6)
    whole, _ = _predict(_build('SlidingDepthEstimator', dict(mode='whole'), weights))
    assert (slide - whole).abs().max() > 1e-3  # windowed, not the whole image


def test_slide_is_mmseg_window_loop(weights):
    model = _build('SlidingDepthEstimator', SLIDE, weights)
    mmseg_model = _build('DepthEstimator', SLIDE, weights)
    _, data = _predict(model)
    metas = [s.metainfo for s in data['data_samples']]
    with torch.no_grad():
        ours = model.inference(data['inputs'], copy.deepcopy(metas))
        theirs = mmseg_model.slide_inference(data['inputs'], copy.deepcopy(metas))
    assert torch.equal(ours, theirs)


def test_window_covering_the_image_equals_whole(weights):
    cover = dict(mode='slide', crop_size=(128, 128), stride=(32, 32))
    model = _build('SlidingDepthEstimator', cover, weights)
    with mock.patch.object(model, 'encode_decode', wraps=model.encode_decode) as calls:
        slide, _ = _predict(model)
    assert calls.call_count == 1
    whole, _ = _predict(_build('SlidingDepthEstimator', dict(mode='whole'), weights))
    assert torch.equal(slide, whole)


def test_slide_flip_gives_mmseg_results(weights):
    flip = dict(SLIDE, mode='slide_flip')
    ours, _ = _predict(_build('SlidingDepthEstimator', flip, weights))
    theirs, _ = _predict(_build('DepthEstimator', flip, weights))
    assert torch.equal(ours, theirs)
    slide, _ = _predict(_build('SlidingDepthEstimator', SLIDE, weights))
    assert (ours - slide).abs().max() > 1e-4


@pytest.mark.parametrize('test_cfg,match', [
    (dict(mode='slide', stride=(32, 32)), 'test_cfg.crop_size'),
    (dict(mode='slide', crop_size=(64, 64)), 'test_cfg.stride'),
    (dict(mode='sliding'), "got 'sliding'"),
])
def test_bad_test_cfg_is_named(weights, test_cfg, match):
    with pytest.raises(ValueError, match=match):
        _predict(_build('SlidingDepthEstimator', test_cfg, weights))


@pytest.mark.parametrize('path', MODEL_BASES, ids=[p.name for p in MODEL_BASES])
def test_model_bases_use_the_subclass(path: Path):
    model = Config.fromfile(str(path)).model
    expected = 'SparsePixelProbe' if path.name == 'sparse-probe.py' else 'SlidingDepthEstimator'
    assert model.type == expected
    if expected == 'SlidingDepthEstimator':
        assert model.test_cfg.mode == 'whole'
