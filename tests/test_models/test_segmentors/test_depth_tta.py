"""Flip TTA: flip_average, DepthTTAModel against (N(I) + flip(N(flip(I)))) / 2 computed directly,
and the tta_pipeline of the NYU and KITTI dataset bases on generated frames."""
import copy
from unittest import mock

import numpy as np
import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.structures import PixelData
from mmseg.registry import DATASETS, METRICS
from mmseg.structures import SegDataSample

from mmdepth_dgr.engine.checkpoint import load_test_checkpoint
from mmdepth_dgr.models.segmentors import DepthTTAModel, flip_average, view_is_flipped
from mmdepth_dgr.testing import REPO_ROOT, build_depth_model, depth_batch
from mmdepth_dgr.testing.probe import TINY_TARGET

SIZE = (64, 96)
DATASET_BASES = REPO_ROOT / 'configs' / '_base_' / 'datasets'
META = dict(kb_crop_offset=(3, 2), uncropped_shape=(67, 100), eval_crop='garg')


def _model(seed: int = 0):
    torch.manual_seed(seed)
    cfg = dict(copy.deepcopy(TINY_TARGET), type='SlidingDepthEstimator',
               test_cfg=ConfigDict(mode='whole'))
    return build_depth_model(cfg).eval()


@pytest.fixture(scope='module')
def model():
    return _model()


# ------------------------------------------------------------------------ flip_average
def test_flip_average_is_the_flip_convention():
    gen = torch.Generator().manual_seed(0)
    a, b, c = (torch.rand(1, 5, 7, generator=gen) for _ in range(3))
    assert torch.equal(flip_average([a, b], [False, True]), (a + b.flip(-1)) / 2)
    torch.testing.assert_close(flip_average([a, b, c], [False, True, False]),
                               (a + b.flip(-1) + c) / 3, rtol=0, atol=1e-7)
    assert torch.equal(flip_average([b], [True]), b.flip(-1))
    assert torch.equal(flip_average([a, c], [False, False]), (a + c) / 2)


@pytest.mark.parametrize('depths,flips,match', [
    ([], [], 'no views'),
    ([torch.zeros(1, 4, 4)], [False, True], '1 depth maps but 2 flip flags'),
    ([torch.zeros(1, 4, 4), torch.zeros(1, 4, 5)], [False, True], 'different sizes'),
])
def test_flip_average_refuses_bad_views(depths, flips, match):
    with pytest.raises(ValueError, match=match):
        flip_average(depths, flips)


def test_view_is_flipped_reads_the_flip_meta():
    assert view_is_flipped(dict(flip=True, flip_direction='horizontal'))
    assert not view_is_flipped(dict(flip=False, flip_direction=None))
    assert not view_is_flipped(dict(img_path='x.png'))  # no RandomFlip in the pipeline
    for direction in ('vertical', 'diagonal', None):
        with pytest.raises(ValueError, match=f'horizontal flips only, got flip_direction='
                                             f'{direction!r}'):
            view_is_flipped(dict(flip=True, flip_direction=direction, img_path='a.png'))


# ------------------------------------------------------------------------ DepthTTAModel
def _tta_batch(flips, direction='horizontal'):
    """A collated TestTimeAug batch of depth_batch's 2 images, one view per entry of ``flips``.

    A flipped view holds the flipped image and the flipped ground truth (as a pipeline that
    loads the depth before the flip gives it)."""
    raw = depth_batch(SIZE, n=2)
    inputs, samples = [], []
    for flip in flips:
        inputs.append([img.flip(-1) if flip else img for img in raw['inputs']])
        view = []
        for i, sample in enumerate(raw['data_samples']):
            gt = sample.gt_depth_map.data
            s = SegDataSample(metainfo=dict(sample.metainfo, img_path=f'img{i}.png', **META,
                                            flip=flip, flip_direction=direction if flip
                                            else None))
            s.gt_depth_map = PixelData(data=gt.flip(-1) if flip else gt)
            view.append(s)
        samples.append(view)
    return dict(inputs=inputs, data_samples=samples), raw


def _direct(model, images, flip: bool) -> torch.Tensor:
    """N(I), or flip(N(flip(I))): the model's predict on the (flipped) preprocessed tensor."""
    data = model.data_preprocessor(dict(inputs=images), False)
    inputs = data['inputs'].flip(-1) if flip else data['inputs']
    with torch.no_grad():
        depth = torch.stack([s.pred_depth_map.data for s in model.predict(inputs)])
    return depth.flip(-1) if flip else depth


def test_tta_merge_is_the_flip_average_of_the_model(model):
    data, raw = _tta_batch([False, True])
    with torch.no_grad():
        merged = DepthTTAModel(module=model).test_step(data)
    pred = torch.stack([s.pred_depth_map.data for s in merged])
    plain = _direct(model, raw['inputs'], flip=False)
    expected = (plain + _direct(model, raw['inputs'], flip=True)) / 2
    assert pred.shape == (2, 1, *SIZE)
    torch.testing.assert_close(pred, expected, rtol=0, atol=1e-6)
    assert (pred - plain).abs().max() > 1e-4  # the flipped view counts
    # flipping the flipped view back twice (once in the model, once in the merge) is wrong
    double = (plain + _direct(model, raw['inputs'], flip=True).flip(-1)) / 2
    assert (pred - double).abs().max() > 1e-4


@pytest.mark.parametrize('flips', [[False, True, False], [True, False], [True]])
def test_tta_averages_any_number_of_views(model, flips):
    data, raw = _tta_batch(flips)
    with torch.no_grad():
        merged = DepthTTAModel(module=model).test_step(data)
    expected = sum(_direct(model, raw['inputs'], flip) for flip in flips) / len(flips)
    pred = torch.stack([s.pred_depth_map.data for s in merged])
    torch.testing.assert_close(pred, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize('flips', [[False, True], [True, False]])
def test_merged_sample_has_the_unflipped_view_ground_truth(model, flips):
    data, raw = _tta_batch(flips)
    with torch.no_grad():
        merged = DepthTTAModel(module=model).test_step(data)
    for i, sample in enumerate(merged):
        assert torch.equal(sample.gt_depth_map.data, raw['data_samples'][i].gt_depth_map.data)
        assert sample.flip is False and sample.img_path == f'img{i}.png'
        assert {k: sample.metainfo[k] for k in META} == META
        fields = list(sample.keys())
        assert [k for k in fields if k.startswith('pred_')] == ['pred_depth_map']
    # the inputs' own samples keep their flip metadata
    assert [s.flip for s in data['data_samples'][flips.index(True)]] == [True, True]


@pytest.mark.parametrize('direction', ['vertical', 'diagonal'])
def test_tta_refuses_other_flips_before_running_the_model(model, direction):
    data, _ = _tta_batch([False, True], direction=direction)
    tta = DepthTTAModel(module=model)
    with (mock.patch.object(model, 'test_step', wraps=model.test_step) as calls,
          pytest.raises(ValueError, match=f"horizontal flips only.*'{direction}'")):
        tta.test_step(data)
    assert calls.call_count == 0


def _predicted(shape, path='a.png', flip=False):
    s = SegDataSample(metainfo=dict(img_path=path, flip=flip,
                                    flip_direction='horizontal' if flip else None))
    s.pred_depth_map = PixelData(data=torch.ones(shape))
    return s


def test_merge_refuses_views_of_different_sizes_or_images():
    tta = DepthTTAModel(module=_model())
    with pytest.raises(ValueError, match=r'a\.png: .*different sizes \[\(1, 4, 6\), \(1, 4, 5\)\]'):
        tta.merge_preds([[_predicted((1, 4, 6)), _predicted((1, 4, 5), flip=True)]])
    with pytest.raises(ValueError, match='different files'):
        tta.merge_preds([[_predicted((1, 4, 6)), _predicted((1, 4, 6), 'b.png', flip=True)]])


def test_tta_state_dict_is_the_model_one(tmp_path, model):
    """A checkpoint of the model loads strictly into its TTA wrapper (tools/test.py --tta)."""
    other = _model(seed=1)
    tta = DepthTTAModel(module=other)
    assert list(tta.state_dict()) == list(model.state_dict())
    ckpt = tmp_path / 'model.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    key = 'decode_head.conv_depth.weight'
    assert not torch.equal(other.state_dict()[key], model.state_dict()[key])
    load_test_checkpoint(tta, str(ckpt), strict=True)
    for name, value in model.state_dict().items():
        assert torch.equal(other.state_dict()[name], value), name
    tta.load_state_dict(_model(seed=2).state_dict())
    assert not torch.equal(other.state_dict()[key], model.state_dict()[key])


# -------------------------------------------------------------- tta_pipeline of the bases
def _dataset(name: str, root, pipeline_key: str):
    cfg = Config.fromfile(str(DATASET_BASES / f'{name}.py'))
    ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    ds_cfg.update(data_root=str(root), pipeline=cfg[pipeline_key])
    return DATASETS.build(ds_cfg), cfg


@pytest.fixture(params=['nyu', 'kitti'])
def base(request, nyu_eval_root, kitti_eval_root):
    root = nyu_eval_root if request.param == 'nyu' else kitti_eval_root
    tta_ds, cfg = _dataset(request.param, root, 'tta_pipeline')
    test_ds, _ = _dataset(request.param, root, 'test_pipeline')
    return request.param, tta_ds, test_ds, cfg


def test_tta_pipeline_gives_an_unflipped_and_a_flipped_view(base):
    name, tta_ds, test_ds, cfg = base
    assert cfg.tta_model == dict(type='DepthTTAModel')
    item, plain = tta_ds[0], test_ds[0]
    views = item['data_samples']
    assert len(item['inputs']) == len(views) == 2
    assert [(v.flip, v.flip_direction) for v in views] == [(False, None), (True, 'horizontal')]
    assert torch.equal(item['inputs'][0], plain['inputs'])
    assert torch.equal(item['inputs'][1], plain['inputs'].flip(-1))
    gt = plain['data_samples'].gt_depth_map.data
    assert torch.equal(views[0].gt_depth_map.data, gt)
    # NYU loads the depth after the flip; KITTI before its KB crop, so the flipped view's is
    # flipped too (the merge keeps the un-flipped view's)
    flipped_gt = gt if name == 'nyu' else gt.flip(-1)
    assert torch.equal(views[1].gt_depth_map.data, flipped_gt)
    assert not torch.equal(gt, gt.flip(-1))
    meta = plain['data_samples'].metainfo
    for view in views:
        assert {k: v for k, v in view.metainfo.items() if k not in ('flip', 'flip_direction')} \
            == {k: v for k, v in meta.items() if k not in ('flip', 'flip_direction')}
    if name == 'kitti':
        assert tuple(gt.shape) == (1, 352, 1216) and 'kb_crop_offset' in meta


def test_tta_pipeline_batch_merges_and_evaluates(base, model):
    """Two images through DepthTTAModel: the test pipeline's ground truth and metas come out,
    and DepthEvalMetric takes the merged samples."""
    name, tta_ds, test_ds, cfg = base
    batch = pseudo_collate([tta_ds[0], tta_ds[1]])
    with torch.no_grad():
        merged = DepthTTAModel(module=model).test_step(batch)
    expected = (_direct(model, [tta_ds[i]['inputs'][0] for i in range(2)], flip=False)
                + _direct(model, [tta_ds[i]['inputs'][0] for i in range(2)], flip=True)) / 2
    metric = METRICS.build(cfg.test_evaluator)
    metric.process(batch, [s.to_dict() for s in merged])
    for i, sample in enumerate(merged):
        plain = test_ds[i]['data_samples']
        assert torch.equal(sample.gt_depth_map.data, plain.gt_depth_map.data)
        assert sample.metainfo == dict(plain.metainfo, flip=False, flip_direction=None)
        torch.testing.assert_close(sample.pred_depth_map.data, expected[i], rtol=0, atol=1e-6)
    assert len(metric.results) == 2
    assert all(np.isfinite(r['abs_rel']) for r in metric.results)
