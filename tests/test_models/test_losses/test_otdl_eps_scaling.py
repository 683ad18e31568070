"""Opt-in epsilon-scaling of the spatial OTDL solver: schedule, same value, gradients, fewer
iterations at the target eps."""
import math

import pytest
import torch

from mmdepth_dgr.analysis.benchmark_otdl import synthetic_depth_pair
from mmdepth_dgr.models.losses import OTDLLoss
from mmdepth_dgr.models.losses import ot_functional as otf
from mmdepth_dgr.models.losses.ot_functional import (
    eps_scaling_schedule,
    grid_diameter,
    sinkhorn_divergence_grid,
    sinkhorn_grid_cost,
    sinkhorn_potentials,
)

pytestmark = pytest.mark.usefixtures('single_thread')


def _blobs(n, dtype=torch.float64):
    """Two displaced Gaussian blobs on a floor: mass has to travel across the grid."""
    r, c = torch.meshgrid(torch.arange(n, dtype=dtype), torch.arange(n, dtype=dtype),
                          indexing='ij')
    a = 0.05 + torch.exp(-((r - n * 0.25)**2 + (c - n * 0.3)**2) / (0.02 * n * n))
    b = 0.05 + torch.exp(-((r - n * 0.7)**2 + (c - n * 0.65)**2) / (0.03 * n * n))
    return (a / a.sum())[None], (b / b.sum())[None]


def _dual(a, b, f, g):
    return ((a * f).sum() + (b * g).sum()).item()


def test_schedule_anneals_from_diameter_to_target():
    assert grid_diameter(10, 12) == pytest.approx(math.hypot(9, 11) / 12)
    stages = eps_scaling_schedule(0.05**2, 16, 16, 0.5)
    assert stages[0] == pytest.approx(grid_diameter(16, 16)**2)
    assert all(s > 0.05**2 for s in stages)
    assert all(b / a == pytest.approx(0.25) for a, b in zip(stages[:-1], stages[1:], strict=True))
    assert stages[-1] * 0.25 <= 0.05**2
    assert eps_scaling_schedule(2.0**2, 16, 16, 0.5) == []  # blur above the diameter
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match='eps_scaling'):
            eps_scaling_schedule(0.01, 8, 8, bad)
    with pytest.raises(ValueError, match='eps_scaling'):
        OTDLLoss(mode='spatial', eps_scaling=1.0)
    with pytest.raises(ValueError, match='stage_iters'):
        log_a = torch.zeros(1, 4, 4, dtype=torch.float64) - math.log(16)
        sinkhorn_potentials(log_a, log_a.clone(), 0.01, eps_scaling=0.5, stage_iters=0)


@pytest.mark.parametrize('n,blur,dtype,tol,rel', [(24, 1 / 24, torch.float32, 1e-3, 1e-4),
                                                  (16, 0.1, torch.float64, 1e-6, 1e-9)])
def test_same_value_fewer_target_iterations(n, blur, dtype, tol, rel):
    a, b = _blobs(n, dtype)
    log_a, log_b = otf._log_weights(a), otf._log_weights(b)
    f0, g0, it0 = sinkhorn_potentials(log_a, log_b, blur**2, 3000, tol)
    f1, g1, it1 = sinkhorn_potentials(log_a, log_b, blur**2, 3000, tol, eps_scaling=0.5)
    assert f1.dtype == dtype and torch.isfinite(f1).all() and torch.isfinite(g1).all()
    assert it1 < it0  # 49 vs 78 (24x24, one-pixel blur), 51 vs 74 (16x16, blur 0.1)
    assert _dual(a, b, f1, g1) == pytest.approx(_dual(a, b, f0, g0), rel=rel)


def test_default_is_unchanged():
    a, b = _blobs(12)
    log_a, log_b = otf._log_weights(a), otf._log_weights(b)
    ref = sinkhorn_potentials(log_a, log_b, 0.1**2, 50, 1e-4)
    new = sinkhorn_potentials(log_a, log_b, 0.1**2, 50, 1e-4, eps_scaling=None)
    assert ref[2] == new[2] and torch.equal(ref[0], new[0]) and torch.equal(ref[1], new[1])
    scaled = sinkhorn_potentials(log_a, log_b, 0.1**2, 50, 1e-4, eps_scaling=0.5)
    assert not torch.equal(ref[0], scaled[0])  # the option does something


def test_cost_and_divergence_match_converged_default():
    pred, target = synthetic_depth_pair(2, 12, 14, seed=3)
    pred, target = pred.double(), target.double()
    a = torch.where(target[:, 0] > 0, pred[:, 0], torch.zeros_like(pred[:, 0]))
    b = torch.where(target[:, 0] > 0, target[:, 0], torch.zeros_like(a))
    a, b = a / a.sum((1, 2), keepdim=True), b / b.sum((1, 2), keepdim=True)
    kw = dict(eps=0.1**2, max_iter=3000, tol=1e-8)
    ref = sinkhorn_grid_cost(a, b, **kw)
    torch.testing.assert_close(sinkhorn_grid_cost(a, b, **kw, eps_scaling=0.5), ref, rtol=1e-4,
                               atol=0)
    ref = sinkhorn_divergence_grid(a, b, **kw)
    torch.testing.assert_close(sinkhorn_divergence_grid(a, b, **kw, eps_scaling=0.5), ref,
                               rtol=1e-4, atol=1e-12)


@pytest.mark.parametrize('debias', [True, False])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_loss_gradients_finite_and_close(debias, dtype):
    pred, target = synthetic_depth_pair(1, 10, 12, seed=4)
    pred, target = pred.to(dtype), target.to(dtype)
    tol = 1e-4 if dtype == torch.float32 else 1e-9
    grads, values = [], []
    for sc in (None, 0.5):
        loss = OTDLLoss(mode='spatial', blur=0.1, debias=debias, max_iter=3000, tol=tol,
                        eps_scaling=sc)
        assert loss.eps_scaling == sc
        x = pred.clone().requires_grad_(True)
        value = loss(x, target)
        value.backward()
        assert torch.isfinite(x.grad).all()
        grads.append(x.grad)
        values.append(value.item())
    assert values[1] == pytest.approx(values[0], rel=1e-3 if dtype == torch.float32 else 1e-6)
    scale = grads[0].abs().max()
    rtol = 1e-2 if dtype == torch.float32 else 1e-5
    assert (grads[1] - grads[0]).abs().max() <= rtol * scale
