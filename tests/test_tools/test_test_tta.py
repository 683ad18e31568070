"""``--tta`` end to end on generated NYU frames with a random checkpoint: this project's
tools/test.py (flip averaging changes the metrics) and mmseg's own ``tools/test.py --tta``
(the same metrics)."""
import json
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import mmseg
import pytest
import torch

from mmdepth_dgr.testing import (
    TOOL_TEST_CONFIGS,
    as_cli_options,
    build_depth_model,
    dataloader_options,
    run_in_repo,
)

CONFIG = TOOL_TEST_CONFIGS['nyu']
MMSEG_TEST = Path(mmseg.__file__).parent / '.mim' / 'tools' / 'test.py'
pytestmark = pytest.mark.slow


def _options(data_root) -> list:
    return ['--cfg-options', *as_cli_options(dataloader_options(data_root, splits=('test', )))]


def _our_test(tmp, checkpoint, data_root, *extra) -> dict:
    """Metrics of ``tools/test.py CONFIG CHECKPOINT *extra`` (via ``--metrics-out``)."""
    out = tmp / f'metrics{"_tta" if "--tta" in extra else ""}.json'
    run_in_repo([sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir', tmp / 'work',
                 '--metrics-out', out, *extra, *_options(data_root)])
    return json.loads(out.read_text())


@pytest.fixture(scope='module')
def runs(tmp_path_factory, nyu_eval_root) -> SimpleNamespace:
    """A random checkpoint (its depth conv scaled up, so that the depth varies across the
    image and is far from flip-symmetric) and this project's plain and ``--tta`` metrics."""
    tmp = tmp_path_factory.mktemp('test_tta')
    torch.manual_seed(0)
    state = build_depth_model(CONFIG).state_dict()
    state['decode_head.conv_depth.weight'] *= 10
    checkpoint = tmp / 'random.pth'
    torch.save({'state_dict': state}, checkpoint)
    return SimpleNamespace(tmp=tmp, checkpoint=checkpoint, data_root=nyu_eval_root,
                           plain=_our_test(tmp, checkpoint, nyu_eval_root),
                           tta=_our_test(tmp, checkpoint, nyu_eval_root, '--tta'))


def test_tools_test_tta_averages_with_the_flip(runs):
    assert {'abs_rel', 'rmse', 'd1', 'silog'} <= set(runs.plain)
    assert set(runs.tta) == set(runs.plain)
    assert all(math.isfinite(v) for v in runs.tta.values())
    assert max(abs(runs.tta[k] - runs.plain[k]) for k in runs.plain) > 1e-4


def test_mmseg_tools_test_tta_gives_the_same_metrics(runs):
    """mmseg 1.2.2's tools/test.py --tta (run outside the checkout) on the same checkpoint."""
    work = runs.tmp / 'mmseg_work'
    run_in_repo([sys.executable, MMSEG_TEST, CONFIG, runs.checkpoint, '--tta', '--work-dir', work,
                 *_options(runs.data_root)], cwd=runs.tmp)
    logs = sorted(work.glob('*/*.json'))  # mmengine's metrics log of the test run
    assert len(logs) == 1
    theirs = json.loads(logs[0].read_text())
    for key, value in runs.tta.items():
        assert theirs[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


def test_tools_test_tta_names_the_config_without_tta_entries(tmp_path, runs):
    config = tmp_path / 'no_tta.py'
    config.write_text(f'_base_ = [{str(CONFIG)!r}]\ntta_pipeline = None\n')
    proc = run_in_repo([sys.executable, 'tools/test.py', config, runs.checkpoint, '--tta',
                        '--work-dir', tmp_path / 'work'], check=False)
    assert proc.returncode != 0
    assert f'--tta needs tta_pipeline in {config}' in proc.stderr
