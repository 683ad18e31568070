"""Coarse-to-fine warm start of the spatial OTDL solver: pooling, interpolation, when it is
used, and a result that meets the same criterion with fewer iterations on the fine grid."""
import math

import pytest
import torch

from mmdepth_dgr.analysis.benchmark_otdl import synthetic_depth_pair
from mmdepth_dgr.analysis.otdl_peers import otdl_grid_masses
from mmdepth_dgr.models.losses import ot_functional as otf
from mmdepth_dgr.models.losses.ot_multiscale import (
    MIN_BLUR_PIXELS,
    coarse_level_allowed,
    pool_log_weights,
    upsample_potential,
)

pytestmark = pytest.mark.usefixtures('single_thread')


def test_pooling_keeps_the_masses_and_the_length_scale():
    gen = torch.Generator().manual_seed(0)
    w = torch.rand(2, 5, 7, generator=gen, dtype=torch.float64)
    w[0, :2, :2] = 0  # a coarse pixel without mass
    pooled, rho = pool_log_weights(otf._log_weights(w))
    assert pooled.shape == (2, 3, 4)
    assert rho == pytest.approx(2 * 4 / 7)
    torch.testing.assert_close(pooled.exp().sum((1, 2)), w.sum((1, 2)))
    assert torch.isneginf(pooled[0, 0, 0]) and torch.isfinite(pooled[1]).all()
    assert pooled[1, 2, 3].exp() == pytest.approx(float(w[1, 4, 6]))  # padded corner
    assert pool_log_weights(torch.zeros(1, 8, 8))[1] == 1.0


def test_upsampled_potential_is_in_fine_units_at_the_fine_centres():
    # a potential linear in the coarse grid's units: bilinear interpolation is exact inside
    hc, wc, rho = 6, 8, 1.25
    r, c = torch.meshgrid(torch.arange(hc, dtype=torch.float64),
                          torch.arange(wc, dtype=torch.float64), indexing='ij')
    coarse = (0.3 * r - 0.2 * c)[None]
    fine = upsample_potential(coarse, (11, 16), rho)
    assert fine.shape == (1, 11, 16)
    fr, fc = torch.meshgrid(torch.arange(11, dtype=torch.float64),
                            torch.arange(16, dtype=torch.float64), indexing='ij')
    # fine pixel i sits at coarse coordinate (i + 0.5) / 2 - 0.5
    expect = rho**2 * (0.3 * ((fr + 0.5) / 2 - 0.5) - 0.2 * ((fc + 0.5) / 2 - 0.5))
    torch.testing.assert_close(fine[0, 1:-1, 1:-1], expect[1:-1, 1:-1])


def test_coarse_level_only_when_the_blur_spans_coarse_pixels():
    side = 64
    blur_px = 2 * MIN_BLUR_PIXELS  # just enough for one coarse level
    assert coarse_level_allowed((side, side), (blur_px / side)**2)
    assert not coarse_level_allowed((side, side), (0.99 * blur_px / side)**2)
    assert not coarse_level_allowed((14, 64), 0.5**2)  # the coarse grid would be 7 high
    assert not coarse_level_allowed((512, 512), 2.0 / 512**2)  # one-pixel blur


@pytest.fixture(scope='module')
def default_blur_pair():
    """Masses of a depth pair at 104x136 with OTDL's default blur 0.05 (6.8 pixels)."""
    pred, target = synthetic_depth_pair(1, 104, 136, seed=5)
    a, b = otdl_grid_masses(pred.double(), target.double())
    return a, b


def _divergence(a, b, tol, **kw):
    la, lb = otf._log_weights(a), otf._log_weights(b)
    info = {}
    parts = [otf.sinkhorn_potentials(la, lb, 0.05**2, 3000, tol, info=info, **kw),
             otf.sinkhorn_potentials(la, la, 0.05**2, 3000, tol, **kw),
             otf.sinkhorn_potentials(lb, lb, 0.05**2, 3000, tol, **kw)]
    value = (otf.entropic_ot_dual(a, b, *parts[0][:2]) -
             0.5 * otf.entropic_ot_dual(a, a, *parts[1][:2]) -
             0.5 * otf.entropic_ot_dual(b, b, *parts[2][:2]))
    return float(value), info


def test_warm_start_same_criterion_fewer_fine_iterations(default_blur_pair):
    a, b = default_blur_pair
    converged, _ = _divergence(a, b, 1e-9, multiscale=False)
    cold, cold_info = _divergence(a, b, 1e-3, multiscale=False)
    warm, warm_info = _divergence(a, b, 1e-3)
    assert 'coarse' not in cold_info and 'coarse' in warm_info
    assert 'coarse' not in warm_info['coarse']  # 6.8 px: one level (3.4 px there)
    assert warm_info['marginal_error'] < 1e-3 * otf.WARM_TOL_FACTOR
    assert warm_info['iterations'] < cold_info['iterations'] / 2
    # both meet the tolerance; the warm start is at least as close to the converged value
    assert abs(warm - converged) <= abs(cold - converged) + 1e-6 * abs(converged)
    assert warm == pytest.approx(converged, rel=1e-3)
    tight, _ = _divergence(a, b, 1e-9)
    assert tight == pytest.approx(converged, rel=1e-7)


@pytest.mark.parametrize('debias', [True, False])
def test_gradients_with_warm_start_close(debias):
    pred, target = synthetic_depth_pair(1, 104, 136, seed=5)
    fn = otf.sinkhorn_divergence_grid if debias else otf.sinkhorn_grid_cost
    grads = []
    for ms in (False, True):
        x = pred.double().clone().requires_grad_(True)
        a, b = otdl_grid_masses(x, target.double())
        fn(a, b, 0.05**2, 3000, 1e-6, multiscale=ms).sum().backward()
        grads.append(x.grad)
    assert torch.isfinite(grads[1]).all()
    torch.testing.assert_close(grads[1], grads[0], rtol=0, atol=1e-4 * grads[0].abs().max())


def test_coarse_level_with_odd_sides_is_finite():
    pred, target = synthetic_depth_pair(2, 49, 67, seed=2)
    a, b = otdl_grid_masses(pred, target)
    info = {}
    value = otf.sinkhorn_divergence_grid(a, b, (8.0 / 67)**2, info=info)
    assert 'coarse' in info['cross'] and torch.isfinite(value).all() and (value > 0).all()
    ref = otf.sinkhorn_divergence_grid(a.double(), b.double(), (8.0 / 67)**2, 3000, 1e-8)
    torch.testing.assert_close(value.double(), ref, rtol=2e-3, atol=0)
    assert math.isfinite(info['cross']['coarse']['marginal_error'])
