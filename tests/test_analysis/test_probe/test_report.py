"""The probe study's Table 1: rows per lambda, CSV and Markdown, the sparsity trend, settings."""
import csv

import pytest

from mmdepth_dgr.analysis.probe import (
    ProbeNetwork,
    check_lambdas,
    check_operating_range,
    check_sparsity_trend,
    depth_eval_settings,
    format_table,
    read_csv,
    study_lambdas,
    summarize,
    write_csv,
)


def test_table_rows_csv_and_settings(tmp_path):
    per_lambda = {
        2.0: [dict(index=0, rmse_t=0.6, rmse_c=0.7, rmse_t_mask_c=0.65, rmse_c_mask_t=0.75,
                   sparsity_t=0.5, sparsity_c=0.4)],
        1.0: [dict(index=0, rmse_t=0.5, rmse_c=0.6, rmse_t_mask_c=0.55, rmse_c_mask_t=0.62,
                   sparsity_t=0.9, sparsity_c=0.8, rmse_t_full=0.4, rmse_c_full=0.45),
              dict(index=1, rmse_t=0.7, rmse_c=None, rmse_t_mask_c=0.75, rmse_c_mask_t=0.6,
                   sparsity_t=0.7, sparsity_c=0.6, rmse_t_full=0.6, rmse_c_full=None)],
    }
    per_lambda[1.0][0].update(rmse_t_removed=2.0, rmse_c_removed=1.5, rmse_t_dimmed=0.45,
                              edge_affinity_t=1.2,
                              edge_affinity_c=0.8)
    per_lambda[1.0][1].update(rmse_t_removed=2.2, rmse_c_removed=None, edge_affinity_t=1.6,
                              edge_affinity_c=None)
    rows = summarize(per_lambda)
    assert [r['lambda'] for r in rows] == ['original', 'removed', 'dimmed x0.3', 1.0, 2.0]
    dimmed = rows.pop(2)
    assert dimmed['rmse_t'] == pytest.approx(0.45) and dimmed['rmse_c'] is None
    assert dimmed['sparsity_t'] is None
    assert rows[0]['rmse_t'] == pytest.approx(0.5) and rows[0]['rmse_c'] == pytest.approx(0.45)
    assert rows[0]['sparsity_t'] == rows[0]['sparsity_c'] == 1.0
    assert rows[1]['rmse_t'] == pytest.approx(2.1) and rows[1]['rmse_c'] == pytest.approx(1.5)
    assert rows[1]['sparsity_t'] == rows[1]['sparsity_c'] == 0.0
    assert rows[2]['rmse_t'] == pytest.approx(0.6) and rows[2]['rmse_c'] == pytest.approx(0.6)
    assert rows[2]['sparsity_t'] == pytest.approx(0.8)
    assert rows[2]['edge_affinity_t'] == pytest.approx(1.4)
    assert rows[2]['edge_affinity_t_std'] == pytest.approx(0.4 / 2 ** 0.5)  # ddof 1
    assert rows[2]['edge_affinity_c_std'] is None  # one image only
    write_csv(rows, tmp_path / 't.csv')
    with open(tmp_path / 't.csv', encoding='utf-8') as f:
        table = list(csv.DictReader(f))
    assert table[0]['lambda'] == 'original' and table[0]['rmse_t_mask_c'] == ''
    assert float(table[3]['sparsity_c']) == pytest.approx(0.4)
    back = read_csv(tmp_path / 't.csv')
    assert back[1]['lambda'] == 'removed' and back[2]['lambda'] == 1.0
    assert back[2]['edge_affinity_t_std'] == pytest.approx(rows[2]['edge_affinity_t_std'])
    assert back[0]['rmse_t_mask_c'] is None
    nets = {k: ProbeNetwork(k, n, 'c.py', 'x.pth') for k, n in
            (('transformer', 'T'), ('cnn', 'C'))}
    md = format_table(rows, nets, 0.5)
    assert '| original | - | - | 0.500 | 1.00 | - | 0.450 | 1.00 | - | - | - |' in md
    assert '| 2 | - | - | 0.600 | 0.50 | - | 0.700 | 0.40 | - | 0.650 | 0.750 |' in md
    assert '| 1 | 1.40 +- 0.28 | 0.80 | - | - |' in md  # edge affinities, mean +- std
    assert 'T = T, C = C' in md and '| lambda |' in md
    assert '| lambda / removal gap |' in format_table(rows, nets, 0.5, relative=True)
    assert check_sparsity_trend(rows) == []
    rows[3]['sparsity_c'] = 0.9  # rises from 0.7 at lambda=1 to 0.9 at lambda=2
    assert check_sparsity_trend(rows) == [
        'CNN: sparsity rises from 0.700 to 0.900 at lambda=2',
        'CNN: sparsity at lambda=2 (0.900) is not below lambda=1 (0.700)']
    rows[3]['sparsity_c'] = 0.7
    assert check_sparsity_trend(rows) == [
        'CNN: sparsity at lambda=2 (0.700) is not below lambda=1 (0.700)']
    assert check_lambdas([4, 0.5, 1]) == [0.5, 1.0, 4.0]
    for bad in ([], [1, 1], [-1], [float('nan')]):
        with pytest.raises(ValueError):
            check_lambdas(bad)
    from mmengine.config import Config
    cfg = Config(dict(test_evaluator=[dict(type='DepthEvalMetric', min_depth_eval=1e-3,
                                           max_depth_eval=10.0, crop='nyu'),
                                      dict(type='MaskSparsityMetric')]))
    assert depth_eval_settings(cfg) == dict(min_depth=1e-3, max_depth=10.0, crop='nyu')
    with pytest.raises(KeyError, match='DepthEvalMetric'):
        depth_eval_settings(Config(dict(test_evaluator=dict(type='MaskSparsityMetric'))))


def _range_rows(sparsities_t, rmses_t, sparsities_c, rmses_c):
    rows = [dict(zip(('lambda', 'rmse_t', 'rmse_c'), v, strict=True)) for v in
            (('original', 1.0, 1.0), ('removed', 2.0, 1.4))]
    for i, values in enumerate(zip(sparsities_t, rmses_t, sparsities_c, rmses_c, strict=True)):
        rows.append(dict(zip(('sparsity_t', 'rmse_t', 'sparsity_c', 'rmse_c'), values,
                             strict=True), **{'lambda': 0.1 * (i + 1)}))
    return rows


def test_operating_range_check():
    """>= 3 lambdas per network with sparsity in (0.1, 0.9) and RMSE between full and removed."""
    good = _range_rows([0.8, 0.5, 0.3, 0.05], [1.1, 1.3, 1.6, 1.9],
                       [0.85, 0.6, 0.2, 0.0], [1.05, 1.1, 1.3, 1.4])
    assert check_operating_range(good) == []
    # a step function (all or nothing) fails for that network only
    step = _range_rows([1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 2.0, 2.0],
                       [0.85, 0.6, 0.2, 0.0], [1.05, 1.1, 1.3, 1.4])
    problems = check_operating_range(step)
    assert len(problems) == 1 and problems[0].startswith('Transformer: 0 lambda(s)')
    # selective masks whose RMSE is not between full and removed do not count
    useless = _range_rows([0.8, 0.5, 0.3, 0.05], [1.1, 1.3, 2.5, 1.9],
                          [0.85, 0.6, 0.2, 0.0], [1.05, 1.1, 1.3, 1.4])
    assert check_operating_range(useless)[0].startswith('Transformer: 2 lambda(s)')
    assert check_operating_range(good[2:]) == ['no original / removed row in the table']
    assert check_operating_range(good, min_rows=4)[0].startswith('Transformer: 3 lambda(s)')


def test_study_lambdas_absolute_or_factors():
    assert study_lambdas(dict(lambdas=[2, 1])) == ([1.0, 2.0], False)
    assert study_lambdas(dict(lambda_factors=[0.5, 0.3])) == ([0.3, 0.5], True)
    assert study_lambdas(dict(lambda_factors=[0.5]), lambdas=[3]) == ([3.0], False)
    assert study_lambdas(dict(lambdas=[1]), lambda_factors=[0.2]) == ([0.2], True)
    with pytest.raises(ValueError, match='exactly one'):
        study_lambdas(dict(lambdas=[1], lambda_factors=[0.2]))
    with pytest.raises(ValueError, match='exactly one'):
        study_lambdas(dict())
    with pytest.raises(ValueError, match='not both'):
        study_lambdas(dict(), lambdas=[1], lambda_factors=[0.2])
