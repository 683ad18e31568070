"""Instruction counts under callgrind: the output parser, the k/2k difference on a pure-Python
workload really run under valgrind, the missing-valgrind error, the workload registry (each
workload built and run once in-process at a tiny shape), and the step-share judgement."""

import pytest

from mmdepth_dgr.analysis import instruction_count as ic
from mmdepth_dgr.analysis.step_share import judge_share
from mmdepth_dgr.analysis.timing_stats import Interval, interval_dict, resolves

CALLGRIND_OUT = """# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 8419
cmd:  python -c pass
part: 1

positions: line
events: Ir Dr
summary: 5786900387 120

ob=(1) /usr/lib/libc.so.6
fn=(1) main
0 12 3

totals: 5786900387 120
"""

def test_parse_callgrind_total():
    assert ic.parse_callgrind_total(CALLGRIND_OUT) == 5786900387
    assert ic.parse_callgrind_total(CALLGRIND_OUT, 'Dr') == 120
    no_summary = CALLGRIND_OUT.replace('summary: 5786900387 120\n', '')
    assert ic.parse_callgrind_total(no_summary.replace('totals: 5786900387', 'totals: 7')) == 7
    with pytest.raises(ic.InstructionCountError, match="not 'Bc'"):
        ic.parse_callgrind_total(CALLGRIND_OUT, 'Bc')
    with pytest.raises(ic.InstructionCountError, match='no `summary:` or `totals:`'):
        ic.parse_callgrind_total('events: Ir\n')
    with pytest.raises(ic.InstructionCountError, match='no `events:`'):
        ic.parse_callgrind_total('summary: 3\n')


def test_read_callgrind_total(tmp_path):
    path = tmp_path / 'callgrind.out'
    path.write_text(CALLGRIND_OUT.replace('summary: 5786900387 120\n', ''))
    assert ic.read_callgrind_total(path) == 5786900387  # totals: at the end of the file
    with pytest.raises(ic.InstructionCountError, match='no output file'):
        ic.read_callgrind_total(tmp_path / 'missing.out')


def test_missing_valgrind_is_named(monkeypatch):
    monkeypatch.setattr(ic.shutil, 'which', lambda name: None)
    with pytest.raises(ic.InstructionCountError,
                       match=r"'valgrind' was not found on PATH.*apt-get install valgrind"):
        ic.count_instructions(ic.Workload('pyloop', '10'))


def test_failing_child_reports_stderr():
    with pytest.raises(ic.InstructionCountError,
                       match=r'(?s)status 1.*stderr.*pyloop: variant must be the loop'):
        ic.callgrind_total(ic.Workload('pyloop', 'many'), 1)


def test_k_2k_difference_under_valgrind():
    small, big = (ic.Workload('pyloop', str(n)) for n in (20000, 40000))
    counts = ic.count_many([small, big], reps=1, runs=1, jobs=2)
    per_rep = [c.per_rep for c in counts]
    # a loop step is tens of instructions; startup (tens of millions) cancels in the difference
    assert 20 * 20000 < per_rep[0] < 2000 * 20000
    assert 1.8 < per_rep[1] / per_rep[0] < 2.2
    assert all(c.totals_2k[0] > c.totals_k[0] > 1e6 for c in counts)
    assert ic.count_ratio(counts[1], counts[0]) == per_rep[1] / per_rep[0]
    # counting everything (setup included) gives the same difference: setup cancels, and
    # the counts repeat up to a few parts per million (fixed hash seed, one thread)
    again = ic.count_instructions(small, reps=1, runs=1, skip_setup=False)
    assert abs(again.per_rep - per_rep[0]) / per_rep[0] < 1e-3
    assert again.totals_k[0] > counts[0].totals_k[0]  # ... but the totals include the setup
    assert counts[0].as_dict()['label'] == 'pyloop[20000] 1x416x544'


def test_child_command_and_env(tmp_path):
    w = ic.Workload('dgr_step', 'neck', (32, 48), params=dict(rank=4))
    cmd = ic.child_command(w, 3, tmp_path / 'out', 'valgrind', 'python')
    assert cmd[:3] == ['valgrind', '--tool=callgrind', f'--callgrind-out-file={tmp_path}/out']
    assert cmd[-2:] == ['--reps', '3']
    args = ic.parse_args(cmd[5:])
    assert (args.workload, args.variant, args.shape, args.params) == \
        ('dgr_step', 'neck', [32, 48], '{"rank": 4}')
    env = ic.child_env()
    assert env['OMP_NUM_THREADS'] == '1' and env['PYTHONHASHSEED'] == '0'


@pytest.mark.parametrize('name,variant', [('dgr_step', 'none'), ('dgr_step', 'neck'),
                                          ('dgr_step', 'backbone'), ('otdl_step', 'depth'),
                                          ('otdl_step', 'spatial'), ('otdl_loss', 'depth'),
                                          ('otdl_loss', 'spatial'), ('pyloop', '100')])
def test_registry_builds_and_runs(name, variant):
    import torch
    threads = torch.get_num_threads()
    try:
        ic.run_workload(ic.Workload(name, variant, (64, 64)), 1)
    finally:
        torch.set_num_threads(threads)


def test_registry_errors():
    with pytest.raises(KeyError, match="unknown workload 'nope'"):
        ic.build_workload(ic.Workload('nope'))
    with pytest.raises(ValueError, match="dgr_step: variant must be one of"):
        ic.build_workload(ic.Workload('dgr_step', 'head', (64, 64)))
    with pytest.raises(ValueError, match="otdl_loss: variant must be 'depth' or 'spatial'"):
        ic.build_workload(ic.Workload('otdl_loss', 'pixel', (64, 64)))
    with pytest.raises(FileNotFoundError, match='config file not found: .*missing.py'):
        ic.build_workload(ic.Workload('otdl_step', 'depth', (64, 64), config='missing.py'))


def test_resolution_and_share_judgement():
    tight, wide = Interval(0.05, 0.045, 0.055, 10), Interval(0.05, 0.01, 0.09, 10)
    assert resolves(tight) and not resolves(wide)
    assert resolves(wide, resolution=0.05)
    counts = dict(share=0.02)
    assert judge_share(interval_dict(tight), counts, 0.03) == dict(
        share=0.05, method='cpu time', limit=0.03, passed=False)
    assert judge_share(interval_dict(wide), counts, 0.03) == dict(
        share=0.02, method='instructions', limit=0.03, passed=True)
    assert judge_share(interval_dict(wide), None, 0.10)['method'] == 'cpu time (unresolved)'


def test_otdl_step_share_rows(monkeypatch):
    from mmdepth_dgr.analysis import step_share
    from mmdepth_dgr.testing import REPO_ROOT
    per_rep = {('otdl_step', 'depth'): 1000, ('otdl_loss', 'depth'): 20,
               ('otdl_step', 'spatial'): 1000, ('otdl_loss', 'spatial'): 150}

    def fake(workloads, reps=1, runs=1, **kwargs):
        return [ic.InstructionCount(w, reps, [10] * runs, [10 + per_rep[(w.name, w.variant)]]
                                    * runs, [0.0] * (2 * runs)) for w in workloads]

    monkeypatch.setattr(step_share, 'count_many', fake)
    cfg = str(REPO_ROOT / 'configs/multiscale_depth'
              / 'multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py')
    rows = step_share.otdl_step_share(cfg, shape=(64, 64), rounds=2, warmup=0,
                                      count_instructions=True, count_shape=(16, 16))
    assert [r['mode'] for r in rows] == ['depth', 'spatial']
    assert [r['instructions']['share'] for r in rows] == [0.02, 0.15]
    assert all(r['share_cpu']['n'] == 2 and r['step_cpu']['median'] > 0 for r in rows)
    for r in rows:
        assert r['method'] in ('cpu time', 'instructions')
        expected = r['share_cpu']['median'] if r['method'] == 'cpu time' else \
            r['instructions']['share']
        assert r['share'] == expected and r['passed'] == (expected <= r['limit'])
    assert '| spatial |' in step_share.format_step_share(rows)
