"""TransDepth (Yang et al., ICCV'21): R50+ViT-B/16 hybrid encoder, AGD, BTS decoder, SILog."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmseg.registry import MODELS

from mmdepth_dgr.analysis import model_complexity
from mmdepth_dgr.models.backbones.vit_hybrid import (
    ViTHybrid,
    pad_to,
    resize_pos_embed,
    standardize_weight,
    tf_same_pad,
)
from mmdepth_dgr.models.converters.transdepth import convert_transdepth_checkpoint
from mmdepth_dgr.models.converters.vit_hybrid import (
    convert_vit_hybrid_checkpoint,
    detect_vit_hybrid_layout,
    npz_to_vit_hybrid,
    timm_to_vit_hybrid,
)
from mmdepth_dgr.models.decode_heads.transdepth_head import (
    AttentionGatedMessage,
    BTSReduction,
    TransDepthHead,
    apply_pixel_kernels,
    local_planar_guidance,
    plane_params_to_equation,
    structured_attention,
    unfold_neighbours,
)
from mmdepth_dgr.models.losses import ScaleInvariantLoss
from mmdepth_dgr.testing import (
    EVAL_TREES,
    REPO_ROOT,
    build_depth_model,
    count_params,
    evaluate_with_random_weights,
)

CONFIGS = REPO_ROOT / 'configs'
BASELINE = {'nyu': CONFIGS / 'transdepth' / 'transdepth_r50-vit-b16_4xb2-151k_nyu-416x544.py',
            'kitti': CONFIGS / 'transdepth' / 'transdepth_r50-vit-b16_4xb4-72k_kitti-352x704.py'}
DGR = {'nyu': CONFIGS / 'dgr' / 'transdepth-dgr_r50-vit-b16_4xb2-151k_nyu-416x544.py',
       'kitti': CONFIGS / 'dgr' / 'transdepth-dgr_r50-vit-b16_4xb4-72k_kitti-352x704.py'}
# Parameters of the official model (ygjwd12345/TransDepth, pytorch/bts.py ``BtsModel`` with
# R50-ViT-B_16, bts_size 512), counted as its bts_main.py prints them: sum of numel over
# model.parameters(). Obtained by building the official modules (encoder ViT_seg, bts decoder,
# AttentionGraphCondKernel) with their published configuration; see configs/transdepth/README.md.
OFFICIAL_TRANSDEPTH_PARAMS = 247_399_587
UNUSED_TRANSUNET_BLOCKS = 3_847_232  # encoder.decoder.blocks: built, never run in forward
# a narrow TransDepth for the functional tests (the real one has 243.6M parameters)
SMALL_BACKBONE = dict(type='ViTHybrid', stage_blocks=(1, 1, 1), num_layers=1, embed_dims=64,
                      num_heads=2, out_indices=(-1, ), proj_gn_per_channel=True)
SMALL_HEAD = dict(type='TransDepthHead', in_channels=[64, 256, 512, 64], channels=256,
                  reassemble_channels=(32, 64), agd_channels=16, max_depth=10.0,
                  norm_cfg=dict(type='BN'), bts_norm_cfg=dict(type='BN', momentum=0.01),
                  loss_decode=dict(type='ScaleInvariantLoss', lamb=0.85, use_sqrt=True,
                                   scale=10.0, reduction='batch', loss_name='loss_silog'))


# ------------------------------------------------------------------------------ loss
def test_silog_batch_reduction_pools_pixels_like_bts():
    """reduction='batch' is BTS's 10 * sqrt(mean(d^2) - 0.85 mean(d)^2) over pred[mask]."""
    gen = torch.Generator().manual_seed(0)
    pred = torch.rand(3, 1, 8, 9, generator=gen) * 5 + 0.1
    gt = torch.rand(3, 1, 8, 9, generator=gen) * 5 + 0.1
    mask = torch.rand(3, 1, 8, 9, generator=gen) > 0.3
    mask[2] = False  # an image without valid pixels does not change the pooled loss
    mask[0, :, :4] = False  # images with different numbers of valid pixels
    d = torch.log(pred[mask]) - torch.log(gt[mask])
    expected = 10 * torch.sqrt((d**2).mean() - 0.85 * d.mean()**2)
    loss = ScaleInvariantLoss(lamb=0.85, use_sqrt=True, scale=10.0, reduction='batch')
    assert torch.allclose(loss(pred, gt, valid_mask=mask), expected, rtol=1e-5)
    per_sample = ScaleInvariantLoss(lamb=0.85, use_sqrt=True, scale=10.0)
    assert not torch.allclose(per_sample(pred, gt, valid_mask=mask), expected, rtol=1e-3)
    empty = pred.clone().requires_grad_()
    value = loss(empty, gt, valid_mask=torch.zeros_like(mask))
    value.backward()
    assert value.item() == 0 and torch.all(empty.grad == 0)
    with pytest.raises(ValueError, match='reduction'):
        ScaleInvariantLoss(reduction='mean')


# ------------------------------------------------------------------------ AGD math
def test_structured_attention_formula():
    att = torch.randn(2, 5, 3, 4)
    assert structured_attention(att, 0) is att
    out = structured_attention(att, 3, torch.Generator().manual_seed(1))
    gen = torch.Generator().manual_seed(1)
    expected = torch.zeros_like(att)
    for _ in range(3):
        a = torch.softmax(torch.randn(2, 5, generator=gen), dim=1)[:, :, None, None]
        expected += torch.sigmoid((a * att).sum(1, keepdim=True)) * a * att
    assert torch.allclose(out, expected, atol=1e-6)
    with pytest.raises(ValueError, match='rank'):
        structured_attention(att, -1)


@pytest.mark.parametrize('dilation', [1, 4])
def test_pixel_kernels_are_dilated_3x3_filters(dilation):
    x = torch.randn(1, 2, 9, 11)
    neighbours = unfold_neighbours(x, dilation)
    centre = torch.zeros(1, 9, 9, 11)
    centre[:, 4] = 1
    assert torch.equal(apply_pixel_kernels(centre, neighbours), x)
    # a spatially constant kernel equals a depthwise 3x3 conv with that kernel
    kernel = torch.randn(9)
    out = apply_pixel_kernels(kernel.view(1, 9, 1, 1).expand(1, 9, 9, 11), neighbours)
    ref = nn.functional.conv2d(x, kernel.view(1, 1, 3, 3).repeat(2, 1, 1, 1),
                               padding=dilation, dilation=dilation, groups=2)
    assert torch.allclose(out, ref, atol=1e-5)


def test_attention_gated_message_shapes_and_dilations():
    msg = AttentionGatedMessage(8)
    assert [c.dilation[0] for c in msg.kernel_pred] == [1, 4, 8]
    assert msg.kernel_pred[0].in_channels == 16 and msg.kernel_send[2].out_channels == 9
    r, s = torch.randn(2, 8, 5, 6), torch.randn(2, 8, 5, 6)
    assert msg(r, s, rank=0).shape == (2, 8, 5, 6)


# ------------------------------------------------------------------------ BTS / LPG
def test_plane_params_give_unit_normals_and_bounded_distance():
    eq = plane_params_to_equation(torch.randn(2, 3, 4, 5) * 3, max_depth=10.0)
    assert torch.allclose(eq[:, :3].norm(dim=1), torch.ones(2, 4, 5), atol=1e-6)
    assert eq[:, 3].min() > 0 and eq[:, 3].max() < 10
    theta = torch.acos(eq[:, 2])
    assert theta.max() <= math.pi / 3 + 1e-5


def test_local_planar_guidance_formula():
    # fronto-parallel plane (0, 0, 1, d): constant depth d on every k x k patch
    eq = torch.tensor([0.0, 0.0, 1.0, 3.0]).view(1, 4, 1, 1).repeat(1, 1, 2, 3)
    depth = local_planar_guidance(eq, 4)
    assert depth.shape == (1, 1, 8, 12) and torch.allclose(depth, torch.full_like(depth, 3.0))
    # tilted plane: d(u, v) = n4 / (n1 u + n2 v + n3), u along columns, v along rows
    n = torch.tensor([0.3, -0.2, 0.9])
    eq = torch.cat([n, torch.tensor([2.0])]).view(1, 4, 1, 1)
    depth = local_planar_guidance(eq, 2)[0, 0]
    offsets = [-0.25, 0.25]
    for row, v in enumerate(offsets):
        for col, u in enumerate(offsets):
            assert depth[row, col].item() == pytest.approx(2.0 / (0.3 * u - 0.2 * v + 0.9),
                                                           rel=1e-5)


def test_bts_reduction_halves_down_to_eight():
    reduc = BTSReduction(128, 128, max_depth=10.0)
    widths = [m.out_channels for m in reduc.convs if isinstance(m, nn.Conv2d)]
    assert widths == [128, 64, 32, 16, 8] and reduc.out_conv.out_channels == 3
    assert reduc(torch.randn(1, 128, 2, 2)).shape == (1, 4, 2, 2)
    final = BTSReduction(32, 16, max_depth=10.0, final=True)
    out = final(torch.randn(1, 32, 2, 2))
    assert out.shape == (1, 1, 2, 2) and out.min() > 0 and out.max() < 1
    with pytest.raises(ValueError, match='>= 8'):
        BTSReduction(8, 4, max_depth=1.0)


# ------------------------------------------------------------------------ backbone
def test_weight_standardisation_and_tf_same_padding():
    w = torch.randn(4, 3, 3, 3)
    ws = standardize_weight(w, 0.0)
    assert torch.allclose(ws.mean(dim=(1, 2, 3)), torch.zeros(4), atol=1e-6)
    assert torch.allclose(ws.var(dim=(1, 2, 3), unbiased=False), torch.ones(4), atol=1e-5)
    x = torch.zeros(1, 1, 8, 7)
    assert tf_same_pad(x, 7, 2).shape[-2:] == (13, 13)  # ceil(n / 2) outputs of a 7x7/2 conv
    assert tf_same_pad(x, 3, 2).shape[-2:] == (9, 9)  # pad (0, 1) for even, (1, 1) for odd
    assert pad_to(torch.ones(1, 1, 3, 4), (4, 4))[0, 0, 3].sum() == 0


@pytest.mark.parametrize('padding', ['symmetric', 'tf_same'])
def test_vit_hybrid_outputs(padding):
    model = ViTHybrid(num_layers=2, embed_dims=32, num_heads=2, padding=padding,
                      with_cls_token=padding == 'tf_same', use_pos_embed=padding == 'tf_same',
                      output_cls_token=padding == 'tf_same', out_indices=(0, -1),
                      pos_embed_grid=(2, 3))
    outs = model(torch.randn(1, 3, 64, 96))
    assert [tuple(o.shape[1:]) for o in outs[:3]] == [(64, 32, 48), (256, 16, 24), (512, 8, 12)]
    for out in outs[3:]:
        feat = out[0] if padding == 'tf_same' else out
        assert feat.shape == (1, 32, 4, 6)
    assert model.out_channels == [64, 256, 512, 32, 32]
    with pytest.raises(ValueError, match='multiple of 16'):
        model(torch.randn(1, 3, 40, 48))
    with pytest.raises(ValueError, match='padding'):
        ViTHybrid(padding='same')


def test_pos_embed_resize_keeps_class_token():
    pos = torch.randn(1, 1 + 6, 4)
    out = resize_pos_embed(pos, (2, 3), (4, 6), 1)
    assert out.shape == (1, 25, 4) and torch.equal(out[:, 0], pos[:, 0])
    assert resize_pos_embed(pos, (2, 3), (2, 3), 1) is pos


def test_npz_and_timm_layouts_map_onto_vit_hybrid(tmp_path):
    """Google's .npz (TF names, HWIO kernels) and timm's state dict load strictly."""
    small = dict(num_layers=1, embed_dims=32, num_heads=2, with_cls_token=True,
                 use_pos_embed=True, pos_embed_grid=(2, 2))
    model = ViTHybrid(**small)
    own = model.state_dict()
    gen = torch.Generator().manual_seed(0)
    npz = {'conv_root/kernel': torch.randn(7, 7, 3, 64, generator=gen),
           'gn_root/scale': torch.randn(64), 'gn_root/bias': torch.randn(64),
           'embedding/kernel': torch.randn(1, 1, 1024, 32), 'embedding/bias': torch.randn(32),
           'cls': torch.randn(1, 1, 32),
           'Transformer/posembed_input/pos_embedding': torch.randn(1, 5, 32),
           'Transformer/encoder_norm/scale': torch.randn(32),
           'Transformer/encoder_norm/bias': torch.randn(32),
           'head/kernel': torch.randn(32, 10)}
    for key, value in own.items():
        if key.startswith('stages.'):
            s, u, name, kind = key.split('.')[1:]
            tf_name = 'conv_proj' if name == 'downsample' else name
            tf_kind = 'kernel' if name.startswith(('conv', 'down')) else (
                'scale' if kind == 'weight' else 'bias')
            shape = value.permute(2, 3, 1, 0).shape if tf_kind == 'kernel' else value.shape
            npz[f'block{int(s) + 1}/unit{int(u) + 1}/{tf_name}/{tf_kind}'] = torch.randn(shape)
    blk = 'Transformer/encoderblock_0/'
    for n in ('query', 'key', 'value'):
        npz[f'{blk}MultiHeadDotProductAttention_1/{n}/kernel'] = torch.randn(32, 2, 16)
        npz[f'{blk}MultiHeadDotProductAttention_1/{n}/bias'] = torch.randn(2, 16)
    npz[f'{blk}MultiHeadDotProductAttention_1/out/kernel'] = torch.randn(2, 16, 32)
    npz[f'{blk}MultiHeadDotProductAttention_1/out/bias'] = torch.randn(32)
    for ln in ('LayerNorm_0', 'LayerNorm_2'):
        npz[f'{blk}{ln}/scale'], npz[f'{blk}{ln}/bias'] = torch.randn(32), torch.randn(32)
    npz[f'{blk}MlpBlock_3/Dense_0/kernel'] = torch.randn(32, 128)
    npz[f'{blk}MlpBlock_3/Dense_0/bias'] = torch.randn(128)
    npz[f'{blk}MlpBlock_3/Dense_1/kernel'] = torch.randn(128, 32)
    npz[f'{blk}MlpBlock_3/Dense_1/bias'] = torch.randn(32)
    assert detect_vit_hybrid_layout(npz) == 'npz'
    converted = convert_vit_hybrid_checkpoint(npz, model)
    model.load_state_dict(converted, strict=True)
    q = npz[f'{blk}MultiHeadDotProductAttention_1/query/kernel'].reshape(32, 32).t()
    assert torch.equal(model.layers[0].attn.attn.in_proj_weight[:32], q)
    assert torch.equal(model.stem_conv.weight, npz['conv_root/kernel'].permute(3, 2, 0, 1))
    assert 'head/kernel' not in npz_to_vit_hybrid(npz, 1)
    # init_cfg=Pretrained reads the .npz file itself (the configs' ImageNet-21k weights)
    path = tmp_path / 'R50+ViT-B_16.npz'
    np.savez(path, **{k: v.numpy() for k, v in npz.items()})
    loaded = ViTHybrid(**small, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    loaded.init_weights()
    assert torch.equal(loaded.layers[0].attn.attn.in_proj_weight[:32], q)
    assert torch.equal(loaded.pos_embed, npz['Transformer/posembed_input/pos_embedding'])

    # timm: the same weights under timm's names map back onto identical tensors
    names = {'gn1': 'norm1', 'gn2': 'norm2', 'gn3': 'norm3', 'downsample': 'downsample.conv',
             'gn_proj': 'downsample.norm'}
    timm = {'patch_embed.backbone.stem.conv.weight': own['stem_conv.weight'],
            'patch_embed.backbone.stem.norm.weight': own['stem_gn.weight'],
            'patch_embed.backbone.stem.norm.bias': own['stem_gn.bias'],
            'patch_embed.proj.weight': own['patch_embed.weight'],
            'patch_embed.proj.bias': own['patch_embed.bias'], 'cls_token': own['cls_token'],
            'pos_embed': own['pos_embed'], 'norm.weight': own['norm.weight'],
            'norm.bias': own['norm.bias'], 'head.weight': torch.zeros(3, 32)}
    for key, value in own.items():
        if key.startswith('stages.'):
            s, u, name, kind = key.split('.')[1:]
            timm[f'patch_embed.backbone.stages.{s}.blocks.{u}.{names.get(name, name)}.'
                 f'{kind}'] = value
    layer = {'ln1': 'norm1', 'ln2': 'norm2', 'attn.attn.out_proj': 'attn.proj',
             'ffn.layers.0.0': 'mlp.fc1', 'ffn.layers.1': 'mlp.fc2'}
    for src, dst in layer.items():
        for kind in ('weight', 'bias'):
            timm[f'blocks.0.{dst}.{kind}'] = own[f'layers.0.{src}.{kind}']
    timm['blocks.0.attn.qkv.weight'] = own['layers.0.attn.attn.in_proj_weight']
    timm['blocks.0.attn.qkv.bias'] = own['layers.0.attn.attn.in_proj_bias']
    mapped = timm_to_vit_hybrid(timm)
    assert set(mapped) == set(own) and all(torch.equal(mapped[k], own[k]) for k in own)
    with pytest.raises(KeyError, match='layout'):
        convert_vit_hybrid_checkpoint({'foo': torch.zeros(1)})


# ------------------------------------------------------------------ official layout
def official_transdepth_shapes():
    """Keys/shapes of an official TransDepth ``state_dict`` (pytorch/bts.py BtsModel: TransUNet
    R50-ViT-B_16 encoder, bts decoder with bts_size 512, AttentionGraphCondKernel width 512),
    before the ``module.`` prefix of its DataParallel checkpoints."""
    s = {}

    def bn(prefix, c):
        s.update({f'{prefix}.weight': (c,), f'{prefix}.bias': (c,), f'{prefix}.running_mean': (c,),
                  f'{prefix}.running_var': (c,), f'{prefix}.num_batches_tracked': ()})

    hyb = 'encoder.transformer.embeddings.hybrid_model.'
    s[hyb + 'root.conv.weight'] = (64, 3, 7, 7)
    s[hyb + 'root.gn.weight'] = s[hyb + 'root.gn.bias'] = (64,)
    cin = 64
    for b, (units, cout) in enumerate(zip((3, 4, 9), (256, 512, 1024), strict=True)):
        for u in range(units):
            p, mid = f'{hyb}body.block{b + 1}.unit{u + 1}.', cout // 4
            s.update({p + 'conv1.weight': (mid, cin, 1, 1), p + 'conv2.weight': (mid, mid, 3, 3),
                      p + 'conv3.weight': (cout, mid, 1, 1)})
            for g, c in (('gn1', mid), ('gn2', mid), ('gn3', cout)):
                s[p + g + '.weight'] = s[p + g + '.bias'] = (c,)
            if u == 0:
                s[p + 'downsample.weight'] = (cout, cin, 1, 1)
                s[p + 'gn_proj.weight'] = s[p + 'gn_proj.bias'] = (cout,)
            cin = cout
    s['encoder.transformer.embeddings.patch_embeddings.weight'] = (768, 1024, 1, 1)
    s['encoder.transformer.embeddings.patch_embeddings.bias'] = (768,)
    for i in range(12):
        p = f'encoder.transformer.encoder.layer.{i}.'
        for n in ('attention_norm', 'ffn_norm'):
            s[p + n + '.weight'] = s[p + n + '.bias'] = (768,)
        s.update({p + 'ffn.fc1.weight': (3072, 768), p + 'ffn.fc1.bias': (3072,),
                  p + 'ffn.fc2.weight': (768, 3072), p + 'ffn.fc2.bias': (768,)})
        for n in ('query', 'key', 'value', 'out'):
            s[p + f'attn.{n}.weight'], s[p + f'attn.{n}.bias'] = (768, 768), (768,)
    s['encoder.transformer.encoder.encoder_norm.weight'] = (768,)
    s['encoder.transformer.encoder.encoder_norm.bias'] = (768,)
    s['encoder.decoder.conv_more.0.weight'] = (1024, 768, 3, 3)
    bn('encoder.decoder.conv_more.1', 1024)
    s['encoder.decoder.conv_more_.0.weight'] = (2048, 1024, 3, 3)
    bn('encoder.decoder.conv_more_.1', 2048)
    for i, (cin, cout) in enumerate(((1024, 256), (512, 128), (192, 64), (64, 16))):
        for j, c_in in (('conv1', cin), ('conv2', cout)):
            s[f'encoder.decoder.blocks.{i}.{j}.0.weight'] = (cout, c_in, 3, 3)
            bn(f'encoder.decoder.blocks.{i}.{j}.1', cout)
    d = 'decoder.'
    for name, cin, cout in (('upconv5', 2048, 512), ('upconv4', 512, 256), ('upconv3', 128, 128),
                            ('upconv2', 128, 64), ('upconv1', 64, 32)):
        s[f'{d}{name}.conv.weight'] = (cout, cin, 3, 3)
    for name, c in (('bn5', 512), ('bn4', 256), ('bn4_2', 256), ('bn3', 128), ('bn2', 64)):
        bn(d + name, c)
    for name, cin, cout in (('conv5', 1536, 512), ('conv4', 768, 256), ('daspp_conv', 896, 128),
                            ('conv3', 385, 128), ('conv2', 129, 64), ('conv1', 36, 32),
                            ('get_depth', 32, 1)):
        s[f'{d}{name}.0.weight'] = (cout, cin, 3, 3)
    for rate, cin in ((3, 256), (6, 896), (12, 1024), (18, 1152), (24, 1280)):
        p = f'{d}daspp_{rate}.atrous_conv.'
        if rate != 3:
            bn(p + 'first_bn', cin)
        s[p + 'aconv_sequence.1.weight'] = (256, cin, 1, 1)
        bn(p + 'aconv_sequence.2', 256)
        s[p + 'aconv_sequence.4.weight'] = (128, 256, 3, 3)
    for name, cin, cout, last in (('reduc8x8', 128, 128, 'plane_params'),
                                  ('reduc4x4', 128, 64, 'plane_params'),
                                  ('reduc2x2', 64, 32, 'plane_params'),
                                  ('reduc1x1', 32, 16, 'final.0')):
        while cout >= 8:
            s[f'{d}{name}.reduc.inter_{cin}_{cout}.0.weight'] = (cout, cin, 1, 1)
            cin, cout = cout, cout // 2
        s[f'{d}{name}.reduc.{last}.weight'] = (1 if last == 'final.0' else 3, cin, 1, 1)
    a = 'AttentionGraphCondKernel.'
    for level, cin in ((5, 2048), (4, 1024), (3, 512)):
        s[f'{a}conv{level}.0.weight'] = (512, cin, 3, 3)
        bn(f'{a}conv{level}.1', 512)
    for pair in ('45', '35', '55'):
        p = f'{a}attention_MSG_{pair}.'
        for k in (1, 2, 3):
            s[f'{p}kernel_prediction_{k}.weight'] = (9, 1024, 3, 3)
            s[f'{p}kernel_prediction_{k}.bias'] = (9,)
            for n in ('se', 'sr'):
                s[f'{p}kernel_{n}_{k}.weight'], s[f'{p}kernel_{n}_{k}.bias'] = (9, 512, 3, 3), (9,)
        s[f'{p}combination_msgs.0.weight'], s[f'{p}combination_msgs.0.bias'] = (
            512, 1536, 1, 1), (512,)
    for k in (1, 2):
        s[f'{a}combination_msgs_5{k}.0.weight'] = (2048, 2048, 3, 3)
        s[f'{a}combination_msgs_5{k}.0.bias'] = (2048,)
        bn(f'{a}combination_msgs_5{k}.1', 2048)
    return s


@pytest.fixture(scope='module')
def meta_model():
    """The full-size NYU model built on the meta device (no memory, no init)."""
    with torch.device('meta'):  # in the mmseg scope (module-scoped fixture)
        return build_depth_model(BASELINE['nyu'])


def test_official_layout_matches_official_parameter_count():
    """The hand-written official layout holds exactly the official number of parameters."""
    shapes = official_transdepth_shapes()
    learnable = sum(math.prod(v) for k, v in shapes.items()
                    if not k.endswith(('running_mean', 'running_var', 'num_batches_tracked')))
    assert learnable == OFFICIAL_TRANSDEPTH_PARAMS
    unused = sum(math.prod(v) for k, v in shapes.items() if k.startswith('encoder.decoder.blocks')
                 and not k.endswith(('running_mean', 'running_var', 'num_batches_tracked')))
    assert unused == UNUSED_TRANSUNET_BLOCKS


def test_param_count_matches_official(meta_model):
    """Our build = official total minus TransUNet's never-run decoder blocks (-1.6%)."""
    ours = count_params(meta_model)
    assert ours == OFFICIAL_TRANSDEPTH_PARAMS - UNUSED_TRANSUNET_BLOCKS == 243_552_355
    assert abs(ours - OFFICIAL_TRANSDEPTH_PARAMS) / OFFICIAL_TRANSDEPTH_PARAMS < 0.05
    assert count_params(meta_model.backbone) == 97_738_048  # timm vit_base_r50_s16_384 w/o head/pos


def test_converted_official_checkpoint_loads_strictly(meta_model):
    shapes = official_transdepth_shapes()
    with torch.device('meta'):
        official = {f'module.{k}': torch.empty(v) for k, v in shapes.items()}
    converted, dropped = convert_transdepth_checkpoint(official)
    assert all(k.startswith('encoder.decoder.blocks.') for k in dropped) and len(dropped) == 48
    meta_model.load_state_dict(converted, strict=True, assign=True)
    with pytest.raises(KeyError, match='unexpected TransDepth key'):
        convert_transdepth_checkpoint({'module.foo.weight': torch.zeros(1)})


def test_converter_places_values():
    """Spot checks of the mapping with real values (q/k/v order, AGD pairs, LPG reductions)."""
    gen = torch.Generator().manual_seed(0)
    shapes = official_transdepth_shapes()
    keep = ('attn.query', 'attn.key', 'attn.value', 'attention_MSG_35', 'attention_MSG_55',
            'reduc4x4', 'get_depth', 'bn4_2', 'daspp_12', 'conv_more_', 'conv3.0')

    def wanted(key: str) -> bool:
        if 'encoder.layer.' in key:
            return '.layer.0.attn.' in key and key.split('.')[-2] != 'out'
        return any(s in key for s in keep)

    official = {k: torch.randn(v, generator=gen) for k, v in shapes.items() if wanted(k)}
    out, _ = convert_transdepth_checkpoint(official)
    q, k, v = (official[f'encoder.transformer.encoder.layer.0.attn.{n}.weight']
               for n in ('query', 'key', 'value'))
    assert torch.equal(out['backbone.layers.0.attn.attn.in_proj_weight'], torch.cat([q, k, v]))
    a = 'AttentionGraphCondKernel.'
    assert torch.equal(out['decode_head.agd.messages.0.kernel_send.1.weight'],
                       official[a + 'attention_MSG_35.kernel_se_2.weight'])
    assert torch.equal(out['decode_head.agd.messages.2.kernel_recv.2.weight'],
                       official[a + 'attention_MSG_55.kernel_sr_3.weight'])
    assert torch.equal(out['decode_head.agd.lateral_convs.0.conv.weight'],
                       official[a + 'conv3.0.weight'])
    assert torch.equal(out['decode_head.reduc4x4.convs.2.weight'],
                       official['decoder.reduc4x4.reduc.inter_64_32.0.weight'])
    assert torch.equal(out['decode_head.conv4.bn.running_var'],
                       official['decoder.bn4_2.running_var'])
    assert torch.equal(out['decode_head.daspp.2.norm_in.weight'],
                       official['decoder.daspp_12.atrous_conv.first_bn.weight'])
    assert torch.equal(out['decode_head.conv_depth.weight'], official['decoder.get_depth.0.weight'])
    assert torch.equal(out['decode_head.reassemble.1.bn.bias'],
                       official['encoder.decoder.conv_more_.1.bias'])


# ------------------------------------------------------------------ head and configs
def test_head_forward_ranks_and_errors():
    head = MODELS.build(SMALL_HEAD)
    feats = [torch.randn(1, c, 32 // 2**i, 48 // 2**i) for i, c in enumerate([64, 256, 512])]
    feats.append(torch.randn(1, 64, 4, 6))
    assert head.current_rank == 3
    out = head(feats)
    assert out.shape == (1, 1, 64, 96) and out.min() > 0 and out.max() < 10
    head.eval()
    assert head.current_rank == 5
    assert isinstance(head.conv_depth, nn.Conv2d) and head.conv_depth.bias is None
    with pytest.raises(ValueError, match='4 inputs'):
        TransDepthHead(in_channels=[64, 256, 512])
    with pytest.raises(ValueError, match='depth_act'):
        TransDepthHead(depth_act='relu')
    with pytest.raises(ValueError, match='multiple of 32'):
        TransDepthHead(channels=128)


def test_dense_aspp_mid_norm_eps_switch():
    """BTS's atrous_conv: eps 1.1e-5 on the input norm, PyTorch's 1e-5 after the 1x1 conv."""
    bts_norm = dict(type='BN', momentum=0.01, eps=1.1e-5)  # the configs' (TF-style) BTS norm
    head = MODELS.build(dict(SMALL_HEAD, bts_norm_cfg=bts_norm))
    assert head.daspp[0].norm_in is None
    for branch in head.daspp:
        assert branch.reduce.bn.eps == 1e-5 and branch.reduce.bn.momentum == 0.01
    for branch in head.daspp[1:]:
        assert branch.norm_in.eps == 1.1e-5
    assert head.upconv5.bn.eps == head.conv4.bn.eps == 1.1e-5
    same = MODELS.build(dict(SMALL_HEAD, bts_norm_cfg=bts_norm, daspp_mid_eps=1.1e-5))
    assert all(branch.reduce.bn.eps == 1.1e-5 for branch in same.daspp)
    # the switch changes only that eps: same weights and statistics, different outputs
    torch.manual_seed(0)
    for bn in [m for m in head.modules() if isinstance(m, nn.BatchNorm2d)]:
        bn.running_var.uniform_(1e-6, 1e-5)  # small variances make the eps visible
    same.load_state_dict(head.state_dict())
    head.eval(), same.eval()
    feats = [torch.randn(1, c, 32 // 2**i, 48 // 2**i) for i, c in enumerate([64, 256, 512])]
    feats.append(torch.randn(1, 64, 4, 6))
    with torch.no_grad():
        head.test_attention_rank = same.test_attention_rank = 0
        assert not torch.equal(head(feats), same(feats))


def test_configs_use_published_settings():
    nyu, kitti = (Config.fromfile(str(BASELINE[d])) for d in ('nyu', 'kitti'))
    bb = nyu.model.backbone
    assert (bb.type, bb.stage_blocks, bb.embed_dims, bb.num_layers) == ('ViTHybrid', (3, 4, 9),
                                                                        768, 12)
    assert not bb.use_pos_embed and not bb.with_cls_token and bb.proj_gn_per_channel
    assert bb.init_cfg.checkpoint.endswith('imagenet21k/R50+ViT-B_16.npz')
    head = nyu.model.decode_head
    assert (head.channels, head.attention_rank, head.test_attention_rank) == (512, 3, 5)
    assert (head.max_depth, kitti.model.decode_head.max_depth) == (10.0, 80.0)
    loss = head.loss_decode
    assert (loss.lamb, loss.scale, loss.use_sqrt, loss.reduction) == (0.85, 10.0, True, 'batch')
    # 50 epochs at the official batch size (8 on NYU, 16 on KITTI) with 4 GPUs
    assert nyu.train_cfg.max_iters == 50 * math.ceil(24231 / 8)
    assert kitti.train_cfg.max_iters == 50 * math.ceil(23157 / 16)
    assert (nyu.train_dataloader.batch_size, kitti.train_dataloader.batch_size) == (2, 4)
    assert nyu.param_scheduler[0].end == nyu.train_cfg.max_iters
    opt = nyu.optim_wrapper
    assert (opt.optimizer.eps, opt.optimizer.weight_decay) == (1e-6, 0.01)
    assert opt.paramwise_cfg.custom_keys['decode_head.reassemble'].decay_mult == 1.0
    assert kitti.train_dataloader.dataset.pipeline[5].crop_size == (352, 704)
    for ds in ('nyu', 'kitti'):
        dgr = Config.fromfile(str(DGR[ds]))
        assert dgr.model.neck.type == 'DGRNeck' and dgr.model.neck.in_channels == [64, 256, 512,
                                                                                   768]
        assert [lo.type for lo in dgr.model.decode_head.loss_decode] == ['DepthMSELoss',
                                                                         'OTDLLoss']


@pytest.mark.slow
def test_dgr_overhead_within_goals(meta_model):
    """DGR adds <= 3% parameters and <= 5% FLOPs (FLOPs at a reduced 64x96 input).

    The baseline is the DGR model minus its DGR blocks (the neck is the only difference
    between the two configs), which saves building the 244M-parameter model twice.
    """
    dgr = model_complexity(str(DGR['nyu']), (64, 96))
    base_params, base_flops = dgr['params'] - dgr['dgr_params'], dgr['flops'] - dgr['dgr_flops']
    assert base_params == count_params(meta_model) and dgr['dgr_params'] > 0
    assert dgr['params'] <= 1.03 * base_params
    assert dgr['flops'] <= 1.05 * base_flops


# ------------------------------------------------------------------- synthetic test run
@pytest.mark.slow
@pytest.mark.parametrize('dataset', ['nyu', 'kitti'])
def test_tools_test_runs_on_synthetic_data(tmp_path, dataset, synthetic_trees):
    """The library ``test()`` (tools/test.py) evaluates the configs on generated data."""
    data_root = synthetic_trees.get(dataset, **EVAL_TREES[dataset])  # KITTI: just above KBCrop
    cfg = Config.fromfile(str(DGR[dataset] if dataset == 'nyu' else BASELINE[dataset]))
    cfg.merge_from_dict({  # a narrow TransDepth so that the run takes seconds on CPU
        'model.backbone': dict(SMALL_BACKBONE, init_cfg=None),
        'model.decode_head': {k: v for k, v in SMALL_HEAD.items()
                              if k not in ('type', 'loss_decode', 'max_depth')},
    })
    if cfg.model.get('neck') is not None:
        cfg.model.neck.in_channels = SMALL_HEAD['in_channels']
    metrics = evaluate_with_random_weights(cfg, f'transdepth_small_{dataset}', data_root, tmp_path)
    assert {'abs_rel', 'rmse', 'd1'} <= set(metrics)
    assert all(math.isfinite(float(v)) for v in metrics.values())
