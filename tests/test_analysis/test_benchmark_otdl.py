"""The OTDL benchmark library (tiny sizes): rows, verdicts and tables, peak memory."""
import pytest
import torch

from mmdepth_dgr.analysis.benchmark_otdl import (
    bench_depth_vs_emd,
    bench_full_resolution,
    bench_spatial_vs_sinkhorn,
    bench_training_step_share,
    format_otdl_benchmark,
    peak_memory,
    synthetic_depth_pair,
)
from mmdepth_dgr.models.losses import OTDLLoss
from mmdepth_dgr.models.losses.ot_functional import sinkhorn_potentials

pytestmark = pytest.mark.usefixtures('single_thread')  # as in the OTDL loss tests


def test_benchmark_library_smoke():
    emd = bench_depth_vs_emd(size=8, repeats=1, device='cpu')
    assert emd['rel_diff'] < 1e-5 and emd['speedup'] > 0
    emd_passed = bool(emd['speedup'] >= 100 and emd['rel_diff'] <= 1e-5)  # the goal
    assert emd['passed'] is emd_passed
    sk = bench_spatial_vs_sinkhorn(size=8, repeats=1, device='cpu', blur=0.2, max_iter=300,
                                   tol=1e-7)
    assert sk['rel_diff'] < 0.02
    sk_passed = bool(sk['speedup'] >= 10 and sk['rel_diff'] <= 0.02)
    assert sk['passed'] is sk_passed
    full = bench_full_resolution(1, 12, 16, repeats=1, device='cpu')
    assert [r['name'].split()[0] for r in full] == ['depth', 'spatial']
    assert all(r['peak_mib'] > 0 for r in full)
    # the Sinkhorn iterations of the cross problem, solved again on the same maps
    pred, target = synthetic_depth_pair(1, 12, 16)
    valid = target[:, 0] > 0
    log_a, log_b = ((m / m.sum()).log() for m in (pred[:, 0] * valid, target[:, 0] * valid))
    spatial = OTDLLoss(mode='spatial')
    assert full[1]['iterations'] == sinkhorn_potentials(log_a, log_b, spatial.blur**2,
                                                        spatial.max_iter, spatial.tol)[2]
    step = bench_training_step_share(height=64, width=64, batch=1, repeats=1, device='cpu',
                                     modes=('depth', ))
    assert 0 < step[0]['share'] < 1
    step_passed = bool(step[0]['share'] <= 0.05)
    assert step[0]['passed'] is step_passed
    table = format_otdl_benchmark(dict(device='cpu', threads=1, comparisons=[emd, sk],
                                       full_resolution=full, step_share=step))
    rows = [line for line in table.splitlines() if line.startswith('| ')]
    assert len(rows) == 3 + 2 + 2 + 1  # a header per table, 2 comparisons, 2 modes, 1 share
    for row, passed in ((emd, emd_passed), (sk, sk_passed), (step[0], step_passed)):
        assert f"| {row['goal']} | {'PASS' if passed else 'FAIL'} |" in table
    assert 'Device: cpu' in table


def test_peak_memory_counts_tensor_allocations():
    peak, how = peak_memory(lambda: torch.ones(1024, 1024).sum(), 'cpu')  # 4 MiB
    assert 3.9 < peak < 8 and 'profiler' in how
