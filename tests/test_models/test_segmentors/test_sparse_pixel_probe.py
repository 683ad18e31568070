"""SparsePixelProbe (Sec. 3.1, Eq. 3-8): frozen N, the Eq. 6 loss, predictions, checkpoints."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmdepth_dgr.models.losses import HuDepthLoss
from mmdepth_dgr.models.segmentors import SparsePixelProbe
from mmdepth_dgr.models.utils import binarize_mask
from mmdepth_dgr.testing.probe import PREPROCESSOR, SMALL_G, TINY_TARGET


def _probe(**kwargs) -> SparsePixelProbe:
    torch.manual_seed(0)
    cfg = dict(type='SparsePixelProbe', target=copy.deepcopy(TINY_TARGET), mask_net=SMALL_G,
               lambda_sparsity=1.0)
    cfg.update(kwargs)
    probe = MODELS.build(cfg)
    probe.init_weights()
    return probe


def _batch(n=2, size=(40, 60), seed=0):
    """Raw loader-style batch (uint8 BGR images, GT depth); 40x60 is padded to 64x64."""
    gen = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 255, (3, *size), generator=gen, dtype=torch.uint8)
              for _ in range(n)]
    samples = []
    for _ in range(n):
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size))
        sample.gt_depth_map = PixelData(data=0.5 + 5 * torch.rand(1, *size, generator=gen))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def test_target_is_frozen():
    """N: no grads, weights and BN statistics unchanged by optimizer steps, eval mode."""
    probe = _probe()
    target_before = copy.deepcopy(probe.target.state_dict())
    g_before = copy.deepcopy(probe.mask_net.state_dict())
    assert all(not p.requires_grad for p in probe.target.parameters())
    assert all(p.requires_grad for p in probe.mask_net.parameters())
    optim = build_optim_wrapper(probe, dict(type='OptimWrapper', optimizer=dict(
        type='AdamW', lr=1e-2, weight_decay=0.1)))
    probe.train()
    assert probe.mask_net.training and not probe.target.training
    assert not any(m.training for m in probe.target.modules())
    for seed in range(2):
        log = probe.train_step(_batch(seed=seed), optim)
        assert {'loss', 'loss_dif', 'loss_sparsity', 'mask_mean', 'sparsity'} <= set(log)
        assert all(p.grad is None for p in probe.target.parameters())
    after = probe.target.state_dict()
    assert any('running_mean' in k for k in after)
    for key, value in target_before.items():
        assert torch.equal(value, after[key]), key  # weights, running stats, counters
    assert any(not torch.equal(v, probe.mask_net.state_dict()[k])
               for k, v in g_before.items() if v.is_floating_point())


def test_loss_is_eq6():
    """L = L_dif(N(I), N(I * G(I))) + lambda * mean(G(I)) over the image pixels (no padding)."""
    probe = _probe(lambda_sparsity=2.5, train_cfg=dict(mask_sampling='soft'))
    probe.train()
    data = probe.data_preprocessor(_batch(), True)
    x, samples = data['inputs'], data['data_samples']
    assert x.shape[-2:] == (64, 64)  # 40x60 padded: the padding must not count
    losses = probe(x, samples, mode='loss')

    region = torch.zeros(2, 1, 64, 64, dtype=torch.bool)
    region[:, :, :40, :60] = True
    with torch.no_grad():
        metas = [dict(img_shape=(64, 64), pad_shape=(64, 64))] * 2
        full = probe.target.encode_decode(x, metas)
        soft = probe.mask_net(x)
        masked = probe.target.encode_decode(x * soft, metas)
    expected_dif = HuDepthLoss()(masked, full, valid_mask=region)
    expected_l1 = soft[:, :, :40, :60].mean()
    assert losses['loss_dif'].item() == pytest.approx(expected_dif.item(), rel=1e-5)
    assert losses['loss_sparsity'].item() == pytest.approx(2.5 * expected_l1.item(), rel=1e-5)
    assert losses['mask_mean'].item() == pytest.approx(expected_l1.item(), rel=1e-5)
    assert losses['sparsity'].item() == pytest.approx(
        (soft[:, :, :40, :60] >= 0.5).float().mean().item(), rel=1e-5)
    # lambda scales only the regulariser
    probe.lambda_sparsity = 5.0
    again = probe(x, samples, mode='loss')
    assert again['loss_dif'].item() == pytest.approx(losses['loss_dif'].item(), rel=1e-5)
    assert again['loss_sparsity'].item() == pytest.approx(
        2 * losses['loss_sparsity'].item(), rel=1e-5)
    # gradients reach G through N
    sum(v for k, v in again.items() if k.startswith('loss')).backward()
    assert all(p.grad is not None for p in probe.mask_net.parameters())


def test_loss_with_sampled_mask():
    """Default training mask: N sees a 0/1 draw with keep probability G(I); the L1 term is
    lambda * mean(G(I)), and the gradient reaches G (straight through the draw)."""
    probe = _probe(lambda_sparsity=2.5)
    assert probe.mask_sampling == 'bernoulli'
    probe.train()
    data = probe.data_preprocessor(_batch(), True)
    x, samples = data['inputs'], data['data_samples']
    region = torch.zeros(2, 1, 64, 64, dtype=torch.bool)
    region[:, :, :40, :60] = True
    torch.manual_seed(7)
    losses = probe(x, samples, mode='loss')
    metas = [dict(img_shape=(64, 64), pad_shape=(64, 64))] * 2
    with torch.no_grad():
        full = probe.target.encode_decode(x, metas)
        soft = probe.mask_net(x)
        torch.manual_seed(7)
        draw = torch.bernoulli(soft)
        assert 0.05 < draw.mean().item() < 0.95  # a real draw, not all ones
        expected = HuDepthLoss()(probe.target.encode_decode(x * draw, metas), full,
                                 valid_mask=region)
        soft_dif = HuDepthLoss()(probe.target.encode_decode(x * soft, metas), full,
                                 valid_mask=region)
    assert losses['loss_dif'].item() == pytest.approx(expected.item(), rel=1e-5)
    assert abs(losses['loss_dif'].item() - soft_dif.item()) > 1e-3
    assert losses['loss_sparsity'].item() == pytest.approx(
        2.5 * soft[:, :, :40, :60].mean().item(), rel=1e-5)
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in probe.mask_net.parameters())
    with pytest.raises(ValueError, match='mask_sampling'):
        _probe(train_cfg=dict(mask_sampling='gumbel'))
    with pytest.raises(KeyError, match='unknown train_cfg'):
        _probe(train_cfg=dict(mask_sample='soft'))


def test_target_depth_is_n_prediction_and_predict_outputs():
    probe = _probe()
    probe.eval()
    batch = _batch(size=(32, 64))
    with torch.no_grad():
        data = probe.data_preprocessor(copy.deepcopy(batch), False)
        x = data['inputs']
        n_pred = probe.target.predict(x, copy.deepcopy(data['data_samples']))
        assert torch.allclose(probe.target_depth(x)[0], n_pred[0].pred_depth_map.data)
        out = probe.val_step(batch)
        mask = binarize_mask(probe.mask_net(x), 0.5)
        expected = probe.target_depth(x * mask)
    sample = out[0]
    for key in ('pred_depth_map', 'pred_mask', 'pred_soft_mask', 'pred_full_depth_map'):
        assert sample.get(key).data.shape == (1, 32, 64), key
    assert set(sample.pred_mask.data.unique().tolist()) <= {0.0, 1.0}
    # evaluation masks the same place as training: the normalised input
    assert torch.allclose(sample.pred_depth_map.data, expected[0])
    assert torch.allclose(sample.pred_full_depth_map.data, n_pred[0].pred_depth_map.data)
    depth, mask_t = probe(x, mode='tensor')
    assert torch.allclose(depth, expected) and torch.equal(mask_t, mask)
    soft = _probe(test_cfg=dict(binarize=False, with_full_prediction=False))
    soft.eval()
    with torch.no_grad():
        out = soft.val_step(batch)
    assert 'pred_full_depth_map' not in out[0]
    assert torch.allclose(out[0].pred_mask.data, out[0].pred_soft_mask.data)
    with pytest.raises(KeyError, match='unknown test_cfg'):
        _probe(test_cfg=dict(threshhold=0.5))


def test_target_checkpoint_survives_init_weights_and_errors(tmp_path):
    source = _probe()
    ckpt = tmp_path / 'n.pth'
    torch.save(dict(state_dict=source.target.state_dict()), ckpt)
    torch.manual_seed(123)
    probe = MODELS.build(dict(type='SparsePixelProbe', target=copy.deepcopy(TINY_TARGET),
                              target_checkpoint=str(ckpt), mask_net=SMALL_G))
    probe.init_weights()  # what the runner calls: must not re-initialise N
    for key, value in source.target.state_dict().items():
        assert torch.equal(value, probe.target.state_dict()[key]), key
    with pytest.raises(FileNotFoundError, match='target_checkpoint not found'):
        _probe(target_checkpoint=str(tmp_path / 'missing.pth'))
    with pytest.raises(FileNotFoundError, match='target config not found'):
        _probe(target=str(tmp_path / 'missing.py'))
    with pytest.raises(ValueError, match='data_preprocessor.mean'):
        _probe(data_preprocessor=dict(PREPROCESSOR, mean=[0, 0, 0]))
    with pytest.raises(ValueError, match='lambda_sparsity'):
        _probe(lambda_sparsity=-1)
    with pytest.raises(TypeError, match='DepthEstimator'):
        _probe(target=dict(type='EncoderDecoder', data_preprocessor=PREPROCESSOR,
                           backbone=TINY_TARGET['backbone'],
                           decode_head=dict(type='FCNHead', in_channels=64, channels=8,
                                            num_classes=2, in_index=3)))
