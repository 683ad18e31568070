"""The probe study's Table 1: rows per lambda, CSV and Markdown, the sparsity trend, settings."""
import csv

import pytest

from mmdepth_dgr.analysis.probe import (
    ProbeNetwork,
    check_lambdas,
    check_sparsity_trend,
    depth_eval_settings,
    format_table,
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
    rows = summarize(per_lambda)
    assert [r['lambda'] for r in rows] == ['original', 1.0, 2.0]
    assert rows[0]['rmse_t'] == pytest.approx(0.5) and rows[0]['rmse_c'] == pytest.approx(0.45)
    assert rows[0]['sparsity_t'] == rows[0]['sparsity_c'] == 1.0
    assert rows[1]['rmse_t'] == pytest.approx(0.6) and rows[1]['rmse_c'] == pytest.approx(0.6)
    assert rows[1]['sparsity_t'] == pytest.approx(0.8)
    write_csv(rows, tmp_path / 't.csv')
    with open(tmp_path / 't.csv', encoding='utf-8') as f:
        table = list(csv.DictReader(f))
    assert table[0]['lambda'] == 'original' and table[0]['rmse_t_mask_c'] == ''
    assert float(table[2]['sparsity_c']) == pytest.approx(0.4)
    nets = {k: ProbeNetwork(k, n, 'c.py', 'x.pth') for k, n in
            (('transformer', 'T'), ('cnn', 'C'))}
    md = format_table(rows, nets, 0.5)
    assert '| original | 0.500 | 1.00 | 0.450 | 1.00 | - | - |' in md
    assert '| 2 | 0.600 | 0.50 | 0.700 | 0.40 | 0.650 | 0.750 |' in md
    assert 'T = T, C = C' in md
    assert check_sparsity_trend(rows) == []
    rows[2]['sparsity_c'] = 0.9  # rises from 0.7 at lambda=1 to 0.9 at lambda=2
    assert check_sparsity_trend(rows) == [
        'CNN: sparsity rises from 0.700 to 0.900 at lambda=2',
        'CNN: sparsity at lambda=2 (0.900) is not below lambda=1 (0.700)']
    rows[2]['sparsity_c'] = 0.7
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
