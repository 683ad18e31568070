"""The inference pipeline (no model): dropped transforms, loader per input, config left alone,
the ori_shape guard, and the per-size forward."""
import copy

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmseg.structures import SegDataSample

from mmdepth_dgr.apis.utils import (
    GT_LOADING_TRANSFORMS,
    build_inference_pipeline,
    forward_by_size,
    get_test_pipeline_cfg,
)

from .conftest import KITTI_CONFIG, NYU_CONFIG, make_image, write_png

PACK = dict(type='PackSegInputs')


def test_kitti_pipeline_leaves_out_depth_loading_and_the_kb_crop():
    cfg = Config.fromfile(str(KITTI_CONFIG))
    before = copy.deepcopy(cfg.to_dict())
    packed = build_inference_pipeline(cfg)(make_image(375, 1242))
    assert packed['inputs'].shape == (3, 375, 1242)
    meta = packed['data_samples'].metainfo
    assert tuple(meta['ori_shape']) == tuple(meta['img_shape']) == (375, 1242)
    assert 'kb_crop_offset' not in meta and 'gt_depth_map' not in packed['data_samples']
    assert cfg.to_dict() == before
    assert [t['type'] for t in cfg.test_pipeline] == ['LoadImageFromFile', 'LoadDepthMap',
                                                      'LoadDepthEdgeMap', 'KBCrop',
                                                      'PackSegInputs']


def test_a_kept_crop_that_changes_ori_shape_is_refused():
    cfg = Config.fromfile(str(KITTI_CONFIG))
    pipeline = build_inference_pipeline(cfg, drop=GT_LOADING_TRANSFORMS)
    with pytest.raises(ValueError, match=r'changed ori_shape of the array input from '
                       r'\(375, 1242\) to \(352, 1216\).*KBCrop'):
        pipeline(make_image(375, 1242))


def test_the_loader_is_chosen_per_input_with_the_config_arguments(tmp_path):
    cfg = Config(dict(test_pipeline=[dict(type='LoadImageFromFile', to_float32=True),
                                     dict(type='LoadDepthMap'), PACK]))
    img = make_image(20, 30)
    pipeline = build_inference_pipeline(cfg)
    from_array = pipeline(img)
    from_file = pipeline(write_png(tmp_path / 'a.png', img))
    from_array_again = pipeline(img)
    for packed in (from_array, from_file, from_array_again):
        assert packed['inputs'].dtype == torch.float32  # to_float32 reached both loaders
    assert torch.equal(from_array['inputs'], from_file['inputs'])
    assert torch.equal(from_array_again['inputs'], from_file['inputs'])
    assert from_file['data_samples'].img_path == str(tmp_path / 'a.png')
    assert cfg.test_pipeline[0] == dict(type='LoadImageFromFile', to_float32=True)


def test_the_remaining_transforms_run_on_a_copy_of_the_callers_array():
    img = make_image(20, 30)
    pipeline = build_inference_pipeline(Config(dict(test_pipeline=[
        dict(type='LoadImageFromFile'), dict(type='RandomFlip', prob=1.0), PACK])))
    assert not np.shares_memory(pipeline.loader(img)['img'], img)
    packed = pipeline(img)
    assert torch.equal(packed['inputs'], torch.from_numpy(img[:, ::-1].transpose(2, 0, 1).copy()))
    assert packed['data_samples'].flip is True


def test_the_test_loader_pipeline_is_the_fallback_and_errors_are_clear():
    loader_only = Config(dict(test_dataloader=dict(dataset=dict(
        pipeline=[dict(type='LoadImageFromFile'), PACK]))))
    assert [t['type'] for t in get_test_pipeline_cfg(loader_only)] == ['LoadImageFromFile',
                                                                      'PackSegInputs']
    assert build_inference_pipeline(loader_only)(make_image(9, 11))['inputs'].shape == (3, 9, 11)
    with pytest.raises(ValueError, match='no test pipeline'):
        build_inference_pipeline(Config(dict(model=dict())))
    with pytest.raises(ValueError, match=r"must start with an image loader.*\['PackSegInputs'\]"):
        build_inference_pipeline(Config(dict(test_pipeline=[dict(type='LoadDepthMap'), PACK])))


def test_nyu_pipeline_is_loader_and_packing_only():
    pipeline = build_inference_pipeline(Config.fromfile(str(NYU_CONFIG)))
    assert [type(t).__name__ for t in pipeline.transforms.transforms] == ['PackSegInputs']


class _RecordingModel(torch.nn.Module):
    """test_step records each batch's sizes and returns samples tagged with the input's mean."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = []

    def test_step(self, data):
        assert not torch.is_grad_enabled()
        self.batches.append([tuple(x.shape) for x in data['inputs']])
        out = []
        for x, sample in zip(data['inputs'], data['data_samples'], strict=True):
            sample.set_metainfo(dict(mean=float(x.float().mean())))
            out.append(sample)
        return out


def test_forward_by_size_runs_one_batch_per_size_and_keeps_the_order():
    sizes = [(4, 6), (5, 7), (4, 6), (5, 7), (8, 8)]
    inputs = [torch.full((3, *s), float(i)) for i, s in enumerate(sizes)]
    model = _RecordingModel()
    preds = forward_by_size(model, dict(inputs=inputs,
                                        data_samples=[SegDataSample() for _ in sizes]))
    assert model.batches == [[(3, 4, 6), (3, 4, 6)], [(3, 5, 7), (3, 5, 7)], [(3, 8, 8)]]
    assert [p.metainfo['mean'] for p in preds] == [0.0, 1.0, 2.0, 3.0, 4.0]
