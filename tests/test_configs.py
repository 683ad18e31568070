"""Every config under configs/ builds its model (pretrained off) and runs at small size."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmdepth_dgr.utils import strip_pretrained, sync_bn_to_bn

CONFIG_DIR = Path(__file__).resolve().parents[1] / 'configs'
CONFIGS = sorted(p for p in CONFIG_DIR.rglob('*.py') if '_base_' not in p.parts)


def test_configs_found():
    assert len(CONFIGS) >= 5, CONFIGS


def _batch(cfg: Config, size=(64, 96), n=2):
    max_depth = cfg.model.get('decode_head', {}).get('max_depth', 10.0)
    gen = torch.Generator().manual_seed(0)
    inputs = [torch.randint(0, 255, (3, *size), generator=gen, dtype=torch.uint8)
              for _ in range(n)]
    samples = []
    for _ in range(n):
        gt = torch.rand(1, *size, generator=gen) * max_depth
        gt[:, :4] = 0  # some invalid pixels
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size, pad_shape=size))
        sample.gt_depth_map = PixelData(data=gt)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize('path', CONFIGS, ids=[str(p.relative_to(CONFIG_DIR)) for p in CONFIGS])
def test_config_builds_and_runs(path):
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmseg'
    assert cfg.custom_imports == dict(imports=['mmdepth_dgr'], allow_failed_imports=False)
    for key in ('train_dataloader', 'test_dataloader', 'test_evaluator', 'optim_wrapper'):
        assert key in cfg, key
    model_cfg = sync_bn_to_bn(strip_pretrained(cfg.model))
    model = MODELS.build(model_cfg)
    model.init_weights()
    batch = _batch(cfg)
    model.train()
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        out = model(**data, mode='predict')
    pred = out[0].pred_depth_map.data
    assert pred.shape == (1, 64, 96)
    if cfg.model.type == 'SparsePixelProbe':  # mask net G in front of a frozen depth network N
        _check_probe(model, out[0])
        return
    head = cfg.model.decode_head
    assert pred.min() >= head.get('min_depth', 0) - 1e-6
    assert pred.max() <= head.get('max_depth', float('inf')) + 1e-6


def _check_probe(model, sample):
    """N (built from its config, random weights) stayed frozen; the outputs are probe outputs."""
    assert all(not p.requires_grad and p.grad is None for p in model.target.parameters())
    assert all(p.grad is not None for p in model.mask_net.parameters())
    assert set(sample.pred_mask.data.unique().tolist()) <= {0.0, 1.0}
    head = model.target.decode_head
    for key in ('pred_depth_map', 'pred_full_depth_map'):
        depth = sample.get(key).data
        assert depth.shape == (1, 64, 96)
        assert head.min_depth - 1e-6 <= depth.min() and depth.max() <= head.max_depth + 1e-6


@pytest.mark.parametrize('path', CONFIGS, ids=[str(p.relative_to(CONFIG_DIR)) for p in CONFIGS])
def test_config_keeps_real_pretrained_urls_or_says_why(path):
    """Real configs name the published checkpoints; synthetic ones switch them off explicitly."""
    cfg = Config.fromfile(str(path))
    model = cfg.model
    if model.type == 'SparsePixelProbe':  # G trains from scratch; its target N follows the rule
        assert model.mask_net.get('init_cfg') is None
        model = Config.fromfile(model.target).model
    backbone = model.backbone
    if backbone.type == 'DGRBackbone':  # DGR blocks inside the encoder: the inner one loads
        backbone = backbone.backbone
    init_cfg = backbone.get('init_cfg')
    if 'synthetic' in path.parts:
        assert init_cfg is None
    else:
        assert init_cfg['type'] == 'Pretrained'
        assert init_cfg['checkpoint'].startswith(('https://', 'torchvision://'))
