"""AdaBins: bins math, chamfer loss, mini-ViT, encoder, head, configs, converter, test run."""
import copy
import math
import sys

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from mmdepth_dgr.analysis.complexity import module_complexity
from mmdepth_dgr.models.backbones import EfficientNetEncoder
from mmdepth_dgr.models.converters.adabins import (
    EFFICIENTNET_B5_REPEATS,
    convert_adabins,
    efficientnet_block_map,
)
from mmdepth_dgr.models.decode_heads import AdaBinsMiniViT
from mmdepth_dgr.models.decode_heads.adabins_minivit import normalize_bin_widths
from mmdepth_dgr.models.decode_heads.bins_depth_head import (
    bin_centers_from_edges,
    bin_edges_from_widths,
    depth_from_bins,
)
from mmdepth_dgr.models.losses import BinsChamferLoss
from mmdepth_dgr.models.losses.bins_chamfer_loss import chamfer_distance_1d, nearest_sq_dist_1d
from mmdepth_dgr.models.necks import DGRNeck
from mmdepth_dgr.testing import (
    REPO_ROOT,
    build_depth_model,
    count_params,
    dataloader_options,
    depth_batch,
)
from mmdepth_dgr.utils import sync_bn_to_bn

NYU = REPO_ROOT / 'configs' / 'adabins' / 'adabins_efficientnet-b5_4xb4-80k_nyu-416x544.py'
KITTI = REPO_ROOT / 'configs' / 'adabins' / 'adabins_efficientnet-b5_4xb4-80k_kitti-352x704.py'
DGR_NYU = REPO_ROOT / 'configs' / 'dgr' / 'adabins-dgr_efficientnet-b5_4xb4-80k_nyu-416x544.py'
#: AdaBins paper (Bhat et al., CVPR'21, Sec. 4.4/Table 6): "78M parameters".
PAPER_PARAMS = 78e6
#: get_flops.py figure of adabins_efficientnet-b5_4xb4-80k_nyu-416x544.py at 480x640 (MACs).
BASELINE_FLOPS_NYU = 187.75e9


# ----------------------------------------------------------------------------------------
# The official checkpoint layout, written from the official code (UnetAdaptiveBins.build:
# gen-efficientnet tf_efficientnet_b5_ap without classifier, DecoderBN, mViT, conv_out),
# independently of this project's modules.
# ----------------------------------------------------------------------------------------
def _bn(prefix, c):
    return {f'{prefix}.weight': (c, ), f'{prefix}.bias': (c, ), f'{prefix}.running_mean': (c, ),
            f'{prefix}.running_var': (c, ), f'{prefix}.num_batches_tracked': ()}


def _conv(prefix, cout, cin, k, bias=True):
    shapes = {f'{prefix}.weight': (cout, cin, k, k)}
    if bias:
        shapes[f'{prefix}.bias'] = (cout, )
    return shapes


def official_adabins_shapes(n_bins=256):
    """Keys and shapes of ``UnetAdaptiveBins.build(n_bins).state_dict()``."""
    enc = 'encoder.original_model'
    shapes = {**_conv(f'{enc}.conv_stem', 48, 3, 3, bias=False), **_bn(f'{enc}.bn1', 48)}
    # (type, kernel, expansion, out) of the 7 stages of EfficientNet-B5 (x1.6 width)
    stages = [('ds', 3, 1, 24), ('ir', 3, 6, 40), ('ir', 5, 6, 64), ('ir', 3, 6, 128),
              ('ir', 5, 6, 176), ('ir', 5, 6, 304), ('ir', 3, 6, 512)]
    cin = 48
    for s, ((kind, k, e, cout), n) in enumerate(zip(stages, EFFICIENTNET_B5_REPEATS, strict=True)):
        for b in range(n):
            p = f'{enc}.blocks.{s}.{b}'
            rd = int(cin * 0.25 + 0.5)  # SE reduction from the block input channels
            if kind == 'ds':
                shapes.update({f'{p}.conv_dw.weight': (cin, 1, k, k), **_bn(f'{p}.bn1', cin)})
                shapes.update(_conv(f'{p}.se.conv_reduce', rd, cin, 1))
                shapes.update(_conv(f'{p}.se.conv_expand', cin, rd, 1))
                shapes.update({**_conv(f'{p}.conv_pw', cout, cin, 1, bias=False),
                               **_bn(f'{p}.bn2', cout)})
            else:
                mid = cin * e
                shapes.update({**_conv(f'{p}.conv_pw', mid, cin, 1, bias=False),
                               **_bn(f'{p}.bn1', mid)})
                shapes.update({f'{p}.conv_dw.weight': (mid, 1, k, k), **_bn(f'{p}.bn2', mid)})
                shapes.update(_conv(f'{p}.se.conv_reduce', rd, mid, 1))
                shapes.update(_conv(f'{p}.se.conv_expand', mid, rd, 1))
                shapes.update({**_conv(f'{p}.conv_pwl', cout, mid, 1, bias=False),
                               **_bn(f'{p}.bn3', cout)})
            cin = cout
    shapes.update({**_conv(f'{enc}.conv_head', 2048, 512, 1, bias=False),
                   **_bn(f'{enc}.bn2', 2048)})
    shapes.update(_conv('decoder.conv2', 2048, 2048, 1))
    for i, (cin, cout) in enumerate([(2048 + 176, 1024), (1024 + 64, 512), (512 + 40, 256),
                                     (256 + 24, 128)]):
        p = f'decoder.up{i + 1}._net'
        shapes.update({**_conv(f'{p}.0', cout, cin, 3), **_bn(f'{p}.1', cout),
                       **_conv(f'{p}.3', cout, cout, 3), **_bn(f'{p}.4', cout)})
    shapes.update(_conv('decoder.conv3', 128, 128, 3))
    vit = 'adaptive_bins_layer'
    shapes.update(_conv(f'{vit}.patch_transformer.embedding_convPxP', 128, 128, 16))
    shapes[f'{vit}.patch_transformer.positional_encodings'] = (500, 128)
    for i in range(4):
        p = f'{vit}.patch_transformer.transformer_encoder.layers.{i}'
        shapes.update({f'{p}.self_attn.in_proj_weight': (384, 128),
                       f'{p}.self_attn.in_proj_bias': (384, ),
                       f'{p}.self_attn.out_proj.weight': (128, 128),
                       f'{p}.self_attn.out_proj.bias': (128, ),
                       f'{p}.linear1.weight': (1024, 128), f'{p}.linear1.bias': (1024, ),
                       f'{p}.linear2.weight': (128, 1024), f'{p}.linear2.bias': (128, ),
                       f'{p}.norm1.weight': (128, ), f'{p}.norm1.bias': (128, ),
                       f'{p}.norm2.weight': (128, ), f'{p}.norm2.bias': (128, )})
    shapes.update(_conv(f'{vit}.conv3x3', 128, 128, 3))
    for j, (cout, cin) in zip((0, 2, 4), [(256, 128), (256, 256), (n_bins, 256)], strict=True):
        shapes.update({f'{vit}.regressor.{j}.weight': (cout, cin),
                       f'{vit}.regressor.{j}.bias': (cout, )})
    shapes.update(_conv('conv_out.0', n_bins, 128, 1))
    return shapes


def _is_param(key):
    return not key.endswith(('running_mean', 'running_var', 'num_batches_tracked'))


def official_state_dict(prefix=''):
    gen = torch.Generator().manual_seed(0)
    return {prefix + k: (torch.randn(s, generator=gen) if s else torch.tensor(5))
            for k, s in official_adabins_shapes().items()}


@pytest.fixture(scope='module')
def official():
    """A random state dict in the official layout, with DataParallel's ``module.`` prefix."""
    return official_state_dict(prefix='module.')


@pytest.fixture(scope='module')
def model():
    return build_depth_model(NYU)


# --------------------------------- bins math ---------------------------------------------
@pytest.mark.parametrize('norm', ['linear', 'softmax', 'sigmoid'])
def test_normalize_bin_widths_positive_sum_one(norm):
    y = torch.randn(3, 16) * 5
    w = normalize_bin_widths(y, norm)
    assert (w > 0).all()
    assert torch.allclose(w.sum(1), torch.ones(3))


def test_normalize_bin_widths_linear_formula_and_bad_norm():
    y = torch.tensor([[-1.0, 0.0, 0.9]])
    expected = torch.tensor([[0.1, 0.1, 1.0]]) / 1.2
    assert torch.allclose(normalize_bin_widths(y, 'linear'), expected)
    with pytest.raises(ValueError, match='cubic'):
        normalize_bin_widths(y, 'cubic')


def test_bin_edges_centres_and_depth():
    widths = normalize_bin_widths(torch.randn(2, 8), 'softmax')
    edges = bin_edges_from_widths(widths, 1e-3, 10.0)
    assert edges.shape == (2, 9)
    assert torch.allclose(edges[:, 0], torch.full((2, ), 1e-3))
    assert torch.allclose(edges[:, -1], torch.full((2, ), 10.0))
    assert (edges.diff(dim=1) > 0).all()
    centers = bin_centers_from_edges(edges)
    assert torch.allclose(centers, (edges[:, 1:] + edges[:, :-1]) / 2)
    # one-hot probabilities pick a centre; any softmax stays within [min, max]
    probs = torch.zeros(2, 8, 3, 4)
    probs[:, 5] = 1
    assert torch.allclose(depth_from_bins(probs, centers)[:, 0, 0, 0], centers[:, 5])
    depth = depth_from_bins(torch.softmax(torch.randn(2, 8, 3, 4), 1), centers)
    assert depth.shape == (2, 1, 3, 4) and depth.min() >= 1e-3 and depth.max() <= 10.0


# --------------------------------- chamfer loss ------------------------------------------
def test_nearest_sq_dist_and_chamfer_match_brute_force():
    gen = torch.Generator().manual_seed(1)
    q = torch.rand(37, generator=gen, dtype=torch.float64) * 10
    r = torch.rand(101, generator=gen, dtype=torch.float64) * 10
    brute = (q[:, None] - r[None]).pow(2).min(dim=1).values
    assert torch.allclose(nearest_sq_dist_1d(q, r), brute)
    cham = brute.mean() + (r[:, None] - q[None]).pow(2).min(dim=1).values.mean()
    assert torch.allclose(chamfer_distance_1d(q, r), cham)
    # gradients equal those of the brute-force expression
    q1 = q.clone().requires_grad_(True)
    chamfer_distance_1d(q1, r).backward()
    q2 = q.clone().requires_grad_(True)
    ((q2[:, None] - r[None]).pow(2).min(dim=1).values.mean()
     + (r[:, None] - q2[None]).pow(2).min(dim=1).values.mean()).backward()
    assert torch.allclose(q1.grad, q2.grad)
    with pytest.raises(ValueError, match='empty'):
        nearest_sq_dist_1d(q, r[:0])


def test_bins_chamfer_loss_masks_weights_and_empty_samples():
    centers = torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], requires_grad=True)
    target = torch.zeros(2, 1, 2, 2)
    target[0, 0, 0, 0], target[0, 0, 0, 1] = 1.0, 3.5
    target[0, 0, 1, 1] = float('nan')  # invalid, ignored
    loss_fn = BinsChamferLoss()
    assert loss_fn.loss_weight == 0.1 and loss_fn.loss_name == 'loss_bins'
    # sample 0: centres->targets (0 + 1 + 0.25) / 3, targets->centres (0 + 0.25) / 2;
    # sample 1 has no valid pixel and is not counted
    expected = 0.1 * ((1.25 / 3) + 0.125)
    loss = loss_fn(centers, target)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    assert torch.isfinite(centers.grad).all() and centers.grad[1].abs().sum() == 0
    # an explicit mask removes the 3.5 m pixel
    mask = target > 0
    mask[0, 0, 0, 1] = False
    assert loss_fn(centers, target, valid_mask=mask).item() == pytest.approx(
        0.1 * ((0 + 1 + 4) / 3 + 0), rel=1e-6)
    zero = BinsChamferLoss()(centers, torch.zeros(2, 1, 2, 2))
    assert zero.item() == 0 and zero.requires_grad


# --------------------------------- mini-ViT ----------------------------------------------
def test_minivit_defaults_are_the_published_hyper_parameters():
    vit = AdaBinsMiniViT()
    assert (vit.n_bins, vit.n_queries, vit.patch_size, vit.norm) == (256, 128, 16, 'linear')
    assert vit.pos_embed.shape == (500, 128)
    assert len(vit.transformer.layers) == 4
    layer = vit.transformer.layers[0]
    assert layer.self_attn.num_heads == 4 and layer.linear1.out_features == 1024


def test_minivit_outputs_and_patch_count_errors():
    vit = AdaBinsMiniViT(n_queries=8, n_bins=16, patch_size=4, max_patches=20).eval()
    widths, attention = vit(torch.randn(2, 128, 12, 12))  # 9 patches = n_queries + 1
    assert widths.shape == (2, 16) and attention.shape == (2, 8, 12, 12)
    assert torch.allclose(widths.sum(1), torch.ones(2)) and (widths > 0).all()
    with pytest.raises(ValueError, match='n_queries'):
        vit(torch.randn(1, 128, 8, 8))  # 4 patches
    with pytest.raises(ValueError, match='max_patches'):
        vit(torch.randn(1, 128, 20, 20))  # 25 patches
    vit.pad_queries = True
    _, attention = vit(torch.randn(1, 128, 8, 8))
    assert attention.shape == (1, 8, 8, 8)
    assert attention[:, 3:].abs().sum() == 0 and attention[:, :3].abs().sum() > 0


# --------------------------------- encoder -----------------------------------------------
def test_efficientnet_encoder_head_without_norm_act():
    torch.manual_seed(0)
    enc = EfficientNetEncoder(arch='b0', out_indices=(1, 2, 3, 4, 6), head_norm_act=False)
    full = EfficientNetEncoder(arch='b0', out_indices=(5, ), head_norm_act=True)
    enc.eval()  # mmpretrain's train() does not return the module
    full.eval()
    assert enc.level_channels == [16, 24, 40, 112, 1280]
    assert not hasattr(enc.layers[6], 'bn') and hasattr(full.layers[6], 'bn')
    x = torch.randn(1, 3, 64, 64)
    full.load_state_dict(enc.state_dict(), strict=False)
    with torch.no_grad():
        outs = enc(x)
        pre_head = full(x)[0]
    # the last output is the raw 1x1 head convolution of the layer-5 features
    assert torch.allclose(outs[-1], enc.layers[6].conv(pre_head), atol=1e-5)
    assert [o.shape[1] for o in outs] == enc.level_channels


def test_efficientnet_block_map_b5():
    mapping = efficientnet_block_map()
    assert mapping[(0, 2)] == (1, 2) and mapping[(1, 0)] == (2, 0)
    assert mapping[(3, 6)] == (4, 6) and mapping[(4, 0)] == (4, 7)  # stage 4 joins layer 4
    assert mapping[(5, 8)] == (5, 8) and mapping[(6, 2)] == (5, 11)
    with pytest.raises(ValueError, match='length'):
        efficientnet_block_map((1, 2), (1, ))


# --------------------------------- head and model ----------------------------------------
def test_config_hyper_parameters():
    for path, max_depth in ((NYU, 10.0), (KITTI, 80.0)):
        cfg = Config.fromfile(str(path))
        head = cfg.model.decode_head
        assert (head.n_bins, head.min_depth, head.max_depth) == (256, 1e-3, max_depth)
        vit = head.minivit_cfg
        assert (vit.embed_dims, vit.num_layers, vit.patch_size, vit.norm) == (128, 4, 16,
                                                                              'linear')
        assert head.loss_decode.lamb == 0.85 and head.loss_decode.scale == 10.0
        assert head.loss_bins.loss_weight == 0.1


@pytest.fixture(scope='module')
def small_model():
    """The NYU config with EfficientNet-B0 and a 256-wide decoder (same code paths, faster)."""
    cfg = Config.fromfile(str(NYU))
    cfg.model.backbone.arch = 'b0'
    cfg.model.decode_head.in_channels = [16, 24, 40, 112, 1280]
    cfg.model.decode_head.decoder_channels = 256
    return build_depth_model(cfg)


def test_head_forward_loss_predict(small_model):
    model = small_model
    model.train()
    batch = depth_batch(empty_last=True)
    data = model.data_preprocessor(batch, True)
    depth, edges = model._forward(data['inputs'])
    assert depth.shape == (2, 1, 32, 48) and edges.shape == (2, 257)
    assert depth.min() >= 1e-3 and depth.max() <= 10.0
    losses = model(**data, mode='loss')
    assert set(losses) == {'decode.loss_silog', 'decode.loss_bins'}
    sum(losses.values()).backward()
    assert model.decode_head.minivit.regressor[0].weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        out = model(**model.data_preprocessor(batch, False), mode='predict')
    assert out[0].pred_depth_map.data.shape == (1, 64, 96)
    with pytest.raises(ValueError, match='depth_act'):
        MODELS.build(dict(type='AdaBinsHead', depth_act='sigmoid'))


def test_parameter_count_matches_official(model):
    """Official count = the official state dict's parameters (minus BN buffers): 78.26 M."""
    official = sum(math.prod(s) for k, s in official_adabins_shapes().items() if _is_param(k))
    ours = count_params(model)
    # the only difference: the encoder's unused head BN (2 x 2048 affine parameters)
    assert official - ours == 2 * 2048
    # mmpretrain's EfficientNet-B5 without classifier: 28,340,784 (= timm's 30.39 M - fc)
    assert count_params(model.backbone) == 28_340_784 - 2 * 2048
    assert model.backbone.level_channels == [24, 40, 64, 176, 2048]
    assert abs(ours - official) / official < 0.05
    assert abs(ours - PAPER_PARAMS) / PAPER_PARAMS < 0.05


def test_dgr_parameter_and_flop_overhead(model):
    """DGR adds <= 3 % parameters and <= 5 % FLOPs at NYU's 480x640.

    The baseline FLOPs are the figure of ``tools/analysis_tools/get_flops.py
    configs/adabins/adabins_efficientnet-b5_4xb4-80k_nyu-416x544.py --shape 480 640`` (tracing
    the whole model is too slow for a unit test); the DGR blocks are counted here on the
    feature shapes.
    """
    cfg = Config.fromfile(str(DGR_NYU))
    neck = MODELS.build(sync_bn_to_bn(copy.deepcopy(cfg.model.neck))).eval()
    assert isinstance(neck, DGRNeck) and neck.levels == [0, 1, 2, 3, 4]
    assert count_params(neck) / count_params(model) <= 0.03
    feats = [torch.zeros(1, c, 480 // s, 640 // s)
             for c, s in zip([24, 40, 64, 176, 2048], [2, 4, 8, 16, 32], strict=True)]
    with torch.no_grad():
        dgr = module_complexity(neck, (feats, ))
    assert dgr['params'] == count_params(neck)
    assert dgr['flops'] / BASELINE_FLOPS_NYU <= 0.05


# --------------------------------- converter ---------------------------------------------
def test_converter_loads_strictly_and_keeps_values(model, official):
    state = official
    converted, dropped = convert_adabins(state)
    assert sorted(dropped) == sorted(k[len('module.'):] for k in state
                                     if '.bn2.' in k and 'blocks' not in k)
    missing, unexpected = model.load_state_dict(converted, strict=True)
    assert not missing and not unexpected
    own = model.state_dict()
    src = 'module.encoder.original_model.blocks.4.0.conv_pwl.weight'
    assert torch.equal(own['backbone.layers.4.7.linear_conv.conv.weight'], state[src])
    assert torch.equal(own['decode_head.up_blocks.2.conv2.bn.running_var'],
                       state['module.decoder.up3._net.4.running_var'])
    assert torch.equal(own['decode_head.minivit.pos_embed'],
                       state['module.adaptive_bins_layer.patch_transformer.positional_encodings'])
    # legacy names accepted by the official loader
    legacy = {k.replace('adaptive_bins_layer.conv3x3.', 'adaptive_bins_layer.embedding_conv.'): v
              for k, v in state.items()}
    assert set(convert_adabins(legacy)[0]) == set(converted)
    with pytest.raises(KeyError, match='unexpected'):
        convert_adabins({'decoder.up9.foo.weight': torch.zeros(1)})


def test_converter_into_dgr_model_misses_only_dgr_keys(official):
    cfg = Config.fromfile(str(DGR_NYU))
    cfg.model.decode_head.loss_decode = [dict(type='DepthMSELoss')]  # loss has no weights
    dgr_model = build_depth_model(cfg)
    missing, unexpected = dgr_model.load_state_dict(convert_adabins(official)[0], strict=False)
    assert not unexpected
    assert missing and all(k.startswith('neck.') for k in missing)


def test_converter_cli(tmp_path):
    sys.path.insert(0, str(REPO_ROOT / 'tools' / 'model_converters'))
    import adabins2mmdepth
    src, dst = tmp_path / 'AdaBins_nyu.pt', tmp_path / 'out.pth'
    subset = {k: torch.zeros(s) for k, s in official_adabins_shapes().items()
              if k.startswith(('encoder.original_model.conv_head', 'conv_out'))}
    torch.save({'model': subset, 'optimizer': {}, 'epoch': 24}, src)
    adabins2mmdepth.main([str(src), str(dst)])
    ckpt = torch.load(dst, map_location='cpu')
    assert set(ckpt['state_dict']) == {'backbone.layers.6.conv.weight',
                                       'decode_head.conv_out.weight', 'decode_head.conv_out.bias'}


# --------------------------------- tools/test.py on synthetic data -----------------------
def test_library_test_runs_on_synthetic_nyu(tmp_path, model, nyu_eval_root):
    from mmdepth_dgr.engine import test, test_config
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    options = dataloader_options(nyu_eval_root)
    options.update({'model.backbone.init_cfg': None,
                    'model.backbone.norm_cfg.type': 'BN', 'model.decode_head.norm_cfg.type': 'BN'})
    metrics = test(test_config(str(NYU), str(ckpt), work_dir=str(tmp_path / 'work'),
                               cfg_options=options))
    assert {'abs_rel', 'rmse', 'd1'} <= set(metrics)
    assert all(math.isfinite(v) for v in metrics.values())
