"""Swin-Depth (Cheng et al., IEEE Sensors J. 2021), reconstructed: Swin-T + fusion attention."""
import math

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmseg.registry import MODELS

from mmdepth_dgr.analysis import model_complexity
from mmdepth_dgr.models.converters.swindepth import convert_swindepth_checkpoint
from mmdepth_dgr.models.decode_heads.swindepth_head import (
    MultiScaleFusionAttention,
    SwinDepthHead,
    channel_attention_weights,
    spatial_attention_weights,
)
from mmdepth_dgr.models.utils import UpFuseBlock
from mmdepth_dgr.testing import (
    EVAL_TREES,
    REPO_ROOT,
    build_depth_model,
    count_params,
    evaluate_with_random_weights,
    random_state_dict,
)

CONFIGS = REPO_ROOT / 'configs'
BASELINE = {'nyu': CONFIGS / 'swindepth' / 'swindepth_swin-t_4xb4-80k_nyu-416x544.py',
            'kitti': CONFIGS / 'swindepth' / 'swindepth_swin-t_4xb4-80k_kitti-352x704.py'}
DGR = {'nyu': CONFIGS / 'dgr' / 'swindepth-dgr_swin-t_4xb4-80k_nyu-416x544.py',
       'kitti': CONFIGS / 'dgr' / 'swindepth-dgr_swin-t_4xb4-80k_kitti-352x704.py'}
# Swin-T as released by Microsoft (Liu et al., ICCV'21, Table 1 "28M"): 28,288,354 parameters
# with the 1000-class head (768 * 1000 + 1000) and the final classifier LayerNorm (2 * 768);
# mmseg's backbone drops both and adds one output LayerNorm per level (2 * (96+192+384+768)).
SWIN_T_OFFICIAL = 28_288_354
SWIN_T_BACKBONE = SWIN_T_OFFICIAL - 769_000 - 1_536 + 2_880
SMALL_SWIN = dict(type='SwinTransformer', embed_dims=16, depths=[1, 1, 1, 1],
                  num_heads=[1, 1, 2, 2], window_size=7, out_indices=(0, 1, 2, 3),
                  drop_path_rate=0.0, init_cfg=None)
SMALL_HEAD = dict(type='SwinDepthHead', in_channels=[16, 32, 64, 128], channels=32,
                  decoder_channels=(32, 16, 16, 16, 8), attention_reduction=4, max_depth=10.0,
                  norm_cfg=dict(type='BN'))


def expected_head_params(in_channels, channels, decoder_channels, reduction):
    """SwinDepthHead parameters by hand from the module spec (BN = 2 per channel)."""
    n = sum(c * channels + 2 * channels for c in in_channels)  # 1x1 projections + BN
    n += len(in_channels) * channels * channels + 2 * channels  # 1x1 fusion + BN
    hidden = channels // reduction
    n += channels * hidden + hidden + hidden * channels + channels  # SE fc1, fc2
    n += 2 * 49 + 1  # 7x7 spatial-attention conv
    skips = list(in_channels[-2::-1]) + [0] * (len(decoder_channels) - len(in_channels) + 1)
    c_in = channels
    for skip, c_out in zip(skips, decoder_channels, strict=True):
        n += (c_in + skip) * c_out * 9 + 2 * c_out + c_out * c_out * 9 + 2 * c_out
        c_in = c_out
    return n + c_in * 9 + 1  # 3x3 depth conv with bias


# -------------------------------------------------------------------- attention math
def test_channel_and_spatial_attention_formulas():
    x = torch.randn(2, 8, 5, 6)
    fc1, fc2, conv = nn.Conv2d(8, 2, 1), nn.Conv2d(2, 8, 1), nn.Conv2d(2, 1, 7, padding=3)
    w = channel_attention_weights(x, fc1, fc2)
    gap = x.mean(dim=(2, 3), keepdim=True)
    assert torch.allclose(w, torch.sigmoid(fc2(torch.relu(fc1(gap)))), atol=1e-6)
    assert w.shape == (2, 8, 1, 1)
    s = spatial_attention_weights(x, conv)
    ref = torch.sigmoid(conv(torch.cat([x.mean(1, keepdim=True), x.max(1, keepdim=True)[0]], 1)))
    assert s.shape == (2, 1, 5, 6) and torch.allclose(s, ref, atol=1e-6)


def test_fusion_attention_is_residual_on_the_coarsest_level():
    """With a zero fusion branch the module returns the projected coarsest level."""
    msfa = MultiScaleFusionAttention([4, 8, 16], 8, reduction=2).eval()
    nn.init.zeros_(msfa.fuse.conv.weight)
    feats = [torch.randn(1, 4, 12, 16), torch.randn(1, 8, 6, 8), torch.randn(1, 16, 3, 4)]
    with torch.no_grad():
        out = msfa(feats)
        assert torch.allclose(out, msfa.projections[2](feats[2]))
        nn.init.normal_(msfa.fuse.conv.weight)
        assert out.shape == msfa(feats).shape == (1, 8, 3, 4)
    with pytest.raises(ValueError, match='reduction'):
        MultiScaleFusionAttention([4], 8, reduction=16)


def test_up_fuse_block_matches_skip_size():
    block = UpFuseBlock(8, 4, 6, dict(type='BN'), dict(type='ReLU'))
    assert block(torch.randn(1, 8, 3, 5), torch.randn(1, 4, 7, 11)).shape == (1, 6, 7, 11)
    free = UpFuseBlock(8, 0, 6, None, dict(type='ReLU'))
    assert free(torch.randn(1, 8, 3, 5)).shape == (1, 6, 6, 10)


def test_head_reaches_full_resolution_and_counts_by_hand():
    head = MODELS.build(SMALL_HEAD)
    feats = [torch.randn(2, c, 16 // 2**i, 24 // 2**i) for i, c in enumerate([16, 32, 64, 128])]
    out = head(feats)
    assert out.shape == (2, 1, 64, 96) and out.min() > 0 and out.max() < 10
    assert count_params(head) == expected_head_params([16, 32, 64, 128], 32, (32, 16, 16, 16, 8), 4)
    with pytest.raises(ValueError, match='decoder_channels needs 5'):
        SwinDepthHead(in_channels=[16, 32, 64, 128], decoder_channels=(32, 16))
    with pytest.raises(ValueError, match='in_index'):
        SwinDepthHead(in_channels=[16, 32, 64, 128], in_index=(0, 1))


# ------------------------------------------------------------------ configs and counts
@pytest.fixture(scope='module')
def baseline_model():
    return build_depth_model(BASELINE['nyu'])  # in the mmseg scope (module-scoped fixture)


def test_param_count(baseline_model):
    """Swin-T = Microsoft's count minus classifier parts; head = hand count of its spec."""
    assert count_params(baseline_model.backbone) == SWIN_T_BACKBONE == 27_520_698
    head = expected_head_params([96, 192, 384, 768], 512, (256, 128, 64, 32, 16), 16)
    assert count_params(baseline_model.decode_head) == head
    assert count_params(baseline_model) == SWIN_T_BACKBONE + head == 32_865_422


def test_configs_settings():
    nyu, kitti = (Config.fromfile(str(BASELINE[d])) for d in ('nyu', 'kitti'))
    bb = nyu.model.backbone
    assert (bb.type, bb.embed_dims, bb.depths, bb.window_size) == ('SwinTransformer', 96,
                                                                   [2, 2, 6, 2], 7)
    assert 'swin_tiny_patch4_window7_224' in bb.init_cfg.checkpoint
    head = nyu.model.decode_head
    assert head.type == 'SwinDepthHead' and head.in_channels == [96, 192, 384, 768]
    assert (head.max_depth, kitti.model.decode_head.max_depth) == (10.0, 80.0)
    loss = head.loss_decode
    assert (loss.lamb, loss.scale, loss.use_sqrt, loss.reduction) == (0.85, 10.0, True, 'batch')
    opt = nyu.optim_wrapper
    assert (opt.optimizer.eps, opt.optimizer.weight_decay) == (1e-6, 0.01)
    assert nyu.param_scheduler[0].eta_min == 1e-5 and nyu.param_scheduler[0].power == 0.9
    assert kitti.train_dataloader.dataset.pipeline[5].crop_size == (352, 704)
    for ds in ('nyu', 'kitti'):
        dgr = Config.fromfile(str(DGR[ds]))
        assert dgr.model.neck.type == 'DGRNeck'
        assert dgr.model.neck.in_channels == [96, 192, 384, 768] and dgr.model.neck.reduction == 8
        assert [lo.type for lo in dgr.model.decode_head.loss_decode] == ['DepthMSELoss',
                                                                         'OTDLLoss']


@pytest.mark.slow
def test_dgr_overhead_within_goals(baseline_model):
    """DGR adds <= 3% parameters and <= 5% FLOPs (FLOPs at a reduced 128x160 input)."""
    dgr = model_complexity(str(DGR['nyu']), (128, 160))
    base_params, base_flops = dgr['params'] - dgr['dgr_params'], dgr['flops'] - dgr['dgr_flops']
    assert base_params == count_params(baseline_model) and dgr['dgr_params'] > 0
    assert dgr['params'] <= 1.03 * base_params
    assert dgr['flops'] <= 1.05 * base_flops


# -------------------------------------------------------------------------- converter
def official_swin_shapes(embed, depths, heads, window, classifier):
    """Keys/shapes of Microsoft's Swin layout (Swin-Transformer/models/swin_transformer.py):
    with ``classifier`` the ImageNet release (final ``norm``, ``head``), else the dense
    variant used by depth models (one output ``norm<i>`` per level)."""
    s = {'patch_embed.proj.weight': (embed, 3, 4, 4), 'patch_embed.proj.bias': (embed, ),
         'patch_embed.norm.weight': (embed, ), 'patch_embed.norm.bias': (embed, )}
    for i, (depth, head) in enumerate(zip(depths, heads, strict=True)):
        c = embed * 2**i
        for j in range(depth):
            p = f'layers.{i}.blocks.{j}.'
            s.update({p + 'norm1.weight': (c, ), p + 'norm1.bias': (c, ),
                      p + 'attn.relative_position_bias_table': ((2 * window - 1)**2, head),
                      p + 'attn.relative_position_index': (window**2, window**2),
                      p + 'attn.qkv.weight': (3 * c, c), p + 'attn.qkv.bias': (3 * c, ),
                      p + 'attn.proj.weight': (c, c), p + 'attn.proj.bias': (c, ),
                      p + 'norm2.weight': (c, ), p + 'norm2.bias': (c, ),
                      p + 'mlp.fc1.weight': (4 * c, c), p + 'mlp.fc1.bias': (4 * c, ),
                      p + 'mlp.fc2.weight': (c, 4 * c), p + 'mlp.fc2.bias': (c, )})
            if j % 2:
                s[p + 'attn_mask'] = (4, window**2, window**2)
        if i < len(depths) - 1:
            s.update({f'layers.{i}.downsample.reduction.weight': (2 * c, 4 * c),
                      f'layers.{i}.downsample.norm.weight': (4 * c, ),
                      f'layers.{i}.downsample.norm.bias': (4 * c, )})
        if not classifier:
            s.update({f'norm{i}.weight': (c, ), f'norm{i}.bias': (c, )})
    if classifier:
        c = embed * 2**(len(depths) - 1)
        s.update({'norm.weight': (c, ), 'norm.bias': (c, ), 'head.weight': (1000, c),
                  'head.bias': (1000, )})
    return s


def test_converter_loads_official_swin_encoder_strictly():
    model = MODELS.build(dict(type='DepthEstimator', backbone=SMALL_SWIN, decode_head=SMALL_HEAD))
    official = {f'module.backbone.{k}': v for k, v in random_state_dict(
        official_swin_shapes(16, [1, 1, 1, 1], [1, 1, 2, 2], 7, classifier=False)).items()}
    own_head = {f'module.{k}': v for k, v in model.state_dict().items()
                if k.startswith('decode_head.')}
    converted, dropped = convert_swindepth_checkpoint({**official, **own_head})
    model.load_state_dict(converted, strict=True)
    assert dropped == []  # no shifted block with depth 1
    assert torch.equal(model.backbone.stages[1].blocks[0].attn.w_msa.qkv.weight,
                       official['module.backbone.layers.1.blocks.0.attn.qkv.weight'])

    imagenet = random_state_dict(official_swin_shapes(16, [2, 2], [1, 2], 7, classifier=True))
    converted, dropped = convert_swindepth_checkpoint(imagenet, encoder_prefix='')
    assert sorted(dropped) == ['head.bias', 'head.weight', 'layers.0.blocks.1.attn_mask',
                               'layers.1.blocks.1.attn_mask', 'norm.bias', 'norm.weight']
    swin = MODELS.build(dict(SMALL_SWIN, depths=[2, 2], num_heads=[1, 2], out_indices=(0, 1)))
    missing, unexpected = swin.load_state_dict(
        {k[len('backbone.'):]: v for k, v in converted.items()}, strict=False)
    assert unexpected == [] and sorted(missing) == ['norm0.bias', 'norm0.weight', 'norm1.bias',
                                                    'norm1.weight']
    with pytest.raises(KeyError, match='encoder prefix'):
        convert_swindepth_checkpoint({'encoder.layers.0.blocks.0.norm1.weight': torch.zeros(1)})


# ------------------------------------------------------------------- synthetic test run
@pytest.mark.slow
@pytest.mark.parametrize('dataset', ['nyu', 'kitti'])
def test_tools_test_runs_on_synthetic_data(tmp_path, dataset, synthetic_trees):
    """The library ``test()`` (tools/test.py) evaluates the configs on generated data."""
    data_root = synthetic_trees.get(dataset, **EVAL_TREES[dataset])  # KITTI: just above KBCrop
    cfg = Config.fromfile(str(DGR[dataset] if dataset == 'nyu' else BASELINE[dataset]))
    cfg.merge_from_dict({  # a narrow Swin-Depth so that the run takes seconds on CPU
        'model.backbone': SMALL_SWIN,
        'model.decode_head': {k: v for k, v in SMALL_HEAD.items()
                              if k not in ('type', 'max_depth')},
    })
    if cfg.model.get('neck') is not None:
        cfg.model.neck.in_channels = SMALL_HEAD['in_channels']
    metrics = evaluate_with_random_weights(cfg, f'swindepth_small_{dataset}', data_root, tmp_path)
    assert {'abs_rel', 'rmse', 'd1'} <= set(metrics)
    assert all(math.isfinite(float(v)) for v in metrics.values())
