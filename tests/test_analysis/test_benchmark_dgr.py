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


def _fake_times(none, neck):
    return dict(none=dict(wall=list(none), cpu=list(none)), neck=dict(wall=list(neck),
                                                                     cpu=list(neck)))


def test_paired_overhead_interval_and_resolution():
    from mmdepth_dgr.analysis.benchmark_dgr import timing_row
    base = [3.0, 4.0, 5.0, 3.5, 4.5, 3.2, 4.8, 3.9, 4.1, 3.6]
    steady = timing_row('neck', _fake_times(base, [1.05 * t for t in base]), 'cpu')
    assert abs(steady['cpu_ratio'] - 0.05) < 1e-12  # paired: the load of each round cancels
    assert steady['cpu_paired']['resolved'] and steady['cpu_paired']['n'] == 10
    noisy = timing_row('neck', _fake_times(base, base[::-1]), 'cpu')
    assert not noisy['cpu_paired']['resolved']
    assert noisy['cpu_paired']['low'] < 1 < noisy['cpu_paired']['high']


def test_goals_decisive_and_instruction_table():
    from mmdepth_dgr.analysis.benchmark_dgr import dgr_goals, format_instruction_rows, timing_row
    base = [3.0, 4.0, 5.0, 3.5, 4.5, 3.2, 4.8, 3.9, 4.1, 3.6]
    times = _fake_times(base, base[::-1])
    timing = [timing_row(p, times, 'cpu') for p in ('none', 'neck')]
    complexity = [dict(placement=p, params_ratio=r, flops_ratio=r) for p, r in
                  (('none', 0.0), ('neck', 0.01))]
    counted = [dict(placement='none', ratio=0.0), dict(placement='neck', ratio=0.02)]
    goals = {g['name']: g for g in dgr_goals(complexity, timing, counted, 'cpu')}
    t_goal = goals['train step +% (neck, cpu time)']
    i_goal = goals['train step +% (neck, instructions)']
    assert not t_goal['resolved'] and not t_goal['decisive']
    assert i_goal['decisive'] and i_goal['value'] == 0.02 and i_goal['passed']
    # without counts the unresolved time goal stays the decisive one
    alone = {g['name']: g for g in dgr_goals(complexity, timing, [], 'cpu')}
    assert alone['train step +% (neck, cpu time)']['decisive']
    assert 'train step +% (neck, instructions)' not in alone
    rows = [dict(placement=p, shape=(32, 48), reps=1, totals_k=[100, 100], totals_2k=[150, 150],
                 wall_s=[1.0, 2.0, 1.0, 2.0], per_rep=50 + 5 * i, ratio=0.1 * i)
            for i, p in enumerate(('none', 'neck'))]
    table = '\n'.join(format_instruction_rows(rows, 'swin-t.py'))
    assert 'at 32x48' in table and '| neck | 0.0000 | +10.00 % | 100 / 100 | 150 / 150 |' in table


def _fake_count_many(per_rep):
    """A stand-in for count_many: per-step counts by variant, no valgrind."""
    from mmdepth_dgr.analysis.instruction_count import InstructionCount

    def fake(workloads, reps=1, runs=1, **kwargs):
        return [InstructionCount(w, reps, [1000] * runs,
                                 [1000 + reps * per_rep[(w.name, w.variant)]] * runs,
                                 [0.1] * (2 * runs)) for w in workloads]

    return fake


def test_benchmark_with_counts_wiring(monkeypatch, tmp_path):
    from mmdepth_dgr.analysis import instruction_count
    per_rep = {('dgr_step', 'none'): 200, ('dgr_step', 'neck'): 204,
               ('dgr_step', 'backbone'): 230}
    monkeypatch.setattr(instruction_count, 'count_many', _fake_count_many(per_rep))
    swin_t = REPO_ROOT / 'configs/_base_/models/multiscale-depth_swin-t.py'
    tiny = Config.fromfile(str(swin_t)).model
    tiny.backbone.update(embed_dims=12, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1],
                         window_size=4)
    tiny.decode_head.update(in_channels=[12, 24, 48, 96], channels=16)
    result = benchmark_dgr(tiny, tiny, shape=(64, 64), repeats=2, warmup=0, threads=1,
                           count_instructions=True, count_shape=(32, 32))
    ratios = [r['ratio'] for r in result['instructions']]
    assert ratios == [0.0, 204 / 200 - 1, 230 / 200 - 1]
    assert result['instructions'][0]['shape'] == (32, 32)
    goals = {g['name']: g for g in result['goals']}
    assert goals['train step +% (backbone, instructions)']['value'] == 230 / 200 - 1
    assert not goals['train step +% (backbone, instructions)']['passed']
    table = format_benchmark(result)
    assert 'Instructions per train step' in table and '| backbone | 0.0000 | +15.00 % |' in table
