"""tools/analysis_tools/probe_validation.py: the table of both planted networks, and a failing
exit status when the probe is stopped before it can find the supports (3 iterations)."""
import sys

from mmdepth_dgr.testing import REPO_ROOT, run_in_repo

TOOL = REPO_ROOT / 'tools' / 'analysis_tools' / 'probe_validation.py'


def test_probe_validation_tool_prints_the_table_and_fails_when_not_trained(tmp_path):
    out = tmp_path / 'table.md'
    proc = run_in_repo([sys.executable, TOOL, '--iters', '3', '--batch-size', '1', '--size',
                        '32', '48', '--threads', '1', '--out', out],
                       env=dict(OMP_NUM_THREADS='1'), timeout=600, check=False)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-3000:]
    table = out.read_text(encoding='utf-8')
    assert table in proc.stdout
    lines = table.strip().splitlines()
    assert lines[0].startswith('| planted network | support area | removal gap | lambda | IoU')
    assert [line.split(' | ')[0] for line in lines[2:]] == ['| region', '| edges']
    # after 3 iterations G still keeps (almost) every pixel: sparsity far above both areas
    assert 'FAILED: region: ' in proc.stdout and 'edges: sparsity' in proc.stdout
