"""tools/dataset_converters/make_synthetic.py: writes NYU / KITTI trees, rejects bad arguments."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mmdepth_dgr.testing import REPO_ROOT, run_in_repo

CLI = REPO_ROOT / 'tools' / 'dataset_converters' / 'make_synthetic.py'


def _run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run the CLI with the repository on PYTHONPATH."""
    return run_in_repo([sys.executable, CLI, *args], cwd=cwd, timeout=None, check=False)


def _read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


@pytest.mark.parametrize('dataset, size, split', [
    ('nyu', ('32', '48'), 'nyu_test.txt'),
    ('kitti', ('24', '80'), 'kitti_eigen_test.txt'),
])
def test_cli(tmp_path, dataset, size, split):
    out = tmp_path / dataset
    proc = _run_cli([dataset, '--out', str(out), '--num-train', '3', '--num-test', '2',
                     '--height', size[0], '--width', size[1], '--seed', '0'], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r'wrote 5 frames in [\d.]+ s \(\d+ frames/min\)', proc.stdout)
    assert str(out / 'splits' / split) in proc.stdout
    assert '100%' in proc.stdout
    assert len(_read_lines(out / 'splits' / split)) == 2


def test_cli_rejects_bad_argument(tmp_path):
    proc = _run_cli(['nyu', '--out', str(tmp_path / 'x'), '--height', '4'], tmp_path)
    assert proc.returncode != 0
    assert 'height' in proc.stderr
