"""The two DepthFormers of Tables 2-3: Li et al.'s (Swin-L + conv stem, HAHI, DenseDepth decoder)
and Agarwal & Arora's ICIP'22 one (MiT-b4, Transbins); converters, configs, counts, test run."""
import importlib.util
import math

import pytest
import torch
from mmcv.ops import MultiScaleDeformableAttention
from mmengine.config import Config
from mmseg.models.backbones import MixVisionTransformer, SwinTransformer
from mmseg.registry import MODELS

from mmdepth_dgr.analysis import model_complexity
from mmdepth_dgr.models.converters import convert_depthformer_hahi, convert_depthformer_transbins
from mmdepth_dgr.models.converters.depthformer import convert_official_mit
from mmdepth_dgr.models.necks.hahi_neck import level_reference_points, sine_positional_encoding
from mmdepth_dgr.testing import (
    REPO_ROOT,
    build_depth_model,
    depth_samples,
    evaluate_with_random_weights,
    random_state_dict,
)

CONFIGS = REPO_ROOT / 'configs'
HAHI = {'nyu': CONFIGS / 'depthformer/depthformer-hahi_swin-l_4xb4-80k_nyu-416x544.py',
        'kitti': CONFIGS / 'depthformer/depthformer-hahi_swin-l_4xb4-80k_kitti-352x704.py'}
TRANSBINS = {
    'nyu': CONFIGS / 'depthformer/depthformer-transbins_mit-b4_4xb4-80k_nyu-416x544.py',
    'kitti': CONFIGS / 'depthformer/depthformer-transbins_mit-b4_4xb4-80k_kitti-352x704.py'}
DGR = {'nyu': CONFIGS / 'dgr/depthformer-transbins-dgr_mit-b4_4xb4-80k_nyu-416x544.py',
       'kitti': CONFIGS / 'dgr/depthformer_dgr_kitti.py'}

# ICIP'22 DepthFormer (ashutosh1807/Depthformer, UnetAdaptiveBins with mit_b4, 256 bins): total
# of the official model, obtained by building its models/unet_adaptive_bins.py. 304,576 of them
# belong to DecoderBN's conv_transpose2/conv3/conv4/regressor, which its forward never uses.
OFFICIAL_TRANSBINS_PARAMS = 75_454_080
UNUSED_DECODER = (64 * 64 * 4 + 64) + 2 * (64 * 64 * 9 + 64 + 2 * 64) + (64 * 256 + 256) \
    + 3 * (256 * 256 + 256)

LEVELS = [8, 16, 32, 64, 128]  # DepthFormerSwin with embed_dims 16 and an 8-channel stem
SMALL_NECK = dict(type='DepthFormerHAHINeck', in_channels=LEVELS, out_channels=LEVELS,
                  embed_dims=32, num_heads=4, num_points=2)
SMALL_DENSE = dict(type='DepthFormerDenseHead', in_channels=LEVELS, channels=8, min_depth=1e-3,
                   max_depth=80.0, loss_decode=dict(type='ScaleInvariantLoss', lamb=0.85,
                                                    use_sqrt=True, reduction='batch'))
SMALL_SWIN = dict(type='DepthFormerSwin', embed_dims=16, depths=[2, 2, 2, 2],
                  num_heads=[1, 2, 4, 8], window_size=7, drop_path_rate=0.0, stem_channels=8)
SMALL_MIT = dict(type='MixVisionTransformer', embed_dims=8, num_layers=[1, 1, 1, 1],
                 num_heads=[1, 2, 4, 8], sr_ratios=[8, 4, 2, 1])
SMALL_TRANSBINS = dict(type='DepthFormerTransbinsHead', in_channels=[8, 16, 32, 64], channels=16,
                       n_bins=12, minivit_cfg=dict(n_queries=4, patch_size=4, embed_dims=16,
                                                   num_layers=1, feedforward_channels=32,
                                                   pad_queries=True),
                       min_depth=1e-3, max_depth=10.0,
                       loss_decode=dict(type='ScaleInvariantLoss', lamb=0.5, use_sqrt=True,
                                        scale=10.0, reduction='batch'))


def _mmcv1_sine_encoding(mask, num_feats, temperature=10000):
    """mmcv 1.x ``SinePositionalEncoding(normalize=False)`` as written there (reference)."""
    not_mask = 1 - mask.to(torch.int)
    y_embed = not_mask.cumsum(1, dtype=torch.float32)
    x_embed = not_mask.cumsum(2, dtype=torch.float32)
    dim_t = torch.arange(num_feats, dtype=torch.float32)
    dim_t = temperature**(2 * (dim_t // 2) / num_feats)
    pos_x, pos_y = x_embed[..., None] / dim_t, y_embed[..., None] / dim_t
    b, h, w = mask.shape
    pos_x = torch.stack((pos_x[..., 0::2].sin(), pos_x[..., 1::2].cos()), dim=4).view(b, h, w, -1)
    pos_y = torch.stack((pos_y[..., 0::2].sin(), pos_y[..., 1::2].cos()), dim=4).view(b, h, w, -1)
    return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)


# ------------------------------------------------------------------------ HAHI neck
def test_sine_encoding_matches_mmcv1():
    ref = _mmcv1_sine_encoding(torch.zeros(1, 5, 7, dtype=torch.bool), 16)[0]
    assert torch.allclose(sine_positional_encoding(5, 7, 16), ref, atol=1e-6)
    with pytest.raises(ValueError, match='even'):
        sine_positional_encoding(2, 2, 7)


def test_reference_points_are_pixel_centres():
    pts = level_reference_points([(2, 4), (1, 2)])
    assert pts.shape == (10, 2)
    assert torch.allclose(pts[0], torch.tensor([0.125, 0.25]))  # (x, y) of pixel (0, 0)
    assert torch.allclose(pts[5], torch.tensor([0.375, 0.75]))  # pixel (1, 1) of level 0
    assert torch.allclose(pts[9], torch.tensor([0.75, 0.5]))


def test_hahi_neck_runs_mmcv_deformable_attention_on_cpu():
    torch.manual_seed(0)
    neck = MODELS.build(SMALL_NECK)
    neck.init_weights()
    assert isinstance(neck.self_attn, MultiScaleDeformableAttention)
    assert isinstance(neck.cross_attn, MultiScaleDeformableAttention)
    feats = [torch.randn(2, c, 32 // 2**i, 48 // 2**i, requires_grad=True)
             for i, c in enumerate(LEVELS)]
    outs = neck(feats)
    assert [tuple(o.shape) for o in outs] == [tuple(f.shape) for f in feats]
    sum(o.mean() for o in outs).backward()
    for attn in (neck.self_attn, neck.cross_attn):
        assert all(torch.isfinite(p.grad).all() for p in attn.parameters())
    assert feats[1].grad.abs().sum() > 0 and feats[0].grad.abs().sum() > 0


def test_hahi_cross_attention_reaches_the_transformer_levels():
    """Without HI the conv output ignores the Transformer levels; with it, it depends on them."""
    torch.manual_seed(0)
    for cross, expect in ((False, False), (True, True)):
        neck = MODELS.build(dict(SMALL_NECK, cross_attn=cross)).eval()
        neck.init_weights()
        feats = [torch.randn(1, c, 16 // 2**i, 16 // 2**i, requires_grad=True)
                 for i, c in enumerate(LEVELS)]
        neck(feats)[0].sum().backward()
        assert (feats[3].grad is not None and feats[3].grad.abs().sum() > 0) == expect


def test_hahi_neck_rejects_bad_arguments():
    with pytest.raises(ValueError, match='same length'):
        MODELS.build(dict(SMALL_NECK, out_channels=LEVELS[:4]))
    with pytest.raises(ValueError, match='levels'):
        MODELS.build(SMALL_NECK)(torch.zeros(1))


# --------------------------------------------------------------- backbone and heads
def test_depthformer_swin_adds_the_stem_level():
    swin = MODELS.build(SMALL_SWIN)
    outs = swin(torch.randn(1, 3, 64, 96))
    assert [tuple(o.shape[1:]) for o in outs] == [(8, 32, 48), (16, 16, 24), (32, 8, 12),
                                                  (64, 4, 6), (128, 2, 3)]
    assert {'conv1.weight', 'bn1.weight', 'bn1.running_var'} <= set(swin.state_dict())


def test_dense_head_predicts_at_the_finest_level():
    torch.manual_seed(0)
    head = MODELS.build(SMALL_DENSE)
    feats = [torch.randn(2, c, 32 // 2**i, 48 // 2**i) for i, c in enumerate(LEVELS)]
    depth = head(feats)
    assert depth.shape == (2, 1, 32, 48) and (depth >= 1e-3).all()  # ReLU + min_depth
    gt = torch.rand(2, 1, 64, 96) * 70 + 1
    losses = head.loss_by_feat(depth, depth_samples(gt))
    losses['loss_si'].backward()
    with pytest.raises(ValueError, match='up_channels'):
        MODELS.build(dict(SMALL_DENSE, channels=16))


def test_transbins_head_bins_loss_and_unused_range_attention():
    torch.manual_seed(0)
    head = MODELS.build(SMALL_TRANSBINS)
    feats = [torch.randn(2, c, 16 // 2**i, 24 // 2**i) for i, c in enumerate([8, 16, 32, 64])]
    depth, edges = head(feats)
    assert depth.shape == (2, 1, 32, 48)  # 1/2 of a 64x96 input
    assert edges.shape == (2, 13) and (edges.diff(dim=1) > 0).all()
    assert torch.allclose(edges[:, 0], torch.tensor(1e-3)) and torch.allclose(
        edges[:, -1], torch.tensor(10.0))
    assert (depth >= 1e-3).all() and (depth <= 10.0).all()
    gt = torch.rand(2, 1, 64, 96) * 9 + 0.5
    losses = head.loss_by_feat((depth, edges), depth_samples(gt))
    assert set(losses) == {'loss_si', 'loss_bins'}
    sum(losses.values()).backward()
    assert head.minivit.conv3x3.weight.grad is None  # only feeds the discarded attention maps
    assert head.conv_out.weight.grad is not None and head.minivit.regressor[0].weight.grad \
        is not None
    pred = head.predict_by_feat((depth, edges), [dict(img_shape=(64, 96), pad_shape=(64, 96))])
    assert pred.shape == (2, 1, 64, 96)


# -------------------------------------------------------------------------- converters
def official_hahi_shapes(levels, embed, heads, points):
    """Keys/shapes of the toolbox's HAHIHeteroNeck + DenseDepthHead (depth/models/necks/hahi.py,
    decode_heads/densedepth_head.py) for in = out = up channels ``levels``."""
    s = {}

    def conv_bn(prefix, c_out, c_in, k):
        s[f'{prefix}.conv.weight'] = (c_out, c_in, k, k)
        for n in ('weight', 'bias', 'running_mean', 'running_var'):
            s[f'{prefix}.bn.{n}'] = (c_out,)
        s[f'{prefix}.bn.num_batches_tracked'] = ()

    for i, c in enumerate(levels):
        conv_bn(f'neck.lateral_convs.{i}', c, c, 1)
    for i, c in enumerate(levels[1:]):
        conv_bn(f'neck.trans_proj.{i}', embed, c, 1)
        conv_bn(f'neck.trans_fusion.{i}', c, c + embed, 3)
    conv_bn('neck.conv_proj.0', embed, levels[0], 1)
    conv_bn('neck.conv_fusion.0', levels[0], levels[0] + embed, 3)
    s.update({'neck.reference_points.weight': (2, embed), 'neck.reference_points.bias': (2,),
              'neck.level_embed': (len(levels) - 1, embed)})
    samples = heads * (len(levels) - 1) * points
    for attn in ('multi_att', 'self_attn'):
        s.update({f'neck.{attn}.sampling_offsets.weight': (samples * 2, embed),
                  f'neck.{attn}.sampling_offsets.bias': (samples * 2,),
                  f'neck.{attn}.attention_weights.weight': (samples, embed),
                  f'neck.{attn}.attention_weights.bias': (samples,),
                  f'neck.{attn}.value_proj.weight': (embed, embed),
                  f'neck.{attn}.value_proj.bias': (embed,),
                  f'neck.{attn}.output_proj.weight': (embed, embed),
                  f'neck.{attn}.output_proj.bias': (embed,)})
    rev = levels[::-1]
    s['decode_head.conv_list.0.conv.weight'] = (rev[0], rev[0], 1, 1)
    s['decode_head.conv_list.0.conv.bias'] = (rev[0],)
    for k in range(1, len(rev)):
        p = f'decode_head.conv_list.{k}.'
        s.update({p + 'convA.conv.weight': (rev[k], rev[k] + rev[k - 1], 3, 3),
                  p + 'convA.conv.bias': (rev[k],), p + 'convB.conv.weight': (rev[k], rev[k], 3, 3),
                  p + 'convB.conv.bias': (rev[k],)})
    s.update({'decode_head.conv_depth.weight': (1, levels[0], 3, 3),
              'decode_head.conv_depth.bias': (1,)})
    return s


def official_mit_shapes(embed, layers, heads, srs, patch=(7, 3, 3, 3)):
    """Keys/shapes of SegFormer's MixVisionTransformer (mix_transformer.py), no head."""
    s, c_in = {}, 3
    for i, (n, h, sr) in enumerate(zip(layers, heads, srs, strict=True)):
        c = embed * h
        p = f'patch_embed{i + 1}.'
        s.update({p + 'proj.weight': (c, c_in, patch[i], patch[i]), p + 'proj.bias': (c,),
                  p + 'norm.weight': (c,), p + 'norm.bias': (c,)})
        for j in range(n):
            b = f'block{i + 1}.{j}.'
            s.update({b + 'norm1.weight': (c,), b + 'norm1.bias': (c,),
                      b + 'attn.q.weight': (c, c), b + 'attn.q.bias': (c,),
                      b + 'attn.kv.weight': (2 * c, c), b + 'attn.kv.bias': (2 * c,),
                      b + 'attn.proj.weight': (c, c), b + 'attn.proj.bias': (c,),
                      b + 'norm2.weight': (c,), b + 'norm2.bias': (c,),
                      b + 'mlp.fc1.weight': (4 * c, c), b + 'mlp.fc1.bias': (4 * c,),
                      b + 'mlp.dwconv.dwconv.weight': (4 * c, 1, 3, 3),
                      b + 'mlp.dwconv.dwconv.bias': (4 * c,),
                      b + 'mlp.fc2.weight': (c, 4 * c), b + 'mlp.fc2.bias': (c,)})
            if sr > 1:
                s.update({b + 'attn.sr.weight': (c, c, sr, sr), b + 'attn.sr.bias': (c,),
                          b + 'attn.norm.weight': (c,), b + 'attn.norm.bias': (c,)})
        s.update({f'norm{i + 1}.weight': (c,), f'norm{i + 1}.bias': (c,)})
        c_in = c
    return s


def official_transbins_shapes(mit, chans, bins, n_queries, patch, embed, ffn, positions):
    """Keys/shapes of the ICIP'22 UnetAdaptiveBins (unet_adaptive_bins.py, miniViT.py,
    layers.py) with decoder widths ``chans`` = MiT widths and 128 output channels."""
    s = {f'encoder.model1.{k}': v for k, v in official_mit_shapes(**mit).items()}
    c1, c2, c3, c4 = chans

    def conv_bn_seq(prefix, idx, c_out, c_in):
        s[f'{prefix}.{idx}.weight'] = (c_out, c_in, 3, 3)
        s[f'{prefix}.{idx}.bias'] = (c_out,)
        for n in ('weight', 'bias', 'running_mean', 'running_var'):
            s[f'{prefix}.{idx + 1}.{n}'] = (c_out,)
        s[f'{prefix}.{idx + 1}.num_batches_tracked'] = ()

    conv_bn_seq('decoder.conv1', 0, c4, c4)
    for k, (c_up, c_skip) in enumerate(((c4, c3), (c3, c2), (c2, c1)), start=1):
        conv_bn_seq(f'decoder.up{k}._net', 0, c_skip, c_up + c_skip)
        conv_bn_seq(f'decoder.up{k}._net', 3, c_skip, c_skip)
        s[f'decoder.up{k}.conv_transpose.weight'] = (c_up, c_up, 2, 2)
        s[f'decoder.up{k}.conv_transpose.bias'] = (c_up,)
    out = c2  # DecoderBN.conv2 widens in_channels[0] to in_channels[1] (128 for MiT-b4)
    s.update({'decoder.conv_transpose1.weight': (c1, c1, 2, 2), 'decoder.conv_transpose1.bias':
              (c1,), 'decoder.conv_transpose2.weight': (c1, c1, 2, 2),
              'decoder.conv_transpose2.bias': (c1,)})
    conv_bn_seq('decoder.conv2', 0, out, c1)
    conv_bn_seq('decoder.conv2', 3, out, out)
    conv_bn_seq('decoder.conv3', 0, c1, c1)
    conv_bn_seq('decoder.conv3', 3, c1, c1)
    s.update({'decoder.conv4.0.weight': (256, c1, 1, 1), 'decoder.conv4.0.bias': (256,)})
    for k in (0, 2, 4):
        s[f'decoder.regressor.{k}.weight'] = (256, 256)
        s[f'decoder.regressor.{k}.bias'] = (256,)
    a = 'adaptive_bins_layer.'
    s.update({a + 'patch_transformer.positional_encodings': (positions, embed),
              a + 'patch_transformer.embedding_convPxP.weight': (embed, out, patch, patch),
              a + 'patch_transformer.embedding_convPxP.bias': (embed,),
              a + 'conv3x3.weight': (embed, out, 3, 3), a + 'conv3x3.bias': (embed,),
              a + 'regressor.0.weight': (256, embed), a + 'regressor.0.bias': (256,),
              a + 'regressor.2.weight': (256, 256), a + 'regressor.2.bias': (256,),
              a + 'regressor.4.weight': (bins, 256), a + 'regressor.4.bias': (bins,),
              'conv_out.0.weight': (bins, out, 1, 1), 'conv_out.0.bias': (bins,)})
    for i in range(4):
        p = f'{a}patch_transformer.transformer_encoder.layers.{i}.'
        s.update({p + 'self_attn.in_proj_weight': (3 * embed, embed),
                  p + 'self_attn.in_proj_bias': (3 * embed,),
                  p + 'self_attn.out_proj.weight': (embed, embed),
                  p + 'self_attn.out_proj.bias': (embed,), p + 'linear1.weight': (ffn, embed),
                  p + 'linear1.bias': (ffn,), p + 'linear2.weight': (embed, ffn),
                  p + 'linear2.bias': (embed,), p + 'norm1.weight': (embed,),
                  p + 'norm1.bias': (embed,), p + 'norm2.weight': (embed,),
                  p + 'norm2.bias': (embed,)})
    return s


def test_hahi_checkpoint_converts_and_loads_strictly():
    plain = {k: v for k, v in SMALL_SWIN.items() if k != 'stem_channels'}
    swin = MODELS.build(dict(plain, type='SwinTransformer'))
    official = {f'backbone.{k}': v for k, v in swin.state_dict().items()}  # mmseg 0.x layout
    official.update({'backbone.conv1.weight': torch.randn(8, 3, 7, 7)})
    official.update({f'backbone.bn1.{n}': torch.rand(8) for n in ('weight', 'bias',
                                                                   'running_mean', 'running_var')})
    official['backbone.bn1.num_batches_tracked'] = torch.tensor(3)
    official.update(random_state_dict(official_hahi_shapes(LEVELS, 32, 4, 2)))
    converted = convert_depthformer_hahi({f'module.{k}': v for k, v in official.items()})
    model = MODELS.build(dict(type='DepthEstimator', backbone=SMALL_SWIN, neck=SMALL_NECK,
                              decode_head=SMALL_DENSE))
    model.load_state_dict(converted, strict=True)
    assert torch.equal(model.neck.cross_attn.value_proj.weight,
                       official['neck.multi_att.value_proj.weight'])
    assert torch.equal(model.decode_head.up_blocks[0].conv1.conv.weight,
                       official['decode_head.conv_list.1.convA.conv.weight'])
    with pytest.raises(KeyError, match='unknown key'):
        convert_depthformer_hahi({'optimizer.x': torch.zeros(1)})

    # the same weights laid out for the DGR model (SequentialNeck([DGRNeck, HAHI]))
    dgr = MODELS.build(dict(type='DepthEstimator', backbone=SMALL_SWIN, decode_head=SMALL_DENSE,
                            neck=dict(type='SequentialNeck', necks=[
                                dict(type='DGRNeck', in_channels=LEVELS, levels=(1, 2, 3, 4)),
                                SMALL_NECK])))
    result = dgr.load_state_dict(convert_depthformer_hahi(official, neck_prefix='neck.necks.1.'),
                                 strict=False)
    assert not result.unexpected_keys
    assert result.missing_keys and all(k.startswith('neck.necks.0.') for k in result.missing_keys)


def test_converter_cli(tmp_path):
    """tools/model_converters/depthformer2mmdepth.py writes a loadable mmengine checkpoint."""
    spec = importlib.util.spec_from_file_location(
        'depthformer2mmdepth', REPO_ROOT / 'tools/model_converters/depthformer2mmdepth.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    mit = dict(embed=8, layers=[1, 1, 1, 1], heads=[1, 2, 4, 8], srs=[8, 4, 2, 1])
    official = random_state_dict(official_transbins_shapes(mit, [8, 16, 32, 64], 12, 4, 4, 16, 32,
                                                       1500))
    torch.save({'model': official, 'optimizer': {}, 'epoch': 3}, tmp_path / 'official.pt')
    cli.main(['transbins', str(tmp_path / 'official.pt'), str(tmp_path / 'converted.pth')])
    converted = torch.load(tmp_path / 'converted.pth', weights_only=True)['state_dict']
    assert converted.keys() == convert_depthformer_transbins(official).keys()
    with pytest.raises(SystemExit):
        cli.main(['transbins', str(tmp_path / 'official.pt'), str(tmp_path / 'x.pth'), '--dgr'])


def test_transbins_checkpoint_converts_and_loads_strictly():
    mit = dict(embed=8, layers=[1, 1, 1, 1], heads=[1, 2, 4, 8], srs=[8, 4, 2, 1])
    shapes = official_transbins_shapes(mit, [8, 16, 32, 64], 12, 4, 4, 16, 32, 1500)
    official = random_state_dict(shapes)
    converted = convert_depthformer_transbins({f'module.{k}': v for k, v in official.items()})
    head = dict(SMALL_TRANSBINS, minivit_cfg=dict(SMALL_TRANSBINS['minivit_cfg'], num_layers=4,
                                                  max_patches=1500))
    model = MODELS.build(dict(type='DepthEstimator', backbone=SMALL_MIT, decode_head=head))
    model.load_state_dict(converted, strict=True)
    q, kv = official['encoder.model1.block2.0.attn.q.weight'], official[
        'encoder.model1.block2.0.attn.kv.weight']
    assert torch.equal(model.backbone.layers[1][1][0].attn.attn.in_proj_weight,
                       torch.cat([q, kv]))
    assert not any('regressor' in k and 'minivit' not in k for k in converted)
    with pytest.raises(KeyError, match='without'):
        convert_official_mit({'block1.0.attn.q.weight': torch.zeros(1)})
    with pytest.raises(KeyError, match='unknown'):
        convert_official_mit({'cls_token': torch.zeros(1)})


def test_mit_converter_keeps_the_function():
    """Official MiT attention (q, kv, proj) == mmseg's after the merge of q and kv."""
    torch.manual_seed(0)
    mit = MixVisionTransformer(embed_dims=8, num_layers=[1, 1, 1, 1], num_heads=[1, 2, 4, 8])
    official = random_state_dict(official_mit_shapes(8, [1, 1, 1, 1], [1, 2, 4, 8], [8, 4, 2, 1]))
    mit.load_state_dict(convert_official_mit(official), strict=True)
    blk = mit.layers[3][1][0]  # last stage: sr 1, plain multi-head attention
    x = torch.randn(1, 6, 64)
    q = x @ official['block4.0.attn.q.weight'].T + official['block4.0.attn.q.bias']
    kv = x @ official['block4.0.attn.kv.weight'].T + official['block4.0.attn.kv.bias']
    k, v = kv[..., :64], kv[..., 64:]
    heads = lambda t: t.view(1, 6, 8, 8).transpose(1, 2)  # noqa: E731
    att = torch.softmax(heads(q) @ heads(k).transpose(-1, -2) / math.sqrt(8), -1) @ heads(v)
    ref = att.transpose(1, 2).reshape(1, 6, 64) @ official['block4.0.attn.proj.weight'].T \
        + official['block4.0.attn.proj.bias']
    out = blk.attn(x, (2, 3), identity=torch.zeros_like(x))
    assert torch.allclose(out, ref, rtol=1e-4, atol=1e-3)


def test_segformer_mit_takes_segformer_layernorm_eps():
    """SegFormer's own MiT: eps 1e-5 in the patch embeddings and sr norms, 1e-6 elsewhere."""
    from mmdepth_dgr.models.backbones import DGRBackbone, SegFormerMiT, backbone_kind
    cfg = dict(SMALL_MIT, init_cfg=None)
    cfg.pop('type')
    plain = SegFormerMiT(**cfg)
    assert all(m.eps == 1e-6 for m in plain.modules() if isinstance(m, torch.nn.LayerNorm))
    mit = SegFormerMiT(patch_norm_eps=1e-5, sr_norm_eps=1e-5, **cfg)
    changed = {n for n, m in mit.named_modules() if isinstance(m, torch.nn.LayerNorm)
               and m.eps == 1e-5}
    assert changed == {f'layers.{i}.0.norm' for i in range(4)} | {
        f'layers.{i}.1.0.attn.norm' for i in range(3)}  # the last stage has sr_ratio 1
    others = [m.eps for n, m in mit.named_modules() if isinstance(m, torch.nn.LayerNorm)
              and n not in changed]
    assert others and set(others) == {1e-6}
    # same parameters as mmseg's MiT; the default is mmseg's computation
    torch.manual_seed(0)
    ref = MixVisionTransformer(**cfg)
    plain.load_state_dict(ref.state_dict(), strict=True)
    mit.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(plain(x), ref(x), strict=True))
        assert not torch.equal(mit(x)[0], ref(x)[0])
    assert backbone_kind(mit) == 'mit'  # DGRBackbone refines it as a MiT
    DGRBackbone(dict(cfg, type='SegFormerMiT', patch_norm_eps=1e-5))
    with pytest.raises(ValueError, match='patch_norm_eps'):
        SegFormerMiT(patch_norm_eps=0.0, **cfg)
    for path in TRANSBINS.values():
        backbone = Config.fromfile(str(path)).model.backbone
        assert (backbone.type, backbone.patch_norm_eps, backbone.sr_norm_eps) == (
            'SegFormerMiT', 1e-5, 1e-5)


# ------------------------------------------------------------------ configs and counts
def test_hahi_param_count_matches_official_architecture():
    """Count of the released Swin-L model, from the official modules' arithmetic."""
    model = build_depth_model(HAHI['kitti'])
    swin = SwinTransformer(pretrain_img_size=224, embed_dims=192, window_size=7,
                           depths=[2, 2, 18, 2], num_heads=[6, 12, 24, 48])
    levels, e, samples = [64, 192, 384, 768, 1536], 512, 8 * 4 * 8
    stem = 3 * 64 * 49 + 2 * 64

    def conv_bn(c_in, c_out, k):
        return c_in * c_out * k * k + 2 * c_out

    hahi = sum(conv_bn(c, c, 1) for c in levels)
    hahi += sum(conv_bn(c, e, 1) + conv_bn(c + e, c, 3) for c in levels[1:])
    hahi += conv_bn(64, e, 1) + conv_bn(64 + e, 64, 3) + (2 * e + 2) + 4 * e
    hahi += 2 * ((e * samples * 2 + samples * 2) + (e * samples + samples) + 2 * (e * e + e))
    rev = levels[::-1]
    head = rev[0] * rev[0] + rev[0] + 64 * 9 + 1
    head += sum((rev[k] + rev[k - 1]) * rev[k] * 9 + rev[k] + rev[k] * rev[k] * 9 + rev[k]
                for k in range(1, 5))
    official = sum(p.numel() for p in swin.parameters()) + stem + hahi + head
    ours = sum(p.numel() for p in model.parameters())
    assert ours == official == 273_732_631
    assert sum(p.numel() for p in model.neck.parameters()) == hahi


def test_transbins_param_count_matches_official():
    model = build_depth_model(TRANSBINS['nyu'])
    ours = sum(p.numel() for p in model.parameters())
    assert ours + UNUSED_DECODER == OFFICIAL_TRANSBINS_PARAMS
    assert abs(ours - OFFICIAL_TRANSBINS_PARAMS) / OFFICIAL_TRANSBINS_PARAMS < 0.05


def test_configs_pick_the_depthformer_behind_each_table():
    kitti, nyu = Config.fromfile(str(DGR['kitti'])), Config.fromfile(str(DGR['nyu']))
    assert kitti.model.backbone.type == 'DepthFormerSwin'  # Table 3: Li et al.
    assert [n.type for n in kitti.model.neck.necks] == ['DGRNeck', 'DepthFormerHAHINeck']
    assert kitti.model.neck.necks[0].levels == (1, 2, 3, 4)  # the Swin levels only
    assert nyu.model.decode_head.type == 'DepthFormerTransbinsHead'  # Table 2: ICIP'22
    assert nyu.model.neck.in_channels == [64, 128, 320, 512]
    for cfg in (kitti, nyu):
        assert [lo.type for lo in cfg.model.decode_head.loss_decode] == ['DepthMSELoss',
                                                                         'OTDLLoss']
    li = Config.fromfile(str(HAHI['nyu'])).model
    assert (li.neck.embed_dims, li.neck.num_heads, li.neck.num_points) == (512, 8, 8)
    assert li.decode_head.loss_decode.lamb == 0.85 and li.decode_head.loss_decode.scale == 1.0
    icip = Config.fromfile(str(TRANSBINS['kitti'])).model.decode_head
    assert (icip.n_bins, icip.max_depth, icip.loss_decode.lamb) == (256, 80.0, 0.5)


@pytest.mark.parametrize('ds', ['kitti', 'nyu'])
def test_dgr_overhead_within_goals(ds):
    """DGR adds <= 3% parameters and <= 5% FLOPs (FLOPs at a reduced 128x160 input).

    The DGR blocks are inserted without changing anything else, so the baseline's counts are
    the DGR model's minus the DGR blocks' share (one analysis instead of two).
    """
    result = model_complexity(str(DGR[ds]), (128, 160))
    base_params = result['params'] - result['dgr_params']
    base_flops = result['flops'] - result['dgr_flops']
    assert result['dgr_params'] > 0 and result['dgr_flops'] > 0
    assert result['dgr_params'] <= 0.03 * base_params
    assert result['dgr_flops'] <= 0.05 * base_flops
    baseline = HAHI[ds] if ds == 'kitti' else TRANSBINS[ds]
    assert base_params == sum(p.numel() for p in build_depth_model(baseline).parameters())


# ------------------------------------------------------------------- synthetic test run
def test_tools_test_runs_dgr_kitti_on_synthetic_data(tmp_path, synthetic_trees):
    """The first config users run, narrowed, evaluates on generated KITTI-like frames."""
    data_root = synthetic_trees.get('kitti', num_train=0, num_test=3, height=120, width=400,
                                    seed=0)
    cfg = Config.fromfile(str(DGR['kitti']))
    cfg.model.backbone = dict(SMALL_SWIN, init_cfg=None)
    cfg.model.neck.necks = [dict(type='DGRNeck', in_channels=LEVELS, levels=(1, 2, 3, 4)),
                            SMALL_NECK]
    cfg.model.decode_head = dict(SMALL_DENSE, loss_decode=cfg.model.decode_head.loss_decode)
    kb_crop = {'test_dataloader.dataset.pipeline.2.height': 96,  # KBCrop for the small frames
               'test_dataloader.dataset.pipeline.2.width': 320}
    metrics = evaluate_with_random_weights(cfg, 'depthformer_small_dgr_kitti', data_root,
                                           tmp_path, cfg_options=kb_crop)
    assert {'abs_rel', 'rmse', 'd1'} <= set(metrics)
    assert all(torch.isfinite(torch.tensor(float(v))) for v in metrics.values())


def test_tools_test_runs_dgr_nyu_on_synthetic_data(tmp_path, nyu_eval_root):
    """The Table 2 config (ICIP'22 DepthFormer + DGR), narrowed, evaluates on generated NYU."""
    data_root = nyu_eval_root
    cfg = Config.fromfile(str(DGR['nyu']))
    cfg.model.backbone = dict(SMALL_MIT, init_cfg=None)
    cfg.model.neck.in_channels = [8, 16, 32, 64]
    cfg.model.decode_head = dict(SMALL_TRANSBINS, loss_decode=cfg.model.decode_head.loss_decode)
    metrics = evaluate_with_random_weights(cfg, 'depthformer_small_dgr_nyu', data_root, tmp_path)
    assert {'abs_rel', 'rmse', 'd1'} <= set(metrics)
