"""tools/analysis_tools/benchmark.py: a tiny run with random weights (table, JSON, the
random-weights note) and its argument errors."""
import importlib.util
import json
import sys

import pytest

from mmdepth_dgr.testing import REPO_ROOT, run_in_repo

TOOL = REPO_ROOT / 'tools' / 'analysis_tools' / 'benchmark.py'
CONFIG = (REPO_ROOT / 'configs' / 'multiscale_depth'
          / 'multiscale-depth_mit-b0_2xb4-2k_synthetic-nyu-96x128.py')
TOP_KEYS = {'config', 'checkpoint', 'random_weights', 'device', 'shape', 'batch_size',
            'threads', 'repeat', 'warmup', 'seed', 'judged_metric', 'output_shape',
            'inference_model', 'forward', 'overhead', 'times'}


def _tool_module():
    spec = importlib.util.spec_from_file_location('benchmark_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_tool_tiny_run_writes_json(tmp_path):
    out = tmp_path / 'results.json'
    proc = run_in_repo([sys.executable, TOOL, CONFIG, '--shape', '64', '96', '--repeat', '3',
                        '--warmup', '1', '--threads', '1', '--out', out],
                       env=dict(OMP_NUM_THREADS='1'), timeout=600)
    log = proc.stdout + proc.stderr
    assert 'random weights' in log  # the logged note
    assert '| inference_model | cpu (judged) |' in proc.stdout
    assert 'overhead of inference_model over forward' in proc.stdout
    result = json.loads(out.read_text())
    assert set(result) == TOP_KEYS
    assert result['random_weights'] is True and result['shape'] == [64, 96]
    assert result['output_shape'] == [1, 64, 96] and result['threads'] == 1
    assert result['repeat'] == 3 and result['warmup'] == 1
    for path in ('inference_model', 'forward'):
        for metric in ('wall', 'cpu'):
            summary = result[path][metric]
            assert summary['n'] == 3
            assert summary['median'] > 0 and summary['min'] > 0 and summary['iqr'] >= 0
            assert summary['images_per_s'] > 0
    for metric in ('wall', 'cpu'):
        assert result['overhead'][metric]['ratio'] > 0


@pytest.mark.parametrize('args, message', [
    (['--repeat', '0'], 'repeat >= 1'),
    (['--threads', '0'], 'threads must be >= 1'),
    (['missing.pth', '--repeat', '1'], 'checkpoint file not found'),
])
def test_benchmark_tool_errors(monkeypatch, capsys, args, message):
    monkeypatch.setattr(sys, 'argv', ['benchmark.py', str(CONFIG), *args, '--shape', '32',
                                      '32', '--warmup', '0'])
    assert _tool_module().main() == 2
    assert message in capsys.readouterr().err
