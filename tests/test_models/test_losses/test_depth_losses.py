"""Tests of the depth losses (paper Eq. 20, 22, 23): hand values, masks, dtypes, registry."""
import math

import pytest
import torch
from mmseg.registry import MODELS

from mmdepth_dgr.models.losses import DepthMSELoss, HuDepthLoss, ScaleInvariantLoss

LOSS_CFGS = [
    dict(type='HuDepthLoss'),
    dict(type='ScaleInvariantLoss'),
    dict(type='ScaleInvariantLoss', use_sqrt=True, lamb=0.85, scale=10.0),
    dict(type='DepthMSELoss'),
]
CFG_IDS = ['hu', 'si', 'silog_sqrt', 'mse']


def _random_depth(*shape, seed=0, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    return (0.5 + 4 * torch.rand(*shape, generator=gen)).to(dtype)


def _holes_mask(b=2, h=8, w=8):
    """Mask with a few invalid pixels that keeps a non-empty 3x3-eroded interior."""
    mask = torch.ones(b, 1, h, w, dtype=torch.bool)
    mask[:, :, 0, 0] = False
    mask[0, :, 5, 6] = False
    mask[-1, :, 2, 1] = False
    mask[-1, :, :, -1] = False
    return mask


def _loss_and_grad(loss_fn, pred, target, valid_mask=None):
    pred = pred.clone().requires_grad_(True)
    loss = loss_fn(pred, target, valid_mask)
    loss.backward()
    return loss.detach(), pred.grad


# ----------------------------------------------------------- hand values


@pytest.mark.parametrize('squeeze', [False, True])
def test_mse_constant_offset(squeeze):
    target = _random_depth(2, 1, 4, 5)
    pred = target + 2.0
    if squeeze:
        pred, target = pred[:, 0], target[:, 0]
    assert DepthMSELoss()(pred, target).item() == pytest.approx(4.0)
    assert DepthMSELoss(loss_weight=0.5)(pred, target).item() == pytest.approx(2.0)


def test_mse_mean_per_sample_then_over_samples():
    target = torch.ones(2, 1, 2, 2)
    pred = torch.stack([target[0] + 1.0, target[1] + 3.0])
    mask = torch.zeros(2, 1, 2, 2, dtype=torch.bool)
    mask[0] = True  # 4 valid pixels with error 1
    mask[1, 0, 0, 0] = True  # 1 valid pixel with error 3
    # per sample: 1 and 9 -> 5 (a pixel-wise mean would give 13 / 5)
    assert DepthMSELoss()(pred, target, mask).item() == pytest.approx(5.0)


@pytest.mark.parametrize('c', [0.5, 2.0, 3.7])
def test_scale_invariant_constant_scale(c):
    target = _random_depth(2, 1, 4, 4)
    pred = c * target
    log_c2 = math.log(c)**2
    for lamb in (0.0, 0.5, 0.85):
        loss = ScaleInvariantLoss(lamb=lamb)(pred, target)
        assert loss.item() == pytest.approx((1 - lamb) * log_c2, rel=1e-5)
    assert ScaleInvariantLoss(lamb=1.0)(pred, target).abs().item() < 1e-6
    silog = ScaleInvariantLoss(lamb=0.85, use_sqrt=True, scale=10.0)(pred, target)
    assert silog.item() == pytest.approx(10 * math.sqrt(0.15 * log_c2), rel=1e-5)


def test_scale_invariant_hand_computed():
    # log errors d = (ln 2, 0): mean d^2 = ln^2 2 / 2, mean d = ln 2 / 2
    target = torch.tensor([[[1.0, 3.0]]])
    pred = torch.tensor([[[2.0, 3.0]]])
    ln2 = math.log(2.0)
    expected = ln2**2 / 2 - 0.5 * (ln2 / 2)**2
    assert ScaleInvariantLoss()(pred, target).item() == pytest.approx(expected, rel=1e-6)
    assert ScaleInvariantLoss(scale=2.0, loss_weight=3.0)(pred, target).item() == pytest.approx(
        6 * expected, rel=1e-6)


def test_scale_invariant_sqrt_zero_variance_has_finite_grad():
    target = _random_depth(2, 1, 3, 3)
    loss_fn = ScaleInvariantLoss(lamb=1.0, use_sqrt=True, scale=10.0)
    loss, grad = _loss_and_grad(loss_fn, 2.0 * target, target)
    # the square-root argument is clamped at eps: loss = scale * sqrt(eps)
    assert loss.item() == pytest.approx(10 * math.sqrt(1e-6), rel=1e-3)
    assert torch.isfinite(grad).all()


@pytest.mark.parametrize('squeeze', [False, True])
def test_hu_perfect_prediction(squeeze):
    target = _random_depth(2, 1, 6, 7)
    if squeeze:
        target = target[:, 0]
    ln_half = math.log(0.5)
    assert HuDepthLoss()(target.clone(), target).item() == pytest.approx(3 * ln_half, rel=1e-6)
    assert HuDepthLoss(alpha=1.0)(target.clone(), target).abs().item() < 1e-6


def test_hu_constant_offset():
    target = _random_depth(2, 1, 6, 6)
    k = 0.7
    # same gradients and normals: ln(k + a) + 2 ln(a) + 0
    expected = math.log(k + 0.5) + 2 * math.log(0.5)
    assert HuDepthLoss()(target + k, target).item() == pytest.approx(expected, rel=1e-5)
    weighted = HuDepthLoss(w_depth=2.0, w_grad=0.5, w_normal=3.0, loss_weight=0.1)
    expected_w = 0.1 * (2 * math.log(k + 0.5) + 0.5 * 2 * math.log(0.5))
    assert weighted(target + k, target).item() == pytest.approx(expected_w, rel=1e-5)


def test_hu_ramp_hand_computed():
    """Flat target, prediction tilted along x, invalid 1-pixel border ring."""
    a = 0.1
    x = torch.arange(7.0).view(1, 1, 1, 7).expand(1, 1, 7, 7)
    target = torch.full((1, 1, 7, 7), 2.0)
    pred = 2.0 + a * (x - 3)
    target[..., 0, :] = 0  # border ring invalid (default mask: target > 0)
    target[..., -1, :] = float('nan')
    target[..., :, 0] = float('inf')
    target[..., :, -1] = 0

    def f(e):
        return math.log(e + 0.5)

    # depth over the 5x5 valid block: |x - 3| = 2, 1, 0, 1, 2 on every row
    l_depth = (2 * f(2 * a) + 2 * f(a) + f(0)) / 5
    # grad/normal over the 3x3 eroded block: Sobel dx = (1+2+1) * 2a, dy = 0
    l_grad = f(8 * a) + f(0)
    l_normal = 1 - 1 / math.sqrt((8 * a)**2 + 1)
    loss = HuDepthLoss()(pred, target)
    assert loss.item() == pytest.approx(l_depth + l_grad + l_normal, rel=1e-5)


# ------------------------------------------------------ masks and edge cases


@pytest.mark.parametrize('cfg', LOSS_CFGS, ids=CFG_IDS)
def test_invalid_pixels_are_ignored(cfg):
    loss_fn = MODELS.build(cfg)
    pred = _random_depth(2, 1, 8, 8, seed=1)
    target = _random_depth(2, 1, 8, 8, seed=2)
    mask = _holes_mask()
    loss_ref, grad_ref = _loss_and_grad(loss_fn, pred, target, mask)

    pred2, target2 = pred.clone(), target.clone()
    n_invalid = int((~mask).sum())
    pred_garbage = torch.tensor([1e6, -3.0, float('nan'), 0.0, float('inf'), 7.0])
    target_garbage = torch.tensor([float('nan'), float('inf'), -float('inf'), 0.0, -2.0])
    pred2[~mask] = pred_garbage.repeat(n_invalid)[:n_invalid]
    target2[~mask] = target_garbage.repeat(n_invalid)[:n_invalid]
    loss2, grad2 = _loss_and_grad(loss_fn, pred2, target2, mask)
    assert torch.isfinite(loss2) and torch.isfinite(grad2).all()
    assert torch.allclose(loss2, loss_ref, rtol=1e-6, atol=1e-7)
    assert torch.allclose(grad2, grad_ref, rtol=1e-6, atol=1e-9)
    assert torch.equal(grad2[~mask], torch.zeros_like(grad2[~mask]))

    # default mask: invalid pixels encoded in the target as 0 / NaN / inf / negative
    loss3, grad3 = _loss_and_grad(loss_fn, pred2, target2)
    assert torch.allclose(loss3, loss_ref, rtol=1e-6, atol=1e-7)
    assert torch.allclose(grad3, grad_ref, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize('cfg', LOSS_CFGS, ids=CFG_IDS)
def test_user_mask_cannot_validate_missing_depth(cfg):
    """A target that is 0, negative or not finite is invalid even inside valid_mask."""
    loss_fn = MODELS.build(cfg)
    pred = _random_depth(2, 1, 8, 8, seed=7)
    target = _random_depth(2, 1, 8, 8, seed=8)
    holes = ~_holes_mask()
    n_holes = int(holes.sum())
    target[holes] = torch.tensor([0.0, -1.0, float('nan'), float('inf')]).repeat(n_holes)[:n_holes]
    loss_all, grad_all = _loss_and_grad(loss_fn, pred, target, torch.ones_like(holes))
    loss_ref, grad_ref = _loss_and_grad(loss_fn, pred, target, ~holes)
    assert torch.isfinite(loss_all) and torch.isfinite(grad_all).all()
    assert torch.allclose(loss_all, loss_ref, rtol=1e-6, atol=1e-7)
    assert torch.allclose(grad_all, grad_ref, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize('cfg', LOSS_CFGS, ids=CFG_IDS)
def test_empty_sample_and_empty_batch(cfg):
    loss_fn = MODELS.build(cfg)
    pred = _random_depth(2, 1, 6, 6, seed=3)
    target = _random_depth(2, 1, 6, 6, seed=4)
    target[1] = float('nan')  # second sample without any valid pixel
    loss, grad = _loss_and_grad(loss_fn, pred, target)
    loss_first, _ = _loss_and_grad(loss_fn, pred[:1], target[:1])
    assert torch.isfinite(loss) and torch.isfinite(grad).all()
    assert torch.allclose(loss, loss_first, rtol=1e-6)
    assert torch.equal(grad[1], torch.zeros_like(grad[1]))

    empty = torch.zeros_like(target, dtype=torch.bool)
    pred_leaf = pred.clone().requires_grad_(True)
    loss = loss_fn(pred_leaf, target, empty)
    assert loss.requires_grad and loss.item() == 0.0
    loss.backward()
    assert torch.equal(pred_leaf.grad, torch.zeros_like(pred))


@pytest.mark.parametrize('cfg', LOSS_CFGS, ids=CFG_IDS)
def test_bhw_and_b1hw_inputs_agree(cfg):
    loss_fn = MODELS.build(cfg)
    pred = _random_depth(2, 1, 6, 5, seed=5)
    target = _random_depth(2, 1, 6, 5, seed=6)
    mask = target > 1.0
    loss_4d = loss_fn(pred, target, mask)
    loss_3d = loss_fn(pred[:, 0], target[:, 0], mask[:, 0])
    assert loss_4d.shape == torch.Size([]) and torch.allclose(loss_4d, loss_3d)
    with pytest.raises(ValueError):
        loss_fn(pred, target[:, :, :, :4])
    with pytest.raises(ValueError):
        loss_fn(pred, target, mask[..., :4])


@pytest.mark.parametrize('cfg', LOSS_CFGS, ids=CFG_IDS)
def test_half_precision_under_autocast(cfg):
    loss_fn = MODELS.build(cfg)
    pred = _random_depth(2, 1, 8, 8, seed=7).half().requires_grad_(True)
    target = _random_depth(2, 1, 8, 8, seed=8).half()
    target[0, 0, 0, :3] = float('nan')
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(pred, target)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    assert torch.isfinite(pred.grad.float()).all()
    loss_fp32 = loss_fn(pred.detach().float(), target.float())
    assert torch.allclose(loss, loss_fp32, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('cfg', LOSS_CFGS, ids=CFG_IDS)
def test_gradcheck_float64(cfg):
    loss_fn = MODELS.build(cfg)
    pred = _random_depth(2, 1, 5, 5, seed=9, dtype=torch.float64).requires_grad_(True)
    target = _random_depth(2, 1, 5, 5, seed=10, dtype=torch.float64)
    mask = torch.ones_like(target, dtype=torch.bool)
    mask[0, 0, 0, 0] = False
    mask[1, 0, 4, 2:] = False
    assert loss_fn(pred, target, mask).dtype == torch.float64
    assert torch.autograd.gradcheck(lambda p: loss_fn(p, target, mask), (pred, ))


@pytest.mark.parametrize(
    'cfg, cls, name',
    [(dict(type='HuDepthLoss'), HuDepthLoss, 'loss_hu'),
     (dict(type='ScaleInvariantLoss'), ScaleInvariantLoss, 'loss_si'),
     (dict(type='DepthMSELoss'), DepthMSELoss, 'loss_mse')])
def test_build_from_registry(cfg, cls, name):
    loss_fn = MODELS.build(cfg)
    assert isinstance(loss_fn, cls) and loss_fn.loss_name == name
    renamed = MODELS.build(dict(cfg, loss_name='loss_depth', loss_weight=2.0))
    assert renamed.loss_name == 'loss_depth' and renamed.loss_weight == 2.0
