"""compare_runs: the metrics table of several runs (the library and
tools/analysis_tools/compare_runs.py)."""
import sys

import pytest

from mmdepth_dgr.testing import run_in_repo


def test_compare_runs_table(tmp_path):
    from mmdepth_dgr.analysis.compare_runs import comparison_table, load_metrics, parse_run
    a = tmp_path / 'a.json'
    a.write_text('{"abs_rel": 0.2, "rmse": 0.5, "d1": 0.7, "edge_rmse": 0.9}')
    b = tmp_path / 'b.json'
    b.write_text('{"abs_rel": 0.1, "rmse": 0.6, "d1": 0.8}')
    name, config, path = parse_run(f'+DGR=cfg.py={a}')
    assert (name, config, path) == ('+DGR', 'cfg.py', a)
    table = comparison_table([(name, config, load_metrics(a)), ('base', 'c2.py', load_metrics(b))])
    rows = table.splitlines()
    assert rows[2].startswith('| +DGR | 0.2000 | **0.5000** | 0.7000 | - | **0.9000** |')
    assert rows[3].startswith('| base | **0.1000** | 0.6000 | **0.8000** | - | - |')
    with pytest.raises(ValueError, match='NAME=CONFIG=METRICS_JSON'):
        parse_run('only-a-name')
    with pytest.raises(FileNotFoundError, match='nope.json'):
        load_metrics(tmp_path / 'nope.json')
    proc = run_in_repo([sys.executable, 'tools/analysis_tools/compare_runs.py', f'x=c.py={a}',
                        '--out', str(tmp_path / 't.md')], check=False)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / 't.md').read_text().startswith('| run | abs_rel')
