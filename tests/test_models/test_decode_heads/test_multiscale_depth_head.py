"""DepthBaseHead / MultiScaleDepthHead: activations, valid-pixel losses, prediction range."""
import pytest
import torch
from mmseg.registry import MODELS

from mmdepth_dgr.models.decode_heads import DEPTH_ACTIVATIONS, depth_activation
from mmdepth_dgr.testing import (
    depth_samples,
)


def _head(**kwargs):
    cfg = dict(type='MultiScaleDepthHead', in_channels=[8, 16], in_index=(0, 1), channels=16,
               num_upsample=1, norm_cfg=None, max_depth=10.0)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _feats(b=2, h=8, w=12):
    gen = torch.Generator().manual_seed(0)
    return (torch.randn(b, 8, h, w, generator=gen), torch.randn(b, 16, h // 2, w // 2,
                                                                generator=gen))


def test_activations():
    x = torch.linspace(-5, 5, 11)
    assert torch.allclose(depth_activation(x, 'sigmoid', 0.1, 10), torch.sigmoid(x) * 10)
    assert depth_activation(x, 'relu', 0.1, 10).min() == pytest.approx(0.1)
    assert (depth_activation(x, 'softplus', 0.1, 10) > 0.1).all()
    assert torch.allclose(depth_activation(x, 'exp', 0.1, 10), x.exp())
    assert torch.equal(depth_activation(x, 'identity', 0.1, 10), x)
    with pytest.raises(ValueError, match="unknown depth activation 'tanh'"):
        depth_activation(x, 'tanh', 0.1, 10)
    assert set(DEPTH_ACTIVATIONS) == {'sigmoid', 'relu', 'softplus', 'exp', 'identity'}


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='depth_act must be one of'):
        _head(depth_act='tanh')
    with pytest.raises(ValueError, match='min_depth < max_depth'):
        _head(min_depth=5.0, max_depth=1.0)
    with pytest.raises(ValueError, match='in_channels .* and in_index .* same length'):
        _head(in_index=(0, 1, 2))


@pytest.mark.parametrize('levels', [1, 2, 3, 4])
def test_any_number_of_levels(levels):
    chans = [4, 8, 16, 32][:levels]
    head = _head(in_channels=chans, in_index=tuple(range(levels)), num_upsample=2)
    feats = [torch.randn(1, c, 16 >> i, 20 >> i) for i, c in enumerate(chans)]
    out = head(feats)
    assert out.shape == (1, 1, 64, 80)
    assert (out >= 0).all() and (out <= 10).all()


def test_loss_ignores_invalid_pixels_and_passes_mask():
    head = _head(loss_decode=[dict(type='DepthMSELoss'), dict(type='HuDepthLoss')])
    feats = _feats()
    gt = torch.full((2, 1, 16, 24), 3.0)
    losses = head.loss_by_feat(head(feats), depth_samples(gt))
    assert set(losses) == {'loss_mse', 'loss_hu'}
    gt_bad = gt.clone()
    gt_bad[:, :, :4] = float('nan')
    gt_bad[:, :, 4:6] = 50.0  # beyond max_depth: ignored
    gt_bad[:, :, 6:8] = 0.0
    pred = head(feats)
    ref = head.loss_by_feat(pred, depth_samples(torch.where(torch.arange(16).view(1, 1, 16, 1) < 8,
                                                       torch.zeros_like(gt), gt)))
    got = head.loss_by_feat(pred, depth_samples(gt_bad))
    for key in ref:
        assert torch.isfinite(got[key])
        assert got[key].item() == pytest.approx(ref[key].item(), rel=1e-5), key


def test_mmseg_loss_without_mask_argument_gets_zeroed_target():
    head = _head(loss_decode=dict(type='SiLogLoss'))
    gt = torch.full((2, 1, 16, 24), 3.0)
    gt[:, :, :4] = 99.0  # beyond max_depth: must be hidden from SiLogLoss as 0
    pred = head(_feats())
    loss = head.loss_by_feat(pred, depth_samples(gt))['loss_silog']
    gt_clean = gt.clone()
    gt_clean[:, :, :4] = 0
    assert loss.item() == pytest.approx(
        head.loss_by_feat(pred, depth_samples(gt_clean))['loss_silog'].item())


def test_same_loss_names_are_summed():
    head = _head(loss_decode=[dict(type='DepthMSELoss'), dict(type='DepthMSELoss')])
    single = _head(loss_decode=dict(type='DepthMSELoss'))
    single.load_state_dict(head.state_dict())
    feats = _feats()
    gt = torch.rand(2, 1, 16, 24) * 9 + 0.5
    assert head.loss_by_feat(head(feats), depth_samples(gt))['loss_mse'].item() == pytest.approx(
        2 * single.loss_by_feat(single(feats), depth_samples(gt))['loss_mse'].item())


def test_predict_resizes_and_clamps():
    head = _head(depth_act='identity', min_depth=0.5, max_depth=2.0)
    metas = [dict(img_shape=(32, 48), pad_shape=(32, 48))]
    out = head.predict(_feats(b=1), metas, dict())
    assert out.shape == (1, 1, 32, 48)
    assert out.min() >= 0.5 and out.max() <= 2.0


def test_empty_loss_list_is_an_error():
    with pytest.raises(ValueError, match='loss_decode is empty'):
        _head(loss_decode=[])
