"""The sparse-pixel probe (Sec. 3.1, Eq. 3-8): masking arithmetic, G, frozen N, Eq. 6, study."""
import copy
import csv

import numpy as np
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.registry import METRICS, MODELS
from mmseg.structures import SegDataSample

from mmdepth_dgr.apis.sparse_probe import (
    ProbeNetwork,
    check_lambdas,
    check_sparsity_trend,
    depth_eval_settings,
    format_table,
    summarize,
    write_csv,
)
from mmdepth_dgr.evaluation import evaluate_depth
from mmdepth_dgr.evaluation.probe_functional import (
    DEFAULT_MASK_THRESHOLD,
    apply_mask,
    binarize_mask,
    depth_rmse,
    gradient_magnitude,
    image_region_mask,
    mask_l1,
    mask_sparsity,
    restore_map,
)
from mmdepth_dgr.models.losses import HuDepthLoss
from mmdepth_dgr.models.segmentors import MaskNet, SparsePixelProbe

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
PREPROCESSOR = dict(type='SegDataPreProcessor', mean=MEAN, std=STD, bgr_to_rgb=True, pad_val=0,
                    seg_pad_val=0, size_divisor=32)
BN = dict(type='BN', requires_grad=True)
# a tiny DepthEstimator (ResNet-18 layout at width 8, BN everywhere) standing for N
TINY_TARGET = dict(
    type='DepthEstimator',
    data_preprocessor=PREPROCESSOR,
    backbone=dict(type='ResNet', depth=18, base_channels=8, stem_channels=8, num_stages=4,
                  out_indices=(0, 1, 2, 3), norm_cfg=BN),
    decode_head=dict(type='MultiScaleDepthHead', in_channels=[8, 16, 32, 64],
                     in_index=(0, 1, 2, 3), channels=16, num_upsample=2, norm_cfg=BN,
                     min_depth=1e-3, max_depth=10.0, depth_act='sigmoid',
                     loss_decode=dict(type='HuDepthLoss')),
    test_cfg=dict(mode='whole'))
SMALL_G = dict(type='MaskNet', base_channels=4, num_stages=3, norm_cfg=BN)


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


# --------------------------------------------------------------- pure functions


def test_binarize_mask_threshold():
    soft = torch.tensor([0.0, 0.2, 0.49, 0.5, 0.51, 0.9, 1.0])
    assert DEFAULT_MASK_THRESHOLD == 0.5
    assert binarize_mask(soft).tolist() == [0, 0, 0, 1, 1, 1, 1]  # kept iff G >= 0.5
    assert binarize_mask(soft, 0.3).tolist() == [0, 0, 1, 1, 1, 1, 1]
    assert binarize_mask(soft, 0.95).tolist() == [0, 0, 0, 0, 0, 0, 1]
    assert binarize_mask(soft.double()).dtype == torch.float64
    for bad in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match='threshold'):
            binarize_mask(soft, bad)


def test_apply_mask_removed_pixels_become_the_mean_colour():
    """Masking after normalisation: a removed pixel equals a mean-colour pixel (and padding)."""
    pre = MODELS.build(PREPROCESSOR)
    gen = torch.Generator().manual_seed(0)
    img = torch.randint(0, 255, (3, 4, 6), generator=gen, dtype=torch.uint8)
    mean_bgr = torch.tensor(MEAN[::-1]).view(3, 1, 1)  # loader images are BGR
    mean_img = mean_bgr.round().expand(3, 4, 6).to(torch.uint8)
    x = pre(dict(inputs=[img, mean_img]), False)['inputs']
    assert x[1].abs().max() < 0.01  # the mean colour normalises to (almost) 0
    mask = torch.zeros(2, 1, 4, 6)
    mask[:, :, :2] = 1
    out = apply_mask(x, mask)
    assert torch.equal(out[:, :, :2], x[:, :, :2])  # kept pixels untouched, every channel
    assert torch.equal(out[:, :, 2:], torch.zeros_like(out[:, :, 2:]))  # removed -> mean
    # soft masks scale the normalised values; per-channel masks work too
    assert torch.allclose(apply_mask(x, torch.full((2, 1, 4, 6), 0.25)), 0.25 * x)
    assert torch.equal(apply_mask(x, torch.ones(2, 3, 4, 6)), x)
    with pytest.raises(ValueError, match='does not fit'):
        apply_mask(x, torch.ones(2, 1, 4, 5))
    with pytest.raises(ValueError, match='4-D'):
        apply_mask(x, torch.ones(1, 4, 6))


def test_region_l1_and_sparsity_values():
    region = image_region_mask((2, 3, 4, 5), [(0, 2, 0, 1), None])
    assert region.shape == (2, 1, 4, 5)
    assert region[0].sum() == 3 * 3 and region[1].all()
    assert not region[0, 0, 3].any() and not region[0, 0, :, 3:].any()
    with pytest.raises(ValueError, match='does not fit'):
        image_region_mask((1, 4, 5), [(0, 5, 0, 0)])
    with pytest.raises(ValueError, match='padding sizes'):
        image_region_mask((2, 4, 5), [(0, 0, 0, 0)])

    binary = torch.zeros(2, 1, 4, 5)
    binary[0, :, 0, 0] = 1  # 1 kept pixel of the 9 image pixels
    binary[0, :, 3, 4] = 1  # on the padding: not counted
    binary[1, :, :2] = 1  # 10 of 20
    assert mask_sparsity(binary, region=region).tolist() == pytest.approx([1 / 9, 0.5])
    assert mask_sparsity(binary).tolist() == pytest.approx([2 / 20, 0.5])
    assert mask_sparsity(torch.ones(1, 4, 5)).tolist() == [1.0]  # full image = 1.00
    soft = torch.full((1, 1, 2, 2), 0.6)
    soft[0, 0, 0, 0] = 0.2
    assert mask_sparsity(soft, threshold=0.5).item() == pytest.approx(0.75)
    # the Eq. 6 regulariser is the mean of the soft mask over the image pixels
    assert mask_l1(soft).item() == pytest.approx((0.2 + 3 * 0.6) / 4)
    assert mask_l1(binary, region).tolist() == pytest.approx([1 / 9, 0.5])
    with pytest.raises(ValueError, match='no image pixel'):
        mask_l1(soft, torch.zeros(1, 1, 2, 2, dtype=torch.bool))


def test_restore_map_removes_padding_flips_and_resizes():
    data = torch.arange(24.0).view(1, 4, 6)
    meta = dict(padding_size=(0, 2, 0, 1), ori_shape=(3, 4))
    assert torch.equal(restore_map(data, meta), data[:, :3, :4])
    flipped = restore_map(data, dict(meta, flip=True, flip_direction='horizontal'))
    assert torch.equal(flipped, data[:, :3, :4].flip(-1))
    big = restore_map(torch.ones(1, 2, 3), dict(ori_shape=(4, 6)), 'nearest')
    assert big.shape == (1, 4, 6) and torch.equal(big, torch.ones(1, 4, 6))


def test_gradient_magnitude_and_rmse_conventions():
    flat = np.full((6, 8, 3), 120, dtype=np.uint8)
    assert np.allclose(gradient_magnitude(flat), 0)
    step = np.zeros((6, 8), dtype=np.float64)
    step[:, 4:] = 1.0
    mag = gradient_magnitude(step)
    assert np.allclose(mag[:, [3, 4]], 4.0) and np.allclose(mag[:, [0, 1, 6, 7]], 0)

    gen = np.random.default_rng(0)
    gt = gen.uniform(1, 9, (48, 64))
    gt[0, 0] = 15.0  # beyond max_depth: excluded
    pred = gt + gen.normal(0, 0.3, gt.shape)
    kwargs = dict(min_depth=1e-3, max_depth=10.0, crop='nyu')
    assert depth_rmse(gt, pred, **kwargs) == pytest.approx(
        evaluate_depth(gt, pred, **kwargs)['rmse'])
    assert depth_rmse(np.zeros((4, 4)), np.ones((4, 4)), 1e-3, 10.0) is None


# --------------------------------------------------------------------- G and N


def test_mask_net_output_and_init():
    g = MaskNet(base_channels=4, num_stages=3, init_bias=2.0)
    g.init_weights()
    for size in ((32, 48), (37, 50)):  # any size, mask at the input resolution
        mask = g(torch.randn(2, 3, *size))
        assert mask.shape == (2, 1, *size)
        assert mask.min() > 0 and mask.max() < 1
    assert abs(g(torch.randn(1, 3, 16, 16)).mean().item() - torch.sigmoid(
        torch.tensor(2.0)).item()) < 0.05
    with pytest.raises(ValueError, match='must be >= 1'):
        MaskNet(num_stages=0)


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
    probe = _probe(lambda_sparsity=2.5)
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


# ------------------------------------------------------------- metric and study


def test_mask_sparsity_metric():
    metric = METRICS.build(dict(type='MaskSparsityMetric'))
    masks = [torch.zeros(1, 4, 4), torch.ones(1, 4, 4)]
    masks[0][0, :2] = 1
    metric.process({}, [dict(pred_mask=dict(data=m)) for m in masks])
    assert metric.compute_metrics(metric.results) == dict(sparsity=pytest.approx(0.75))
    with pytest.raises(KeyError, match='pred_mask'):
        metric.process({}, [dict(pred_depth_map=dict(data=masks[0]))])


def test_table_rows_csv_and_settings(tmp_path):
    per_lambda = {
        2.0: [dict(index=0, rmse_t=0.6, rmse_c=0.7, rmse_t_mask_c=0.65, rmse_c_mask_t=0.75,
                   sparsity_t=0.5, sparsity_c=0.4)],
        1.0: [dict(index=0, rmse_t=0.5, rmse_c=0.6, rmse_t_mask_c=0.55, rmse_c_mask_t=0.62,
                   sparsity_t=0.9, sparsity_c=0.8, rmse_t_full=0.4, rmse_c_full=0.45),
              dict(index=1, rmse_t=0.7, rmse_c=None, rmse_t_mask_c=0.75, rmse_c_mask_t=0.6,
                   sparsity_t=0.7, sparsity_c=0.6, rmse_t_full=0.6, rmse_c_full=None)],
    }
    rows = summarize(per_lambda)
    assert [r['lambda'] for r in rows] == ['original', 1.0, 2.0]
    assert rows[0]['rmse_t'] == pytest.approx(0.5) and rows[0]['rmse_c'] == pytest.approx(0.45)
    assert rows[0]['sparsity_t'] == rows[0]['sparsity_c'] == 1.0
    assert rows[1]['rmse_t'] == pytest.approx(0.6) and rows[1]['rmse_c'] == pytest.approx(0.6)
    assert rows[1]['sparsity_t'] == pytest.approx(0.8)
    write_csv(rows, tmp_path / 't.csv')
    with open(tmp_path / 't.csv', encoding='utf-8') as f:
        table = list(csv.DictReader(f))
    assert table[0]['lambda'] == 'original' and table[0]['rmse_t_mask_c'] == ''
    assert float(table[2]['sparsity_c']) == pytest.approx(0.4)
    nets = {k: ProbeNetwork(k, n, 'c.py', 'x.pth') for k, n in
            (('transformer', 'T'), ('cnn', 'C'))}
    md = format_table(rows, nets, 0.5)
    assert '| original | 0.500 | 1.00 | 0.450 | 1.00 | - | - |' in md
    assert '| 2 | 0.600 | 0.50 | 0.700 | 0.40 | 0.650 | 0.750 |' in md
    assert 'T = T, C = C' in md
    assert check_sparsity_trend(rows) == []
    rows[2]['sparsity_c'] = 0.9  # rises from 0.7 at lambda=1 to 0.9 at lambda=2
    assert check_sparsity_trend(rows) == [
        'CNN: sparsity rises from 0.700 to 0.900 at lambda=2',
        'CNN: sparsity at lambda=2 (0.900) is not below lambda=1 (0.700)']
    rows[2]['sparsity_c'] = 0.7
    assert check_sparsity_trend(rows) == [
        'CNN: sparsity at lambda=2 (0.700) is not below lambda=1 (0.700)']
    assert check_lambdas([4, 0.5, 1]) == [0.5, 1.0, 4.0]
    for bad in ([], [1, 1], [-1], [float('nan')]):
        with pytest.raises(ValueError):
            check_lambdas(bad)
    from mmengine.config import Config
    cfg = Config(dict(test_evaluator=[dict(type='DepthEvalMetric', min_depth_eval=1e-3,
                                           max_depth_eval=10.0, crop='nyu'),
                                      dict(type='MaskSparsityMetric')]))
    assert depth_eval_settings(cfg) == dict(min_depth=1e-3, max_depth=10.0, crop='nyu')
    with pytest.raises(KeyError, match='DepthEvalMetric'):
        depth_eval_settings(Config(dict(test_evaluator=dict(type='MaskSparsityMetric'))))


def test_target_config_loading_and_network_resolution(tmp_path):
    from mmengine.config import Config

    from mmdepth_dgr.apis.sparse_probe import resolve_networks
    from mmdepth_dgr.models.segmentors import load_target_model_config
    cfg = copy.deepcopy(TINY_TARGET)
    cfg['backbone'].update(norm_cfg=dict(type='SyncBN', requires_grad=True),
                           init_cfg=dict(type='Pretrained', checkpoint='torchvision://x'))
    loaded = load_target_model_config(cfg)
    assert loaded.backbone.norm_cfg.type == 'BN' and loaded.backbone.init_cfg is None
    assert cfg['backbone']['norm_cfg']['type'] == 'SyncBN'  # the input is not modified
    with pytest.raises(TypeError, match='config path or a model dict'):
        load_target_model_config(3)

    net_cfg = tmp_path / 'n.py'
    net_cfg.write_text('model = dict(type="DepthEstimator")\n')
    ckpt = tmp_path / 'n.pth'
    ckpt.write_bytes(b'')
    probe_cfg = Config(dict(probe_pair=dict(
        transformer=dict(name='T', config=str(net_cfg), checkpoint=None),
        cnn=dict(config=str(net_cfg), checkpoint=str(ckpt)))))
    with pytest.raises(FileNotFoundError, match='no checkpoint for the transformer'):
        resolve_networks(probe_cfg)
    nets = resolve_networks(probe_cfg, dict(transformer=dict(checkpoint=str(ckpt))))
    assert nets['transformer'].name == 'T' and nets['cnn'].name == 'n'
    with pytest.raises(FileNotFoundError, match='cnn network checkpoint not found'):
        resolve_networks(probe_cfg, dict(transformer=dict(checkpoint=str(ckpt)),
                                         cnn=dict(checkpoint=str(tmp_path / 'x.pth'))))
    with pytest.raises(KeyError, match='probe_pair'):
        resolve_networks(Config(dict()))


def test_mask_sparsity_metric_threshold():
    metric = METRICS.build(dict(type='MaskSparsityMetric', threshold=0.5))
    soft = torch.tensor([[[0.2, 0.6], [0.5, 0.4]]])
    metric.process({}, [dict(pred_mask=dict(data=soft))])
    assert metric.compute_metrics(metric.results)['sparsity'] == pytest.approx(0.5)
    with pytest.raises(ValueError, match='threshold'):
        METRICS.build(dict(type='MaskSparsityMetric', threshold=1.0))
