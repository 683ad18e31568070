"""DGR (Sec. 3.2): fixed derivative filters, DGRBlock/DGRNeck, SequentialNeck, DGRBackbone,
complexity counting and the cost benchmark library (tiny sizes)."""
import copy
import importlib.util
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from mmdepth_dgr.apis import (
    add_dgr,
    benchmark_dgr,
    format_benchmark,
    model_complexity,
    module_complexity,
)
from mmdepth_dgr.apis.complexity import einsum_flop_handle, flop_analyzer
from mmdepth_dgr.models.backbones import DGRBackbone, backbone_kind, stage_channels
from mmdepth_dgr.models.necks import (
    DGRBlock,
    DGRNeck,
    SequentialNeck,
    depthwise_derivatives,
    laplacian_kernel,
    outer_product,
    third_order_kernel,
)

ROOT = Path(__file__).resolve().parents[1]
MIT_CFG = ROOT / 'configs/synthetic/segformer-depth_mit-b0_2xb4-1200it_synthetic-nyu.py'
PAIR = {p: ROOT / f'configs/dgr/synthetic/segformer_dgr-{p}_mit-b0_synthetic-nyu.py'
        for p in ('neck', 'backbone')}


# ----------------------------------------------------------------------------- filters
def _grid(h=12, w=14):
    y, x = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                          torch.arange(w, dtype=torch.float64), indexing='ij')
    return x - 5.3, y - 4.1  # off-centre so no term vanishes by symmetry


def _derivs(*fields):
    f = torch.stack(fields)[None]  # (1, C, H, W), one polynomial per channel
    return depthwise_derivatives(f)


@pytest.mark.parametrize('name,fn,expected', [
    ('x^2', lambda x, y: x**2, 2.0),
    ('y^2', lambda x, y: y**2, 2.0),
    ('x^2+y^2', lambda x, y: x**2 + y**2, 4.0),
    ('3x^2-xy+2', lambda x, y: 3 * x**2 - x * y + 2, 6.0),
    ('linear', lambda x, y: 2 * x - 3 * y + 1, 0.0),
    ('constant', lambda x, y: torch.full_like(x, 7.0), 0.0),
])
def test_laplacian_on_polynomials(name, fn, expected):
    x, y = _grid()
    lap, _ = _derivs(fn(x, y))
    interior = lap[0, 0, 1:-1, 1:-1]
    assert torch.allclose(interior, torch.full_like(interior, expected), atol=1e-9), name


def test_laplacian_is_exact_on_cubics():
    x, y = _grid()
    lap, _ = _derivs(x**3 + y**3)
    assert torch.allclose(lap[0, 0, 1:-1, 1:-1], (6 * x + 6 * y)[1:-1, 1:-1], atol=1e-9)


@pytest.mark.parametrize('name,fn,expected', [
    ('x^3', lambda x, y: x**3, 6.0),
    ('y^3', lambda x, y: y**3, 6.0),
    ('x^3+2y^3-x^2', lambda x, y: x**3 + 2 * y**3 - x**2, 18.0),
    ('x^2', lambda x, y: x**2, 0.0),
    ('quadratic', lambda x, y: 2 * x**2 - 3 * x * y + y**2 - x + 4, 0.0),
    ('linear', lambda x, y: 2 * x - 3 * y + 1, 0.0),
    ('x^2 y (mixed, not in H)', lambda x, y: x**2 * y, 0.0),
])
def test_third_order_on_polynomials(name, fn, expected):
    x, y = _grid()
    _, third = _derivs(fn(x, y))
    interior = third[0, 0, 2:-2, 2:-2]
    assert torch.allclose(interior, torch.full_like(interior, expected), atol=1e-9), name


def test_third_order_is_exact_on_quartics():
    x, y = _grid()
    _, third = _derivs(x**4)
    assert torch.allclose(third[0, 0, 2:-2, 2:-2], (24 * x)[2:-2, 2:-2], atol=1e-9)


def test_kernels_and_borders():
    lap, third = laplacian_kernel(), third_order_kernel()
    assert lap.shape == (3, 3) and lap.sum() == 0
    assert third.shape == (5, 5) and third.sum() == 0
    assert torch.equal(third.flip(0, 1), -third)  # odd: centred, no half-pixel shift
    assert torch.equal(third, third.t())  # same stencil along x and y
    # replicate padding: constants give 0 everywhere, borders included
    d2, d3 = depthwise_derivatives(torch.full((2, 3, 5, 7), 4.0))
    assert d2.abs().max() == 0 and d3.abs().max() == 0
    # channels are independent (depthwise) and 1x1 maps work
    x, y = _grid()
    d2, d3 = _derivs(x**2, y**3)
    assert torch.allclose(d2[0, 0, 1:-1, 1:-1], torch.tensor(2.0, dtype=torch.float64))
    assert torch.allclose(d3[0, 1, 2:-2, 2:-2], torch.tensor(6.0, dtype=torch.float64))
    assert depthwise_derivatives(torch.randn(1, 4, 1, 1))[1].shape == (1, 4, 1, 1)
    with pytest.raises(ValueError, match='expected \\(B, C, H, W\\)'):
        depthwise_derivatives(torch.randn(3, 4, 4))
    with pytest.raises(ValueError, match='lap_weight has shape'):
        depthwise_derivatives(torch.randn(1, 2, 4, 4), lap_weight=torch.zeros(3, 1, 3, 3))


def test_filter_buffers_fixed_and_not_in_state_dict():
    block = DGRBlock(4)
    buffers = dict(block.named_buffers())
    assert buffers['lap_weight'].shape == (4, 1, 3, 3)
    assert buffers['third_weight'].shape == (4, 1, 5, 5)
    params = {id(p) for p in block.parameters()}
    assert id(buffers['lap_weight']) not in params and id(buffers['third_weight']) not in params
    keys = block.state_dict().keys()
    assert not any('lap_weight' in k or 'third_weight' in k for k in keys)
    block.double()  # buffers follow dtype/device moves
    assert block.lap_weight.dtype == torch.float64
    assert torch.equal(block.lap_weight[2, 0], laplacian_kernel(torch.float64))


# ----------------------------------------------------------------------------- block / neck
def test_outer_product():
    u, v = torch.randn(2, 3, 4, 5), torch.randn(2, 2, 4, 5)
    out = outer_product(u, v)
    assert out.shape == (2, 6, 4, 5)
    assert torch.allclose(out[:, 1 * 2 + 0], u[:, 1] * v[:, 0])
    with pytest.raises(ValueError, match='differ'):
        outer_product(u, torch.randn(2, 2, 4, 6))


@pytest.mark.parametrize('num_levels', [1, 2, 3, 4])
def test_neck_shapes_and_identity_at_init(num_levels):
    channels = [8, 16, 24, 32][:num_levels]
    sizes = [(17, 23), (9, 12), (5, 6), (1, 1)][:num_levels]
    neck = DGRNeck(channels)
    feats = [torch.randn(2, c, h, w) for c, (h, w) in zip(channels, sizes, strict=True)]
    for mode in (True, False):
        neck.train(mode)
        out = neck(feats)
        assert isinstance(out, list) and len(out) == num_levels
        for o, f in zip(out, feats, strict=True):
            assert o.shape == f.shape and torch.equal(o, f)
    neck = DGRNeck(channels, zero_init=False)
    out = neck(feats)
    assert all(o.shape == f.shape and not torch.equal(o, f)
               for o, f in zip(out, feats, strict=True))


def test_levels_subset_and_errors():
    feats = [torch.randn(2, c, 6, 7) for c in (8, 16, 24)]
    neck = DGRNeck([8, 16, 24], levels=[1], zero_init=False)
    assert list(neck.blocks.keys()) == ['1']
    out = neck(feats)
    assert out[0] is feats[0] and out[2] is feats[2] and not torch.equal(out[1], feats[1])
    with pytest.raises(ValueError, match='levels \\[3\\] must be ints in \\[0, 3\\)'):
        DGRNeck([8, 16, 24], levels=[3])
    with pytest.raises(ValueError, match='duplicates'):
        DGRNeck([8, 16, 24], levels=[1, 1])
    with pytest.raises(ValueError, match='got 2 levels'):
        neck(feats[:2])
    with pytest.raises(ValueError, match='expected \\(B, 16, H, W\\)'):
        neck([feats[0], feats[0], feats[2]])


@pytest.mark.parametrize('norm_cfg', [dict(type='BN', requires_grad=True),
                                      dict(type='GN', num_groups=4, requires_grad=True), None])
def test_norm_configs(norm_cfg):
    neck = MODELS.build(dict(type='DGRNeck', in_channels=[8, 16], norm_cfg=norm_cfg,
                             zero_init=False))
    out = neck([torch.randn(2, 8, 7, 9), torch.randn(2, 16, 4, 5)])
    assert [o.shape for o in out] == [(2, 8, 7, 9), (2, 16, 4, 5)]
    if norm_cfg is not None:
        norm_type = torch.nn.GroupNorm if norm_cfg['type'] == 'GN' else torch.nn.BatchNorm2d
        assert isinstance(neck.blocks['0'].merged_norm, norm_type)
    with pytest.raises(ValueError, match='GN num_groups=5 must divide the 24 channels'):
        DGRBlock(8, norm_cfg=dict(type='GN', num_groups=5))


def test_gradients_reach_dgr_at_init():
    block = DGRBlock(8)
    assert torch.count_nonzero(block.reduce.weight) == 0
    assert torch.count_nonzero(block.reduce.bias) == 0
    others = [p for n, p in block.named_parameters() if not n.startswith('reduce.')]
    assert all(torch.count_nonzero(p) > 0 for p in others if p.dim() > 1)  # only last is zero
    x = torch.randn(2, 8, 9, 11, requires_grad=True)
    block(x).pow(2).sum().backward()
    assert block.reduce.weight.grad.abs().sum() > 0  # the zero layer learns at once
    assert torch.allclose(x.grad, 2 * x)  # identity: d(sum out^2)/dx = 2x
    torch.optim.SGD(block.parameters(), lr=0.1).step()
    block.zero_grad()
    block(x).pow(2).sum().backward()
    for name in ('fc1.weight', 'fc2.weight', 'spatial_conv.conv.weight', 'proj_spatial.weight',
                 'proj_merged.weight'):
        assert block.get_parameter(name).grad.abs().sum() > 0, name


def test_zero_init_survives_init_weights_and_init_cfg():
    block = DGRBlock(8, init_cfg=dict(type='Constant', val=0.5, layer='Conv2d'))
    block.init_weights()
    assert torch.count_nonzero(block.reduce.weight) == 0
    assert torch.all(block.fc1.weight == 0.5)
    assert torch.count_nonzero(DGRBlock(8, zero_init=False).reduce.weight) > 0


def test_sequential_neck():
    chain = MODELS.build(dict(type='SequentialNeck', necks=[
        dict(type='DGRNeck', in_channels=[8, 16], zero_init=False),
        dict(type='FPN', in_channels=[8, 16], out_channels=12, num_outs=2)]))
    assert isinstance(chain, SequentialNeck) and isinstance(chain.necks[0], DGRNeck)
    feats = [torch.randn(2, 8, 8, 10), torch.randn(2, 16, 4, 5)]
    out = chain(feats)
    assert [o.shape for o in out] == [(2, 12, 8, 10), (2, 12, 4, 5)]
    expected = chain.necks[1](chain.necks[0](feats))
    assert all(torch.allclose(a, b) for a, b in zip(out, expected, strict=True))
    assert any(k.startswith('necks.1.') for k in chain.state_dict())
    with pytest.raises(ValueError, match='non-empty list'):
        SequentialNeck([])


# ----------------------------------------------------------------------------- models
def _mit_model_cfg():
    cfg = Config.fromfile(str(MIT_CFG))
    return copy.deepcopy(cfg.model)


def _tensor_out(model, x):
    model.eval()
    with torch.no_grad():
        return model(x, None, mode='tensor')


@pytest.mark.parametrize('placement', ['neck', 'backbone'])
def test_model_predictions_unchanged_when_dgr_inserted(placement):
    torch.manual_seed(0)
    base = MODELS.build(_mit_model_cfg())
    base.init_weights()
    dgr_model = MODELS.build(add_dgr(_mit_model_cfg(), placement))
    dgr_model.init_weights()
    # the plain model's checkpoint loads into the DGR model (backbone keys are remapped)
    result = dgr_model.load_state_dict(base.state_dict(), strict=False)
    assert not result.unexpected_keys
    assert result.missing_keys and all('dgr' in k or k.startswith('neck.')
                                       for k in result.missing_keys)
    x = torch.randn(1, 3, 64, 96)
    assert torch.equal(_tensor_out(base, x), _tensor_out(dgr_model, x))


def _tiny_backbones():
    return {
        'resnet': dict(type='ResNetV1c', depth=18, base_channels=8, stem_channels=8),
        'mit': dict(type='MixVisionTransformer', embed_dims=8, num_heads=[1, 2, 2, 4],
                    num_layers=[1, 1, 1, 1]),
        'swin': dict(type='SwinTransformer', embed_dims=12, depths=[1, 1, 1, 1],
                     num_heads=[1, 2, 2, 4], window_size=4, pretrain_img_size=64),
        'mmpretrain_swin': dict(type='mmpretrain.SwinTransformer',
                                arch=dict(embed_dims=12, depths=[1, 1, 1, 1],
                                          num_heads=[1, 2, 2, 4]),
                                window_size=4, img_size=64, pad_small_map=True,
                                out_indices=(0, 1, 2, 3)),
    }


@pytest.mark.parametrize('kind', list(_tiny_backbones()))
def test_dgr_backbone(kind):
    inner = _tiny_backbones()[kind]
    x = torch.randn(1, 3, 64, 96)
    torch.manual_seed(0)
    model = MODELS.build(dict(type='DGRBackbone', backbone=inner, dgr=dict())).eval()
    assert isinstance(model, DGRBackbone) and model.kind == kind == backbone_kind(model.backbone)
    channels = stage_channels(model.backbone)
    with torch.no_grad():
        out, ref = model(x), model.backbone(x)
    assert len(out) == 4 and [o.shape[1] for o in out] == channels
    assert all(torch.equal(o, r) for o, r in zip(out, ref, strict=True))  # identity at init
    # the refined stage feeds the next one: refining stage 0 only changes every later output
    torch.manual_seed(0)
    model = MODELS.build(dict(type='DGRBackbone', backbone=inner,
                              dgr=dict(levels=[0], zero_init=False))).eval()
    with torch.no_grad():
        out, ref = model(x), model.backbone(x)
    assert all(not torch.allclose(o, r) for o, r in zip(out, ref, strict=True))
    assert list(model.dgr.blocks.keys()) == ['0']


@pytest.mark.parametrize('inner', [
    dict(type='ResNeXt', depth=50, groups=2, base_width=4, base_channels=8, stem_channels=8),
    dict(type='mmpretrain.SwinTransformer', arch=dict(embed_dims=12, depths=[1, 1, 1, 1],
                                                      num_heads=[1, 2, 2, 4]),
         window_size=4, img_size=64, pad_small_map=True, out_indices=(0, 1, 2, 3),
         out_after_downsample=True)], ids=['resnext', 'mmpretrain_swin_after_downsample'])
def test_dgr_backbone_variants(inner):
    model = MODELS.build(dict(type='DGRBackbone', backbone=inner, dgr=dict())).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        out, ref = model(x), model.backbone(x)
    assert [o.shape[1] for o in out] == stage_channels(model.backbone)
    assert all(torch.equal(o, r) for o, r in zip(out, ref, strict=True))


def test_dgr_backbone_errors_and_keys():
    with pytest.raises(TypeError, match='unsupported backbone type .*MobileNetV2'):
        MODELS.build(dict(type='DGRBackbone', backbone=dict(type='MobileNetV2'), dgr=dict()))
    with pytest.raises(ValueError, match='does not match the stage channels'):
        MODELS.build(dict(type='DGRBackbone', backbone=_tiny_backbones()['resnet'],
                          dgr=dict(in_channels=[1, 2, 3, 4])))
    model = MODELS.build(dict(type='DGRBackbone', backbone=_tiny_backbones()['resnet'],
                              dgr=dict(in_channels=[8, 16, 32, 64], levels=[2, 3])))
    keys = list(model.state_dict())
    assert all(k.startswith(('backbone.', 'dgr.blocks.2.', 'dgr.blocks.3.')) for k in keys)
    # a plain backbone state dict loads (pre-hook maps it under backbone.)
    plain = MODELS.build(_tiny_backbones()['resnet'])
    res = model.load_state_dict(plain.state_dict(), strict=False)
    assert not res.unexpected_keys and all(k.startswith('dgr.') for k in res.missing_keys)
    assert torch.equal(model.backbone.layer1[0].conv1.weight, plain.layer1[0].conv1.weight)


def test_dgr_backbone_inner_init_cfg_loads_pretrained(tmp_path):
    plain = MODELS.build(_tiny_backbones()['resnet'])
    ckpt = tmp_path / 'r18_tiny.pth'
    torch.save(dict(state_dict=plain.state_dict()), ckpt)
    inner = dict(_tiny_backbones()['resnet'], init_cfg=dict(type='Pretrained',
                                                            checkpoint=str(ckpt)))
    model = MODELS.build(dict(type='DGRBackbone', backbone=inner, dgr=dict()))
    model.init_weights()
    assert torch.equal(model.backbone.layer4[1].conv2.weight, plain.layer4[1].conv2.weight)
    assert torch.count_nonzero(model.dgr.blocks['3'].reduce.weight) == 0
    # legacy model.pretrained (set by mmseg segmentors on the backbone cfg) reaches the inner one
    legacy = MODELS.build(dict(type='DGRBackbone', backbone=_tiny_backbones()['resnet'],
                               pretrained=str(ckpt)))
    assert legacy.backbone.init_cfg == dict(type='Pretrained', checkpoint=str(ckpt))


# ----------------------------------------------------------------------------- complexity
def test_complexity_counts_fixed_filters_and_outer_product():
    c, h, w, r = 16, 10, 12, 8
    block = DGRBlock(c, rank=r).eval()
    res = module_complexity(block, (torch.randn(1, c, h, w),))
    hw = h * w
    convs = (9 * c + 25 * c           # fixed Laplacian + third-order depthwise filters
             + 9 * 3 * c              # depthwise spatial conv (Eq. 13)
             + 2 * 3 * c * r          # the two low-rank projections
             + r * r * c) * hw        # 1x1 reduction of the outer product (Eq. 14)
    convs += 2 * 3 * c * block.hidden  # channel-attention FCs on the pooled vector (Eq. 12)
    assert res['flops_by_operator']['conv'] == convs
    assert res['flops_by_operator']['einsum'] == r * r * hw  # one multiply per output entry
    m, hid = 3 * c, block.hidden
    assert hid == c // 4 or hid == 8
    assert res['params'] == (2 * m * hid + hid + m      # channel attention (Eq. 12)
                             + 9 * m + 2 * m            # depthwise spatial conv + its BN
                             + 2 * (m * r + r) + 2 * m  # projections + norm of M
                             + r * r * c + c)           # 1x1 reduction


def test_einsum_handle_fixes_outer_product_count():
    class Outer(torch.nn.Module):
        def forward(self, u, v):
            return torch.einsum('bihw,bjhw->bijhw', u, v), torch.einsum('bik,bkj->bij', u[..., 0],
                                                                        v[..., 0, :])

    u, v = torch.randn(2, 3, 4, 5), torch.randn(2, 4, 4, 5)
    analyzer = flop_analyzer(Outer(), (u, v))
    # outer: 2*3*4*4*5 products; contraction (2,3,4)x(2,4,5): 2*3*4*5 MACs (mmengine's rule)
    assert analyzer.total() == 2 * 3 * 4 * 4 * 5 + 2 * 3 * 4 * 5
    assert callable(einsum_flop_handle)


def test_model_complexity_counts_dgr():
    cfg = _mit_model_cfg()
    plain = model_complexity(cfg, (32, 64))
    with_dgr = model_complexity(add_dgr(cfg, 'neck'), (32, 64))
    assert plain['dgr_params'] == 0 and plain['dgr_flops'] == 0
    assert with_dgr['params'] - plain['params'] == with_dgr['dgr_params'] > 0
    assert with_dgr['flops'] - plain['flops'] == with_dgr['dgr_flops'] > 0
    assert with_dgr['flops_by_operator']['einsum'] > 0


def test_get_flops_cli(capsys, monkeypatch):
    spec = importlib.util.spec_from_file_location('get_flops',
                                                  ROOT / 'tools/analysis/get_flops.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, 'argv', ['get_flops.py', str(PAIR['backbone']), '--shape', '32',
                                      '64'])
    assert module.main() == 0
    text = capsys.readouterr().out
    assert 'Input 32x64: params' in text and 'DGR blocks' in text


# ----------------------------------------------------------------------------- configs, bench
def test_ablation_pair_configs():
    neck = Config.fromfile(str(PAIR['neck']))
    backbone = Config.fromfile(str(PAIR['backbone']))
    assert neck.model.neck.type == 'DGRNeck' and 'neck' not in backbone.model
    assert backbone.model.backbone.type == 'DGRBackbone'
    assert backbone.model.backbone.backbone.type == 'MixVisionTransformer'
    assert backbone.model.backbone.backbone.init_cfg is None
    n_neck = MODELS.build(neck.model)
    n_bb = MODELS.build(backbone.model)
    p = [sum(x.numel() for x in m.parameters()) for m in (n_neck, n_bb)]
    assert p[0] == p[1]  # same DGR blocks, only the placement differs


def test_add_dgr_errors_and_existing_neck():
    cfg = _mit_model_cfg()
    cfg['neck'] = dict(type='FPN', in_channels=[32, 64, 160, 256], out_channels=32, num_outs=4)
    new = add_dgr(cfg, 'neck', rank=4)
    assert new['neck']['type'] == 'SequentialNeck'
    assert new['neck']['necks'][0] == dict(type='DGRNeck', in_channels=[32, 64, 160, 256],
                                           rank=4)
    with pytest.raises(ValueError, match='placement must be one of'):
        add_dgr(cfg, 'head')


def test_benchmark_library_smoke():
    tiny = Config.fromfile(str(ROOT / 'configs/_base_/models/depth_swin-t.py')).model
    tiny.backbone.update(embed_dims=12, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1],
                         window_size=4)
    tiny.decode_head.update(in_channels=[12, 24, 48, 96], channels=16)
    result = benchmark_dgr(tiny, tiny, shape=(64, 64), repeats=1, warmup=0, threads=1)
    assert [r['placement'] for r in result['complexity']] == ['none', 'neck', 'backbone']
    assert result['complexity'][0]['params_ratio'] == 0
    assert result['complexity'][1]['params_ratio'] > 0
    assert result['settings']['torch_threads'] == 1 and result['settings']['time_metric'] == 'cpu'
    assert len(result['goals']) == 6 and all(t['cpu_median_s'] > 0 for t in result['timing'])
    table = format_benchmark(result)
    assert '| neck |' in table and ('PASS' in table or 'FAIL' in table)
