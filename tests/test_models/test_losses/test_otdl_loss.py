"""Optimal Transport Depth Loss (Sec. 3.3): exactness vs POT, the Sinkhorn solver, gradients,
edge cases."""
import math

import numpy as np
import ot
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmdepth_dgr.analysis.benchmark_otdl import peak_memory, synthetic_depth_pair
from mmdepth_dgr.models.losses import OTDLLoss
from mmdepth_dgr.models.losses import ot_functional as otf
from mmdepth_dgr.models.losses.ot_functional import (
    _block_size,
    gaussian_logconv_1d,
    gaussian_logconv_2d,
    grid_kernel_width,
    sinkhorn_divergence_grid,
    sinkhorn_grid_cost,
    sinkhorn_potentials,
    wasserstein_1d,
)

pytestmark = pytest.mark.usefixtures('single_thread')  # many small ops


def _maps(b=2, h=8, w=9, density=0.6, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    pred = torch.rand(b, 1, h, w, generator=gen, dtype=dtype) * 5 + 0.2
    target = torch.rand(b, 1, h, w, generator=gen, dtype=dtype) * 5 + 0.2
    mask = torch.rand(b, 1, h, w, generator=gen) < density
    return pred, torch.where(mask, target, torch.zeros_like(target)), mask


def _emd_reference(pred, target, weighting, p):
    out = []
    for i in range(pred.size(0)):
        m = target[i] > 0
        x, y = pred[i][m].double().numpy(), target[i][m].double().numpy()
        if weighting == 'depth':
            wx, wy = x / x.sum(), y / y.sum()
        else:
            wx = wy = np.full(x.size, 1.0 / x.size)
        out.append(ot.emd2(wx, wy, np.abs(x[:, None] - y[None, :])**p))
    return np.array(out)


def _grid_cost(h, w):
    r, c = np.meshgrid(np.arange(h) + 0.5, np.arange(w) + 0.5, indexing='ij')
    grid = np.stack([r.ravel(), c.ravel()], 1) / max(h, w)
    return ot.dist(grid, grid)


def _grid_masses(pred, target):
    m = target[:, 0] > 0
    a = torch.where(m, pred[:, 0], torch.zeros_like(pred[:, 0]))
    b = torch.where(m, target[:, 0], torch.zeros_like(a))
    return a / a.sum((1, 2), keepdim=True), b / b.sum((1, 2), keepdim=True)


# ------------------------------------------------------------------ depth mode (exact W_p^p)
@pytest.mark.parametrize('density', [1.0, 0.6, 0.05])
@pytest.mark.parametrize('weighting', ['depth', 'uniform'])
@pytest.mark.parametrize('p', [1, 2])
def test_depth_mode_equals_emd2(density, weighting, p):
    pred, target, _ = _maps(b=3, h=12, w=14, density=density, seed=p)
    target[0, 0, 0, 0] = 3.0  # at least one valid pixel per sample
    target[1, 0, 0, 0] = 3.0
    target[2, 0, 0, 0] = 3.0
    value = OTDLLoss(weighting=weighting, p=p, reduction='none')(pred, target)
    ref = _emd_reference(pred, target, weighting, p)
    np.testing.assert_allclose(value.numpy(), ref, rtol=1e-5, atol=0)
    # float32 inputs (training dtype) keep the 1e-5 relative accuracy for p=2
    if p == 2:
        v32 = OTDLLoss(weighting=weighting, reduction='none')(pred.float(), target.float())
        ref32 = _emd_reference(pred.float(), target.float(), weighting, p)
        assert v32.dtype == torch.float32
        np.testing.assert_allclose(v32.double().numpy(), ref32, rtol=1e-5, atol=0)


def test_wasserstein_1d_unequal_sizes_and_zero_weights():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 7, generator=gen, dtype=torch.float64)
    y = torch.randn(2, 11, generator=gen, dtype=torch.float64) + 1
    wx = torch.rand(2, 7, generator=gen, dtype=torch.float64)
    wy = torch.rand(2, 11, generator=gen, dtype=torch.float64)
    wx[:, 2] = 0  # zero-weight atoms are ignored, wherever they sit
    wy[:, 5] = 0
    wx, wy = wx / wx.sum(1, keepdim=True), wy / wy.sum(1, keepdim=True)
    value = wasserstein_1d(x, wx, y, wy, p=2)
    for i in range(2):
        cost = (x[i, :, None] - y[i, None, :]).abs().numpy()**2
        assert value[i].item() == pytest.approx(ot.emd2(wx[i].numpy(), wy[i].numpy(), cost),
                                                rel=1e-10)
    keep_x, keep_y = [j for j in range(7) if j != 2], [j for j in range(11) if j != 5]
    dropped = wasserstein_1d(x[:, keep_x], wx[:, keep_x], y[:, keep_y], wy[:, keep_y], p=2)
    torch.testing.assert_close(value, dropped)
    # all-zero weights give 0
    zero = wasserstein_1d(x, torch.zeros_like(wx), y, torch.zeros_like(wy))
    assert torch.equal(zero, torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match='p must be >= 1'):
        wasserstein_1d(x, wx, y, wy, p=0.5)
    with pytest.raises(ValueError, match='expected x, wx of shape'):
        wasserstein_1d(x, wx[:, :3], y, wy)


@pytest.mark.parametrize('weighting', ['depth', 'uniform'])
@pytest.mark.parametrize('p', [1.5, 2.0])
def test_depth_mode_gradcheck(weighting, p):
    pred, target, _ = _maps(b=2, h=4, w=5, density=0.7, seed=5)
    x = pred.clone().requires_grad_(True)
    loss = OTDLLoss(weighting=weighting, p=p)
    assert torch.autograd.gradcheck(lambda t: loss(t, target), (x, ))


def test_depth_mode_gradient_flows_through_weights():
    """With weighting='depth' the prediction also moves its own masses (Eq. 15)."""
    pred, target, _ = _maps(b=1, h=4, w=5, density=1.0, seed=6)
    x = pred.clone().requires_grad_(True)
    OTDLLoss(weighting='depth')(x, target).backward()
    full = x.grad.clone()
    # positions-only gradient: same atoms, weights detached
    x2 = pred.clone().requires_grad_(True)
    w = (x2 / x2.sum()).detach().flatten(1)
    t = target.flatten(1)
    wasserstein_1d(x2.flatten(1), w, t, t / t.sum()).sum().backward()
    assert not torch.allclose(full, x2.grad)


# ------------------------------------------------------------------ separable Gibbs kernel
@pytest.mark.parametrize('n,e', [(7, 0.3), (40, 5.0), (90, 2.0), (120, 900.0)])
@pytest.mark.parametrize('weighted', [False, True])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_gaussian_logconv_1d_matches_dense(n, e, weighted, dtype):
    gen = torch.Generator().manual_seed(n)
    h = (torch.randn(3, n, generator=gen) * 30).to(dtype)
    h[0, :n // 2] = -math.inf  # zero-mass entries
    h[1, :] = -math.inf  # an all-zero row stays -inf
    c = torch.arange(n, dtype=torch.float64)
    diff = c[:, None] - c[None, :]
    kernel = -diff**2 / e + (torch.log(diff**2) if weighted else 0)
    ref = torch.logsumexp(h.double()[:, None, :] + kernel, dim=-1)
    out = gaussian_logconv_1d(h, e, weighted)
    assert out.dtype == dtype
    assert torch.equal(torch.isfinite(out), torch.isfinite(ref))
    fin = torch.isfinite(ref)
    tol = 1e-12 if dtype == torch.float64 else 2e-6
    assert ((out.double()[fin] - ref[fin]).abs() <= tol * ref[fin].abs().clamp_min(1)).all()
    # chunking (any budget) changes nothing
    torch.testing.assert_close(gaussian_logconv_1d(h, e, weighted, chunk_elems=1), out)


def test_block_size_respects_exponent_cap():
    for n, e in [(544, 740.0), (416, 740.0), (64, 10.24), (3000, 1.0)]:
        for dtype, cap in [(torch.float32, 60.0), (torch.float64, 300.0)]:
            s = _block_size(n, e, dtype)
            assert 1 <= s <= n
            assert s == 1 or (n * s + s * s / 4) / e <= cap


@pytest.mark.parametrize('weighted', [None, 'row', 'col'])
def test_gaussian_logconv_2d_matches_dense(weighted):
    gen = torch.Generator().manual_seed(1)
    h, w, e = 6, 7, 3.0
    x = torch.randn(2, h, w, generator=gen, dtype=torch.float64) * 5
    x[0, 2] = -math.inf
    r, c = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    dr = (r.reshape(-1, 1) - r.reshape(1, -1)).double()**2
    dc = (c.reshape(-1, 1) - c.reshape(1, -1)).double()**2
    kernel = -(dr + dc) / e
    if weighted == 'row':
        kernel = kernel + dr.log()
    elif weighted == 'col':
        kernel = kernel + dc.log()
    ref = torch.logsumexp(x.reshape(2, 1, -1) + kernel, dim=-1).reshape(2, h, w)
    torch.testing.assert_close(gaussian_logconv_2d(x, e, weighted), ref)
    with pytest.raises(ValueError, match='weighted must be'):
        gaussian_logconv_2d(x, e, 'diag')


# ------------------------------------------------------------------ spatial mode
@pytest.mark.parametrize('h,w,blur,density', [(16, 20, 0.1, 1.0), (12, 14, 0.05, 0.7),
                                               (12, 14, 0.1, 0.15)])
def test_spatial_cost_matches_sinkhorn2(h, w, blur, density):
    pred, target, _ = _maps(b=2, h=h, w=w, density=density, seed=7)
    target[:, 0, 3, 4] = 2.0
    value = OTDLLoss(mode='spatial', debias=False, blur=blur, max_iter=3000, tol=1e-8,
                     reduction='none')(pred, target)
    a, b = _grid_masses(pred, target)
    cost = _grid_cost(h, w)
    for i in range(2):
        with np.errstate(divide='ignore'):
            ref = ot.sinkhorn2(a[i].flatten().numpy(), b[i].flatten().numpy(), cost,
                               reg=blur**2, method='sinkhorn_log', numItermax=5000,
                               stopThr=1e-9)
        assert value[i].item() == pytest.approx(float(ref), rel=0.02)
        assert value[i].item() == pytest.approx(float(ref), rel=1e-4)  # in fact much closer


def test_sinkhorn_potentials_converge_and_stop():
    pred, target, _ = _maps(b=2, h=12, w=15, density=0.8, seed=8)
    a, b = _grid_masses(pred, target)
    log_a = torch.where(a > 0, a.log(), torch.full_like(a, -math.inf))
    log_b = torch.where(b > 0, b.log(), torch.full_like(b, -math.inf))
    eps = 0.05**2
    f, g, it = sinkhorn_potentials(log_a, log_b, eps, max_iter=2000, tol=1e-8)
    assert 1 < it < 2000 and torch.isfinite(f).all() and torch.isfinite(g).all()
    e = grid_kernel_width(eps, 12, 15)
    log_plan_rows = log_a + f / eps + gaussian_logconv_2d(log_b + g / eps, e)
    log_plan_cols = log_b + g / eps + gaussian_logconv_2d(log_a + f / eps, e)
    assert (log_plan_rows.exp() - a).abs().sum((1, 2)).max() < 1e-7
    assert (log_plan_cols.exp() - b).abs().sum((1, 2)).max() < 1e-12  # exact after g
    _, _, it_sym = sinkhorn_potentials(log_a, log_a, eps, max_iter=2000, tol=1e-8)
    assert it_sym <= 20  # the averaged symmetric update needs only a few iterations
    _, _, it_cap = sinkhorn_potentials(log_a, log_b, eps, max_iter=3, tol=0.0)
    assert it_cap == 3
    with pytest.raises(ValueError, match='max_iter must be >= 1'):
        sinkhorn_potentials(log_a, log_b, eps, max_iter=0)


def test_over_relaxation_cuts_iterations(monkeypatch):
    pred, target, _ = _maps(b=1, h=24, w=24, density=0.9, seed=16, dtype=torch.float32)
    a, b = _grid_masses(pred, target)
    log_a = torch.where(a > 0, a.log(), torch.full_like(a, -math.inf))
    log_b = torch.where(b > 0, b.log(), torch.full_like(b, -math.inf))
    f, g, adaptive = sinkhorn_potentials(log_a, log_b, 0.05**2, max_iter=3000, tol=1e-4)
    monkeypatch.setattr(otf, '_relaxation', lambda errs, omega: 1.0)
    f1, g1, plain = sinkhorn_potentials(log_a, log_b, 0.05**2, max_iter=3000, tol=1e-4)
    assert adaptive * 2 < plain < 3000
    value = ((a * f).sum() + (b * g).sum()).item()
    assert value == pytest.approx(((a * f1).sum() + (b * g1).sum()).item(), rel=1e-4)


def test_relaxation_factor_follows_young():
    rho = 0.9
    errs = [rho**k for k in range(10)]
    assert otf._relaxation(errs, 1.0) == pytest.approx(2 / (1 + math.sqrt(1 - rho)))
    assert otf._relaxation(errs[:9], 1.0) == 1.0  # only every `period` iterations
    assert otf._relaxation(errs, 1.95) == 1.95  # never lowered
    assert otf._relaxation([1.0] * 10, 1.0) == 1.0  # no progress: no change


def test_spatial_mode_memory_is_linear_in_pixels():
    """No N x N matrix: at 96x128 (N = 12288) a dense float32 cost would take 576 MiB."""
    pred, target = synthetic_depth_pair(1, 96, 128)
    loss = OTDLLoss(mode='spatial', max_iter=20)

    def run():
        x = pred.clone().requires_grad_(True)
        loss(x, target).backward()

    peak, _ = peak_memory(run, 'cpu')
    assert peak < 40  # MiB


def test_divergence_zero_for_equal_maps_positive_otherwise():
    pred, target, _ = _maps(b=2, h=10, w=12, density=0.8, seed=9)
    loss = OTDLLoss(mode='spatial', reduction='none', tol=1e-6, max_iter=500)
    same = loss(target.clamp_min(0) + (target == 0) * 3.0, target)  # equal on valid pixels
    assert same.abs().max() < 1e-7
    diff = loss(pred, target)
    assert (diff > 1e-6).all()
    # the divergence grows with the distance the mass has to travel
    r, c = torch.meshgrid(torch.arange(10.0), torch.arange(12.0), indexing='ij')
    blob = [1 + 5 * torch.exp(-((r - 5)**2 + (c - cx)**2) / 4) for cx in (3, 5, 8)]
    near = loss(blob[1][None, None], blob[0][None, None])
    far = loss(blob[2][None, None], blob[0][None, None])
    assert 0 < near.item() < far.item()
    a, b = _grid_masses(pred, target)
    torch.testing.assert_close(sinkhorn_divergence_grid(a, b, 0.05**2, 500, 1e-6), diff)


@pytest.mark.parametrize('debias', [True, False])
def test_spatial_mode_gradcheck(debias):
    pred, target, _ = _maps(b=1, h=4, w=5, density=0.8, seed=10)
    target[0, 0, 0, 0] = 1.0
    loss = OTDLLoss(mode='spatial', blur=0.3, debias=debias, max_iter=5000, tol=1e-14)
    x = pred.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: loss(t, target), (x, ), atol=1e-6, rtol=1e-4)


def test_sinkhorn_grid_cost_gradient_is_implicit_gradient():
    """The backward of <T, C> matches finite differences at a realistic blur, in float64."""
    pred, target, _ = _maps(b=1, h=8, w=9, density=1.0, seed=11)
    a, b = _grid_masses(pred, target)
    a = a.clone().requires_grad_(True)
    direction = torch.randn(a.shape, generator=torch.Generator().manual_seed(0),
                            dtype=torch.float64)
    direction = direction - direction.mean()  # stay a probability
    kwargs = dict(eps=0.1**2, max_iter=5000, tol=1e-13, cg_tol=1e-12)
    sinkhorn_grid_cost(a, b, **kwargs).sum().backward()
    h = 1e-6 * a.detach().min()
    up = sinkhorn_grid_cost(a.detach() + h * direction, b, **kwargs)
    down = sinkhorn_grid_cost(a.detach() - h * direction, b, **kwargs)
    numeric = ((up - down) / (2 * h)).item()
    assert (a.grad * direction).sum().item() == pytest.approx(numeric, rel=1e-4)


# ------------------------------------------------------------------ edge cases, both modes
MODES = [dict(mode='depth'), dict(mode='depth', weighting='uniform'),
         dict(mode='spatial'), dict(mode='spatial', debias=False)]


@pytest.mark.parametrize('kwargs', MODES)
def test_empty_sample_contributes_zero(kwargs):
    pred, target, _ = _maps(b=2, h=6, w=7, density=0.8, seed=12, dtype=torch.float32)
    target[1] = 0  # no valid pixel
    x = pred.clone().requires_grad_(True)
    per_sample = OTDLLoss(reduction='none', **kwargs)(x, target)
    assert per_sample.shape == (2, ) and per_sample[1] == 0
    x = pred.clone().requires_grad_(True)
    value = OTDLLoss(**kwargs)(x, target)
    assert value.item() == pytest.approx(per_sample[0].item(), rel=1e-5)  # mean over valid
    value.backward()
    assert torch.isfinite(x.grad).all() and (x.grad[1] == 0).all()
    # all samples empty: exact 0, finite zero gradient
    x = pred.clone().requires_grad_(True)
    value = OTDLLoss(**kwargs)(x, torch.zeros_like(target))
    value.backward()
    assert value.item() == 0 and torch.isfinite(x.grad).all() and (x.grad == 0).all()


@pytest.mark.parametrize('kwargs', MODES)
def test_one_valid_pixel(kwargs):
    pred = torch.full((1, 1, 5, 6), 2.0)
    target = torch.zeros(1, 1, 5, 6)
    target[0, 0, 2, 3] = 3.0
    x = pred.clone().requires_grad_(True)
    value = OTDLLoss(**kwargs)(x, target)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(x.grad).all()
    if kwargs['mode'] == 'depth':  # one atom each: |2 - 3|^2
        assert value.item() == pytest.approx(1.0)
    else:  # all the mass sits on the same pixel
        assert value.item() == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize('kwargs', MODES)
def test_constant_maps(kwargs):
    pred = torch.full((2, 1, 6, 8), 2.0)
    target = torch.full((2, 1, 6, 8), 5.0)
    target[0, 0, :2] = 0
    x = pred.clone().requires_grad_(True)
    value = OTDLLoss(**kwargs)(x, target)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(x.grad).all()
    if kwargs['mode'] == 'depth':
        assert value.item() == pytest.approx(9.0, rel=1e-6)
    elif kwargs.get('debias', True):  # same masses -> zero divergence
        assert value.item() == pytest.approx(0.0, abs=1e-7)
    else:  # the blur's transport cost of a uniform mass, positive
        assert value.item() > 0


@pytest.mark.parametrize('kwargs', MODES)
def test_autocast_bfloat16_is_finite(kwargs):
    pred, target, _ = _maps(b=2, h=12, w=16, density=0.7, seed=13, dtype=torch.float32)
    conv = torch.nn.Conv2d(1, 1, 1)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = conv(pred)
        assert out.dtype == torch.bfloat16
        value = OTDLLoss(**kwargs)(out, target)
    assert value.dtype == torch.float32 and torch.isfinite(value)
    value.backward()
    assert all(torch.isfinite(p.grad).all() for p in conv.parameters())


def test_negative_predictions_have_clamped_mass():
    pred, target, _ = _maps(b=1, h=5, w=6, density=1.0, seed=14, dtype=torch.float32)
    pred[0, 0, 0] = -1.0
    x = pred.clone().requires_grad_(True)
    for mode in ('depth', 'spatial'):
        value = OTDLLoss(mode=mode)(x, target)
        value.backward()
        assert torch.isfinite(value) and torch.isfinite(x.grad).all()


def test_valid_mask_and_shapes():
    pred, target, mask = _maps(b=2, h=6, w=7, density=1.0, seed=15)
    extra = torch.rand(2, 1, 6, 7, generator=torch.Generator().manual_seed(0)) < 0.5
    loss = OTDLLoss(reduction='none')
    masked = loss(pred, target, valid_mask=extra)
    manual = loss(pred, torch.where(extra, target, torch.zeros_like(target)))
    torch.testing.assert_close(masked, manual)
    # (B, H, W) inputs, loss_weight
    torch.testing.assert_close(OTDLLoss(loss_weight=2.0, reduction='none')(pred[:, 0],
                                                                          target[:, 0]),
                               2 * loss(pred, target))


def test_registry_and_argument_errors():
    loss = MODELS.build(dict(type='OTDLLoss', mode='spatial', blur=0.1, loss_weight=0.5))
    assert isinstance(loss, OTDLLoss) and loss.loss_name == 'loss_otdl'
    assert loss.blur == 0.1 and loss.max_iter == 100 and loss.tol == 1e-3 and loss.debias
    for bad, match in [(dict(mode='pixel'), 'mode must be one of'),
                       (dict(weighting='area'), 'weighting must be one of'),
                       (dict(reduction='sum'), 'reduction must be one of'),
                       (dict(p=0.5), 'p must be >= 1'),
                       (dict(mode='spatial', p=1), 'p must be 2'),
                       (dict(mode='spatial', weighting='uniform'), "needs weighting='depth'"),
                       (dict(blur=0.0), 'blur must be > 0'),
                       (dict(max_iter=0), 'max_iter must be >= 1')]:
        with pytest.raises(ValueError, match=match):
            OTDLLoss(**bad)


def test_head_with_mse_plus_otdl_runs_a_loss_step():
    """Eq. 21 as a config: loss_decode=[DepthMSELoss, OTDLLoss(loss_weight=lambda)]."""
    for mode in ('depth', 'spatial'):
        head = MODELS.build(dict(
            type='MultiScaleDepthHead', in_channels=[8, 16], in_index=(0, 1), channels=16,
            num_upsample=1, norm_cfg=None, max_depth=10.0,
            loss_decode=[dict(type='DepthMSELoss'),
                         dict(type='OTDLLoss', mode=mode, loss_weight=2.0)]))
        gen = torch.Generator().manual_seed(0)
        feats = (torch.randn(2, 8, 8, 12, generator=gen),
                 torch.randn(2, 16, 4, 6, generator=gen))
        samples = []
        for _ in range(2):
            gt = torch.rand(1, 32, 48, generator=gen) * 9 + 0.5
            gt[:, :4] = 0
            s = SegDataSample(metainfo=dict(img_shape=(32, 48), pad_shape=(32, 48)))
            s.gt_depth_map = PixelData(data=gt)
            samples.append(s)
        losses = head.loss(feats, samples, train_cfg=dict())
        assert set(losses) >= {'loss_mse', 'loss_otdl'}
        assert torch.isfinite(losses['loss_otdl']) and losses['loss_otdl'] > 0
        sum(v for k, v in losses.items() if k.startswith('loss_')).backward()
        assert all(torch.isfinite(p.grad).all() for p in head.parameters()
                   if p.grad is not None)
