"""tools/analysis_tools/dgr_study.py end to end: the CI's 2-iteration smoke version of the study
(2 variants x 2 seeds on a tiny generated tree, one process per run)."""
import csv
import sys

import pytest

from mmdepth_dgr.evaluation.functional import BOUNDARY_METRICS
from mmdepth_dgr.testing import as_cli_options, dataloader_options, run_in_repo, torchrun_env

pytestmark = pytest.mark.slow


def test_study_smoke_run_writes_tables_plot_and_reuses_runs(tmp_path, nyu_train_root):
    work = tmp_path / 'study'
    options = [*as_cli_options(dataloader_options(nyu_train_root)),
               'train_dataloader.batch_size=2']
    cmd = [sys.executable, 'tools/analysis_tools/dgr_study.py', '--work-dir', str(work),
           '--seeds', '0', '1', '--iters', '2', '--nproc', '1', '--variants', '+DGR (neck)',
           '--n-boot', '200', '--cfg-options', *options]
    proc = run_in_repo(cmd, env=torchrun_env())
    assert proc.stdout.count('trained 2 iterations') == 4
    table = (work / 'table.md').read_text()
    assert '| +DGR (neck) vs baseline |' in table and '| baseline |' in table
    assert (work / 'differences.png').read_bytes()[:4] == b'\x89PNG'
    with open(work / 'comparisons.csv') as f:
        rows = list(csv.DictReader(f))
    assert {r['metric'] for r in rows} >= set(BOUNDARY_METRICS) | {'abs_rel', 'rmse'}
    with open(work / 'dgr-neck' / 'seed1' / 'test' / 'pred' / 'per_image_metrics.csv') as f:
        per_image = list(csv.DictReader(f))
    assert len(per_image) == 4 and all(r['boundary_f1'] != '' for r in per_image)
    # a second call reuses the four runs: nothing is trained or tested again
    again = run_in_repo(cmd, env=torchrun_env())
    assert 'trained' not in again.stdout and 'tested' not in again.stdout
    assert (work / 'table.md').read_text() == table
