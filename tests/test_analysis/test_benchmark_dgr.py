"""add_dgr and the DGR cost benchmark: DGR models predict like the plain ones at init, the
ablation pair, complexity of DGR models, the benchmark library (tiny sizes)."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from mmdepth_dgr.analysis import add_dgr, benchmark_dgr, format_benchmark, model_complexity
from mmdepth_dgr.testing import REPO_ROOT

MIT_CFG = (REPO_ROOT / 'configs/multiscale_depth'
           / 'multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py')
PAIR = {p: (REPO_ROOT / 'configs/dgr'
            / f'multiscale-depth-dgr-{p}_mit-b0_2xb4-2k_synthetic-nyu-96x128.py')
        for p in ('neck', 'backbone')}


def _mit_model_cfg():
    cfg = Config.fromfile(str(MIT_CFG))
    return copy.deepcopy(cfg.model)


def _tensor_out(model, x):
    model.eval()
    with torch.no_grad():
        return model(x, None, mode='tensor')


@pytest.mark.parametrize('placement', ['neck', 'backbone'])
def test_model_predictions_unchanged_when_dgr_inserted(placement):
    torch.manual_seed(0)
    base = MODELS.build(_mit_model_cfg())
    base.init_weights()
    dgr_model = MODELS.build(add_dgr(_mit_model_cfg(), placement))
    dgr_model.init_weights()
    # the plain model's checkpoint loads into the DGR model (backbone keys are remapped)
    result = dgr_model.load_state_dict(base.state_dict(), strict=False)
    assert not result.unexpected_keys
    assert result.missing_keys and all('dgr' in k or k.startswith('neck.')
                                       for k in result.missing_keys)
    x = torch.randn(1, 3, 64, 96)
    assert torch.equal(_tensor_out(base, x), _tensor_out(dgr_model, x))


def test_model_complexity_counts_dgr():
    cfg = _mit_model_cfg()
    plain = model_complexity(cfg, (32, 64))
    with_dgr = model_complexity(add_dgr(cfg, 'neck'), (32, 64))
    assert plain['dgr_params'] == 0 and plain['dgr_flops'] == 0
    assert with_dgr['params'] - plain['params'] == with_dgr['dgr_params'] > 0
    assert with_dgr['flops'] - plain['flops'] == with_dgr['dgr_flops'] > 0
    assert with_dgr['flops_by_operator']['einsum'] > 0


def test_ablation_pair_configs():
    neck = Config.fromfile(str(PAIR['neck']))
    backbone = Config.fromfile(str(PAIR['backbone']))
    assert neck.model.neck.type == 'DGRNeck' and 'neck' not in backbone.model
    assert backbone.model.backbone.type == 'DGRBackbone'
    assert backbone.model.backbone.backbone.type == 'MixVisionTransformer'
    assert backbone.model.backbone.backbone.init_cfg is None
    n_neck = MODELS.build(neck.model)
    n_bb = MODELS.build(backbone.model)
    p = [sum(x.numel() for x in m.parameters()) for m in (n_neck, n_bb)]
    assert p[0] == p[1]  # same DGR blocks, only the placement differs


def test_add_dgr_errors_and_existing_neck():
    cfg = _mit_model_cfg()
    cfg['neck'] = dict(type='FPN', in_channels=[32, 64, 160, 256], out_channels=32, num_outs=4)
    new = add_dgr(cfg, 'neck', rank=4)
    assert new['neck']['type'] == 'SequentialNeck'
    assert new['neck']['necks'][0] == dict(type='DGRNeck', in_channels=[32, 64, 160, 256],
                                           rank=4)
    with pytest.raises(ValueError, match='placement must be one of'):
        add_dgr(cfg, 'head')


def test_benchmark_library_smoke():
    swin_t = REPO_ROOT / 'configs/_base_/models/multiscale-depth_swin-t.py'
    tiny = Config.fromfile(str(swin_t)).model
    tiny.backbone.update(embed_dims=12, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1],
                         window_size=4)
    tiny.decode_head.update(in_channels=[12, 24, 48, 96], channels=16)
    result = benchmark_dgr(tiny, tiny, shape=(64, 64), repeats=1, warmup=0, threads=1)
    assert [r['placement'] for r in result['complexity']] == ['none', 'neck', 'backbone']
    assert result['complexity'][0]['params_ratio'] == 0
    assert result['complexity'][1]['params_ratio'] > 0
    assert result['settings']['torch_threads'] == 1 and result['settings']['time_metric'] == 'cpu'
    assert len(result['goals']) == 6 and all(t['cpu_median_s'] > 0 for t in result['timing'])
    table = format_benchmark(result)
    assert '| neck |' in table
    # every goal: its row's ratio against the limit, and the verdict those numbers give
    expected = []
    for c_row, t_row in zip(result['complexity'][1:], result['timing'][1:], strict=True):
        p = c_row['placement']
        expected += [(f'params +% ({p})', c_row['params_ratio'], 0.03),
                     (f'FLOPs +% ({p})', c_row['flops_ratio'], 0.05),
                     (f'train step +% ({p}, cpu time)', t_row['cpu_ratio'], 0.10)]
    assert [(g['name'], g['value'], g['limit']) for g in result['goals']] == expected
    assert [g['passed'] for g in result['goals']] == [v <= lim for _, v, lim in expected]
    for name, value, limit in expected:
        verdict = 'PASS' if value <= limit else 'FAIL'
        assert f'| {name} | {100 * value:+.2f} % | {100 * limit:+.2f} % | {verdict} |' in table
