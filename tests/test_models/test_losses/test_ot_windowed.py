"""Windowed kernel passes of the spatial OTDL solver: equal to the full sums where the terms are
concave, flagged rows where they are not, and a solver whose result meets the same stopping rule."""
import math

import pytest
import torch

from mmdepth_dgr.analysis.benchmark_otdl import synthetic_depth_pair
from mmdepth_dgr.analysis.otdl_peers import otdl_grid_masses
from mmdepth_dgr.models.losses import OTDLLoss
from mmdepth_dgr.models.losses import ot_functional as otf
from mmdepth_dgr.models.losses.ot_windowed import window_blocks, windowed_logconv_1d

pytestmark = pytest.mark.usefixtures('single_thread')


def _concave_rows(rows, n, e, dtype, seed=0):
    """Concave parabolas (random peak, curvature up to 1 / e) plus log-mass noise and holes,
    the shape of Sinkhorn's terms along a row; two rows without any mass."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.arange(n, dtype=dtype)
    peak = torch.rand(rows, 1, generator=gen, dtype=dtype) * n
    curv = torch.rand(rows, 1, generator=gen, dtype=dtype) * 2 / e
    h = -(x - peak)**2 * curv + 0.5 * torch.randn(rows, n, generator=gen, dtype=dtype)
    h[torch.rand(rows, n, generator=gen) < 0.1] = -math.inf
    h[:2] = -math.inf
    return h


def _rel_err(out, ref):
    finite = torch.isfinite(ref)
    assert torch.equal(finite, torch.isfinite(out))
    return float(((out - ref).abs()[finite] / ref.abs()[finite].clamp_min(1)).max())


@pytest.mark.parametrize('dtype,rtol', [(torch.float32, 1e-6), (torch.float64, 1e-12)])
@pytest.mark.parametrize('n,e', [(256, 2.0), (200, 0.5), (256, 8.0)])
def test_windowed_pass_equals_full_sums_on_concave_terms(dtype, rtol, n, e):
    h = _concave_rows(64, n, e, dtype)
    out, bad = windowed_logconv_1d(h, e)
    assert out.dtype == dtype and bad.numel() == 0  # no row needed the full sums
    assert _rel_err(out, otf.gaussian_logconv_1d(h.double(), e)) < rtol
    assert torch.isneginf(out[:2]).all()  # a row without mass stays without mass


def test_window_too_wide_returns_none():
    e = 50.0
    k = window_blocks(e, torch.float32)
    assert k >= 2 * math.sqrt(30 * e) / 8  # the support of the terms within T nats
    assert windowed_logconv_1d(torch.zeros(3, 8 * k), e) is None
    assert windowed_logconv_1d(torch.zeros(3, 8 * (k + 1)), e) is not None
    with pytest.raises(ValueError, match=r'\(L, n\)'):
        windowed_logconv_1d(torch.zeros(2, 3, 64), 2.0)


def test_rough_rows_are_flagged_and_recomputed():
    """Rows far from concave (noise of 1000 nats): the largest terms seen from the two ends of an
    output block are blocks apart, the rows are flagged and the 2-D pass recomputes them."""
    n, e = 256, 2.0
    gen = torch.Generator().manual_seed(1)
    h = 1000 * torch.randn(4, n, generator=gen, dtype=torch.float64)
    h[1] = -0.5 * (torch.arange(n, dtype=torch.float64) - 120)**2  # one concave row
    out, bad = windowed_logconv_1d(h, e)
    assert sorted(bad.tolist()) == [0, 2, 3]
    assert _rel_err(out[1:2], otf.gaussian_logconv_1d(h[1:2], e)) < 1e-12
    grid = h[:, None, :].expand(4, 3, n).contiguous()  # (B, H, W): the rows along W
    assert _rel_err(otf.narrow_logconv_2d(grid, e), otf.gaussian_logconv_2d(grid, e)) < 1e-12


def test_a_far_second_mode_is_the_limit_of_the_window():
    """Terms with two separated maxima of nearly equal height (not Sinkhorn's shape: its terms
    are concave up to the log-mass): each output block keeps one of them and nothing flags
    the row. This is why the solver confirms its stopping rule with the full sums."""
    n, e = 256, 2.0
    x = torch.arange(n, dtype=torch.float64)
    h = torch.maximum(-0.5 * (x - 40)**2, -0.5 * (x - 200)**2 + 3.0)[None]
    out, bad = windowed_logconv_1d(h, e)
    ref = otf.gaussian_logconv_1d(h, e)
    assert bad.numel() == 0
    assert 0 < float((ref - out).max()) < math.log(2)  # a missing mode, at most its half


def test_windowed_pays_only_for_narrow_kernels():
    assert otf.windowed_pays((512, 512), 2.0, torch.float32)  # one-pixel blur
    eps = 0.05**2  # OTDL's default blur: the blocked full pass is efficient
    assert not otf.windowed_pays((416, 544), otf.grid_kernel_width(eps, 416, 544),
                                 torch.float32)
    assert not otf.windowed_pays((16, 16), 2.0, torch.float32)  # window as long as the axis
    with pytest.raises(ValueError, match='unweighted'):
        otf.narrow_logconv_2d(torch.zeros(1, 4, 4), 2.0, 'row')


@pytest.fixture(scope='module')
def one_pixel_pair():
    """Masses of a depth pair at 96x96 with the benchmark's blur of one pixel."""
    pred, target = synthetic_depth_pair(1, 96, 96, seed=3)
    a, b = otdl_grid_masses(pred, target)
    return a, b, 2.0 / 96**2


def test_solver_same_result_with_and_without_windows(one_pixel_pair):
    a, b, eps = one_pixel_pair
    log_a, log_b = otf._log_weights(a), otf._log_weights(b)
    info_w, info_f = {}, {}
    fw, gw, itw = otf.sinkhorn_potentials(log_a, log_b, eps, 60, 1e-3, info=info_w)
    ff, gf, itf = otf.sinkhorn_potentials(log_a, log_b, eps, 60, 1e-3, windowed=False,
                                          info=info_f)
    assert info_w['windowed'] and not info_f['windowed']
    assert itw == itf == info_w['iterations'] == 60  # the cap, at this blur
    assert info_w['marginal_error'] == pytest.approx(info_f['marginal_error'], rel=1e-3)
    dual_w = float((a * fw).sum() + (b * gw).sum())
    dual_f = float((a * ff).sum() + (b * gf).sum())
    assert dual_w == pytest.approx(dual_f, rel=1e-5)
    loss = OTDLLoss(mode='spatial', blur=math.sqrt(eps), max_iter=60)
    assert loss.solver_info == {}
    pred, target = synthetic_depth_pair(1, 96, 96, seed=3)
    loss(pred, target)
    assert set(loss.solver_info) == {'cross', 'a', 'b'}
    assert loss.solver_info['cross']['iterations'] == 60
    assert loss.solver_info['a']['iterations'] < 20  # the symmetric problems converge fast


def test_stopping_rule_is_confirmed_with_full_sums(one_pixel_pair, monkeypatch):
    """A windowed pass that is off by 0.05 nats makes the iterations stop early by its own
    measure; the solver must notice with the full sums and go on until they agree."""
    a, b, eps = one_pixel_pair
    log_a, log_b = otf._log_weights(a), otf._log_weights(b)
    exact = otf.gaussian_logconv_2d
    monkeypatch.setattr(otf, 'narrow_logconv_2d',
                        lambda h, e, weighted=None, chunk_elems=0: exact(h, e) + 0.05)
    tol = 3e-2
    info = {}
    f, g, it = otf.sinkhorn_potentials(log_a, log_b, eps, 400, tol, info=info)
    tf = -eps * exact(log_b + g / eps, otf.grid_kernel_width(eps, 96, 96))
    err = float((a * (1 - torch.exp((f - tf) / eps)).abs()).sum())
    assert it < 400 and info['marginal_error'] < tol
    assert err < tol  # the returned plan meets the rule with the full sums
    monkeypatch.setattr(otf, 'narrow_logconv_2d',
                        lambda h, e, weighted=None, chunk_elems=0: exact(h, e))
    f0, g0, it0 = otf.sinkhorn_potentials(log_a, log_b, eps, 400, tol)
    assert it > it0  # the faulty windows cost iterations, not accuracy
