"""enable_tta: the config switch behind tools/test.py --tta (mmseg's three steps)."""
import copy
import re

import pytest
import torch
from mmengine.config import Config

from mmdepth_dgr.engine import enable_tta
from mmdepth_dgr.engine import test_config as fill_test_config
from mmdepth_dgr.models.segmentors import DepthTTAModel, SlidingDepthEstimator
from mmdepth_dgr.testing import TOOL_TEST_CONFIGS, build_depth_model

CONFIG = TOOL_TEST_CONFIGS['nyu']


def test_enable_tta_does_mmseg_three_steps(tmp_path):
    ckpt = tmp_path / 'x.pth'
    torch.save({}, ckpt)
    cfg = fill_test_config(str(CONFIG), str(ckpt), work_dir=str(tmp_path / 'work'))
    model, tta_pipeline, tta_model = (copy.deepcopy(cfg[k])
                                      for k in ('model', 'tta_pipeline', 'tta_model'))
    assert cfg.test_dataloader.dataset.pipeline != tta_pipeline
    assert enable_tta(cfg) is cfg
    assert cfg.test_dataloader.dataset.pipeline == tta_pipeline
    assert cfg.model == dict(tta_model, module=model)
    assert cfg.tta_model == tta_model  # copied, not aliased
    built = build_depth_model(cfg)
    assert isinstance(built, DepthTTAModel)
    assert isinstance(built.module, SlidingDepthEstimator)


@pytest.mark.parametrize('present,missing', [
    ({}, 'tta_pipeline and tta_model'),
    ({'tta_model': dict(type='DepthTTAModel')}, 'tta_pipeline'),
    ({'tta_pipeline': []}, 'tta_model'),
])
def test_missing_tta_entries_name_the_config(tmp_path, present, missing):
    path = tmp_path / 'no_tta.py'
    cfg = Config(dict(model=dict(type='SlidingDepthEstimator'),
                      test_dataloader=dict(dataset=dict(pipeline=[])), **present))
    cfg.dump(str(path))
    cfg = Config.fromfile(str(path))
    with pytest.raises(KeyError, match=re.escape(f'--tta needs {missing} in {path}')):
        enable_tta(cfg)
    assert cfg.model == dict(type='SlidingDepthEstimator')  # nothing changed
