"""tools/analysis_tools/analyze_logs.py on the scalars.json of a real (tiny) training run, and
its errors for bad logs and keys."""
import json
import runpy
import sys

import cv2
import pytest

from mmdepth_dgr.analysis.log_analysis import load_scalars
from mmdepth_dgr.testing import REPO_ROOT, TOOL_TEST_CONFIGS, run_in_repo, tool_train_options

TOOL = 'tools/analysis_tools/analyze_logs.py'
pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def trained_log(tmp_path_factory, nyu_train_root):
    """scalars.json of 4 training iterations (a line each), validated at 2 and 4."""
    work = tmp_path_factory.mktemp('analyze_logs') / 'work'
    run_in_repo([sys.executable, 'tools/train.py', str(TOOL_TEST_CONFIGS['nyu']),
                 '--work-dir', str(work), *tool_train_options(nyu_train_root, 4),
                 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=4'])
    (log, ) = work.glob('*/vis_data/scalars.json')
    return log


def test_real_log_parses_to_its_json_values(trained_log):
    records = [json.loads(line) for line in trained_log.read_text().splitlines()]
    scalars = load_scalars(trained_log)
    train = [r for r in records if 'iter' in r]
    val = [r for r in records if 'iter' not in r]
    assert [r['step'] for r in train] == [1, 2, 3, 4] and [r['step'] for r in val] == [2, 4]
    assert scalars['loss'] == [(r['step'], r['loss']) for r in train]
    assert scalars['lr'] == [(r['step'], r['lr']) for r in train]
    for key in ('abs_rel', 'rmse', 'd1'):
        assert scalars[key] == [(r['step'], r[key]) for r in val]
    assert scalars['val/time'] == [(r['step'], r['time']) for r in val]


def test_cli_plots_several_logs(trained_log, tmp_path):
    out = tmp_path / 'plots' / 'curves.png'
    proc = run_in_repo([sys.executable, TOOL, str(trained_log), str(trained_log.parents[2]),
                        '--keys', 'loss', 'abs_rel', '--legend', 'a_loss', 'a_abs_rel',
                        'b_loss', 'b_abs_rel', '--title', 'tiny run', '--out', str(out)])
    assert f'saved curves of loss, abs_rel to {out}' in proc.stdout
    image = cv2.imread(str(out))
    assert image is not None and image.shape == (600, 800, 3)


def _run_tool(argv: list, capsys, monkeypatch) -> tuple:
    """Run the tool's script in this process (faster than a subprocess per error case).

    Returns:
        tuple: Exit code (0 without SystemExit), stdout, stderr.
    """
    monkeypatch.setattr(sys, 'argv', [TOOL, *map(str, argv)])
    code = 0
    try:
        runpy.run_path(str(REPO_ROOT / TOOL), run_name='__main__')
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_errors_name_the_key_and_the_file(trained_log, tmp_path, capsys, monkeypatch):
    out = tmp_path / 'c.png'
    code, _, err = _run_tool([trained_log, '--keys', 'absrel', '--out', out], capsys,
                             monkeypatch)
    assert code == 2
    assert f"key 'absrel' is not in {trained_log}; available keys: abs_rel," in err
    assert 'loss' in err.split('available keys:')[1]
    missing = tmp_path / 'nope' / 'scalars.json'
    code, _, err = _run_tool([missing, '--out', out], capsys, monkeypatch)
    assert code == 2 and f'log file not found: {missing}' in err
    empty = tmp_path / 'empty.json'
    empty.write_text('')
    code, _, err = _run_tool([empty, '--out', out], capsys, monkeypatch)
    assert code == 2 and f'{empty}: empty log' in err
    corrupt = tmp_path / 'corrupt.json'
    corrupt.write_text(trained_log.read_text()[:-20])  # cut in the last line
    code, _, err = _run_tool([corrupt, '--out', out], capsys, monkeypatch)
    lines = len(trained_log.read_text().splitlines())
    assert code == 2 and f'{corrupt}:{lines}: not a JSON line' in err
    code, _, err = _run_tool([trained_log, '--keys', 'loss', '--legend', 'a', 'b', '--out', out],
                             capsys, monkeypatch)
    assert code == 2 and '1 log(s) x 1 key(s) = 1, got 2' in err
    assert not out.exists()
    code, stdout, _ = _run_tool([trained_log, '--keys', 'lr', '--out', out], capsys,
                                monkeypatch)
    assert code == 0 and f'saved curves of lr to {out}' in stdout and out.is_file()
