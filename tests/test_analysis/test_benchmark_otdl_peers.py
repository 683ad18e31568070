"""The OTDL peer table (tiny sizes) and the timing statistics behind it."""
import pytest

from mmdepth_dgr.analysis.benchmark_otdl import format_peer_table, run_peer_benchmark
from mmdepth_dgr.analysis.timing_stats import (
    median_interval,
    paired_ratio_interval,
    relative_difference,
)

pytestmark = pytest.mark.usefixtures('single_thread')


def test_median_interval_and_paired_ratio():
    iv = median_interval([3.0, 1.0, 2.0, 5.0, 4.0])
    assert iv.median == 3.0 and 1.0 <= iv.low <= 3.0 <= iv.high <= 5.0 and iv.n == 5
    assert median_interval([2.0]) == (2.0, 2.0, 2.0, 1)
    assert median_interval([1.0, 2.0, 3.0], seed=1) == median_interval([1.0, 2.0, 3.0], seed=1)
    ratio = paired_ratio_interval([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    assert ratio.median == ratio.low == ratio.high == 2.0  # paired: the load cancels
    assert '2x [2, 2]' in ratio.fmt('x') and 'ms' in median_interval([0.01]).fmt()
    with pytest.raises(ValueError, match='same rounds'):
        paired_ratio_interval([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match='finite'):
        median_interval([])
    assert relative_difference(1.1, 1.0) == pytest.approx(0.1)
    assert relative_difference(0.0, 0.0) == 0.0


def test_peer_benchmark_tiny():
    pytest.importorskip('geomloss')
    pytest.importorskip('pykeops')
    result = run_peer_benchmark(spatial_shapes=[(1, 8)], scalings=[0.5, 0.9],
                                depth_shapes=[(1, 8, 10)], alone_shapes=[(1, 8, 10)],
                                repeats=2, warmup=1, device='cpu')
    rows = result['peers']
    # 2 passes x 2 scalings, 2 passes x (POT, sort), 1 alone
    assert len(rows) == 4 + 4 + 1
    geom = [r for r in rows if r['peer'] == 'GeomLoss']
    assert [r['passed'] is None for r in geom] == [True, True, False, False]  # goal: fwd+bwd
    assert all(r['reference'] is not None and r['rel_diff'] >= 0 for r in geom)
    pot = [r for r in rows if r['peer'] == 'POT']
    assert all(r['rel_diff'] < 1e-6 for r in pot)
    assert all(r['ratio'].n == 2 for r in rows if 'ratio' in r)
    table = format_peer_table(rows, 'cpu', 1)
    lines = [line for line in table.splitlines() if line.startswith('| ')]
    assert len(lines) == 1 + len(rows)
    assert 'bootstrap' in table and '| 1x8x8 | fwd+bwd |' in table
