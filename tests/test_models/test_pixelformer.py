"""PixelFormer (Agarwal & Arora, WACV'23): SAM decoder, BCP bins, converter, configs, counts."""
import importlib.util

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks.transformer import PatchMerging
from mmengine.config import Config
from mmseg.models.backbones.swin import WindowMSA
from mmseg.registry import MODELS

from mmdepth_dgr.analysis import model_complexity
from mmdepth_dgr.models.converters import convert_official_swin, convert_pixelformer
from mmdepth_dgr.models.converters.pixelformer import unfold_norm_order, unfold_reduction_order
from mmdepth_dgr.models.converters.utils import checkpoint_state_dict
from mmdepth_dgr.models.decode_heads import PixelFormerHead
from mmdepth_dgr.models.decode_heads.pixelformer_head import (
    BinCenterPredictor,
    SkipAttentionModule,
    WindowCrossAttention,
    bin_centers,
    relative_position_index,
    window_partition,
    window_reverse,
)
from mmdepth_dgr.testing import (
    REPO_ROOT,
    build_depth_model,
    depth_samples,
    evaluate_with_random_weights,
    random_state_dict,
)

CONFIGS = REPO_ROOT / 'configs'
BASELINE = {'nyu': CONFIGS / 'pixelformer/pixelformer_swin-l_4xb2-80k_nyu-416x544.py',
            'kitti': CONFIGS / 'pixelformer/pixelformer_swin-l_4xb2-80k_kitti-352x1120.py'}
DGR = {'nyu': CONFIGS / 'dgr/pixelformer-dgr_swin-l_4xb2-80k_nyu-416x544.py',
       'kitti': CONFIGS / 'dgr/pixelformer-dgr_swin-l_4xb2-80k_kitti-352x1120.py'}

# Official PixelFormer (ashutosh1807/PixelFormer, version 'large07', max_depth 10): the total
# printed by its train.py ("== Total number of parameters"), obtained by building the official
# networks/PixelFormer.py. 12,535,680 of them are the four SAM ``proj`` 3x3 convs that its
# forward never uses (not built here).
OFFICIAL_PIXELFORMER_PARAMS = 270_895_920
SAM_DIMS = (128, 256, 512, 1024)
UNUSED_SAM_PROJ = sum(d * d * 9 + d for d in SAM_DIMS)

SMALL_HEAD = dict(type='PixelFormerHead', in_channels=[16, 32, 64, 128], channels=32,
                  sam_dims=[16, 32, 64, 128], sam_heads=[1, 2, 4, 8], window_size=7, num_bins=16,
                  bcp_hidden=64, ppm_norm_cfg=dict(type='GN', num_groups=8), min_depth=0.1,
                  max_depth=10.0, loss_decode=dict(type='ScaleInvariantLoss', lamb=0.85,
                                                   use_sqrt=True, scale=10.0, reduction='batch'))
SMALL_SWIN = dict(type='SwinTransformer', embed_dims=16, depths=[2, 2, 2, 2],
                  num_heads=[1, 2, 4, 8], window_size=7, drop_path_rate=0.0)


# ------------------------------------------------------------------------ pure functions
def test_window_partition_roundtrip_and_order():
    x = torch.arange(2 * 14 * 21 * 3, dtype=torch.float32).view(2, 14, 21, 3)
    windows = window_partition(x, 7)
    assert windows.shape == (2 * 2 * 3, 49, 3)
    assert torch.equal(windows[1], x[0, :7, 7:14].reshape(49, 3))  # row-major window order
    assert torch.equal(window_reverse(windows, 7, 14, 21), x)


@pytest.mark.parametrize('ws', [3, 7, 12])
def test_relative_position_index_matches_swin(ws):
    assert torch.equal(relative_position_index(ws),
                       WindowMSA(8, 2, (ws, ws)).relative_position_index)


def test_bin_centers_are_adabins_centres():
    probs = torch.softmax(torch.randn(3, 16), dim=1)
    c = bin_centers(probs, 0.1, 10.0)
    edges = 0.1 + 9.9 * torch.cat([torch.zeros(3, 1), probs.cumsum(1)], dim=1)
    assert torch.allclose(c, 0.5 * (edges[:, 1:] + edges[:, :-1]), atol=1e-5)
    assert (c.diff(dim=1) > 0).all() and (c > 0.1).all() and (c < 10.0).all()


def test_window_cross_attention_matches_direct_formula():
    torch.manual_seed(0)
    attn = WindowCrossAttention(8, 2, 3).eval()
    nn.init.normal_(attn.relative_position_bias_table)
    x, y = torch.randn(2, 9, 8), torch.randn(2, 9, 8)
    q = attn.q(x).view(2, 9, 2, 4).transpose(1, 2)
    k, v = attn.kv(y).view(2, 9, 2, 2, 4).permute(2, 0, 3, 1, 4)
    bias = attn.relative_position_bias_table[relative_position_index(3)].permute(2, 0, 1)
    ref = torch.softmax(q @ k.transpose(-1, -2) / 2.0 + bias, dim=-1) @ v
    ref = attn.proj(ref.transpose(1, 2).reshape(2, 9, 8))
    assert torch.allclose(attn(x, y), ref, atol=1e-5)


def test_sam_output_is_norm_block_plus_both_projections():
    torch.manual_seed(0)
    sam = SkipAttentionModule(6, 4, 8, 2, window_size=3).eval()
    e, q = torch.randn(1, 6, 5, 4), torch.randn(1, 4, 5, 4)  # 5x4 is padded to 6x6 windows
    pe, pq = sam.proj_e(e), sam.proj_q(q)
    tokens = sam.block(pq.flatten(2).transpose(1, 2), pe.flatten(2).transpose(1, 2), (5, 4))
    ref = sam.norm_out(tokens).transpose(1, 2).reshape(1, 8, 5, 4) + pe + pq
    assert torch.allclose(sam(e, q), ref, atol=1e-6)
    with pytest.raises(ValueError, match='differ in size'):
        sam(e, q[..., :2])


def test_bcp_returns_increasing_centres_in_range():
    bcp = BinCenterPredictor(8, 16, 10, 0.1, 80.0)
    c = bcp(torch.randn(2, 8, 3, 5))
    assert c.shape == (2, 10) and (c.diff(dim=1) > 0).all()
    assert (c > 0.1).all() and (c < 80.0).all()


# ------------------------------------------------------------------------------- head
def test_head_forward_loss_and_loss_mask():
    torch.manual_seed(0)
    head = MODELS.build(dict(SMALL_HEAD, loss_min_depth=1.0))
    feats = [torch.randn(2, c, 16 // 2**i, 24 // 2**i) for i, c in enumerate([16, 32, 64, 128])]
    depth = head(feats)
    assert depth.shape == (2, 1, 16, 24)  # 1/4 of a 64x96 input
    assert (depth >= 0.1).all() and (depth <= 10.0).all()  # convex combination of centres
    gt = torch.rand(2, 1, 64, 96) * 9.5 + 0.2
    mask = head.valid_mask(gt)
    assert not mask[gt <= 1.0].any() and mask[gt > 1.0].all()
    losses = head.loss_by_feat(depth, depth_samples(gt))
    assert set(losses) == {'loss_si'} and torch.isfinite(losses['loss_si'])
    losses['loss_si'].backward()
    assert all(p.grad is not None for p in head.parameters() if p.requires_grad)


def test_head_rejects_bad_arguments():
    with pytest.raises(ValueError, match='one entry per level'):
        PixelFormerHead(in_channels=[16, 32, 64], sam_dims=[16, 32, 64, 128])
    with pytest.raises(ValueError, match='divisible by 4'):
        PixelFormerHead(in_channels=[16, 32, 64, 128], sam_dims=[16, 30, 64, 128])


# -------------------------------------------------------------------------- converter
def official_swin_shapes(embed, depths, heads, window):
    """Keys/shapes of Microsoft's Swin layout (as in PixelFormer's networks/swin_transformer.py)."""
    s = {'patch_embed.proj.weight': (embed, 3, 4, 4), 'patch_embed.proj.bias': (embed,),
         'patch_embed.norm.weight': (embed,), 'patch_embed.norm.bias': (embed,)}
    for i, (depth, head) in enumerate(zip(depths, heads, strict=True)):
        c = embed * 2**i
        for j in range(depth):
            p = f'layers.{i}.blocks.{j}.'
            s.update({p + 'norm1.weight': (c,), p + 'norm1.bias': (c,),
                      p + 'attn.relative_position_bias_table': ((2 * window - 1)**2, head),
                      p + 'attn.relative_position_index': (window**2, window**2),
                      p + 'attn.qkv.weight': (3 * c, c), p + 'attn.qkv.bias': (3 * c,),
                      p + 'attn.proj.weight': (c, c), p + 'attn.proj.bias': (c,),
                      p + 'norm2.weight': (c,), p + 'norm2.bias': (c,),
                      p + 'mlp.fc1.weight': (4 * c, c), p + 'mlp.fc1.bias': (4 * c,),
                      p + 'mlp.fc2.weight': (c, 4 * c), p + 'mlp.fc2.bias': (c,)})
        if i < len(depths) - 1:
            s.update({f'layers.{i}.downsample.reduction.weight': (2 * c, 4 * c),
                      f'layers.{i}.downsample.norm.weight': (4 * c,),
                      f'layers.{i}.downsample.norm.bias': (4 * c,)})
        s.update({f'norm{i}.weight': (c,), f'norm{i}.bias': (c,)})
    return s


def official_pixelformer_shapes(in_channels, channels, sam_dims, sam_heads, window, bins,
                                hidden, swin):
    """Keys/shapes of an official PixelFormer ``state_dict`` (networks/PixelFormer.py, SAM.py,
    PQI.py), before the ``module.`` prefix of its DDP checkpoints."""
    s = {f'backbone.{k}': v for k, v in official_swin_shapes(**swin).items()}
    for k in range(4):  # PPM branches: 1x1 conv (no bias) + GroupNorm
        s[f'decoder.psp_modules.{k}.1.conv.weight'] = (channels, in_channels[-1], 1, 1)
        s[f'decoder.psp_modules.{k}.1.gn.weight'] = (channels,)
        s[f'decoder.psp_modules.{k}.1.gn.bias'] = (channels,)
    s['decoder.bottleneck.conv.weight'] = (channels, in_channels[-1] + 4 * channels, 3, 3)
    for n in ('weight', 'bias', 'running_mean', 'running_var'):
        s[f'decoder.bottleneck.bn.{n}'] = (channels,)
    s['decoder.bottleneck.bn.num_batches_tracked'] = ()
    v_dims = [d // 4 for d in sam_dims[1:]] + [channels]
    for k in range(4):
        d, p = sam_dims[k], f'sam{k + 1}.'
        s.update({p + 'proj_e.weight': (d, in_channels[k], 3, 3), p + 'proj_e.bias': (d,),
                  p + 'proj_q.weight': (d, v_dims[k], 3, 3), p + 'proj_q.bias': (d,),
                  p + 'proj.weight': (d, d, 3, 3), p + 'proj.bias': (d,),
                  p + 'norm_sam.weight': (d,), p + 'norm_sam.bias': (d,)})
        b = p + 'sam_block.'
        s.update({b + 'norm1.weight': (d,), b + 'norm1.bias': (d,), b + 'normv.weight': (d,),
                  b + 'normv.bias': (d,), b + 'norm2.weight': (d,), b + 'norm2.bias': (d,),
                  b + 'attn.relative_position_bias_table': ((2 * window - 1)**2, sam_heads[k]),
                  b + 'attn.relative_position_index': (window**2, window**2),
                  b + 'attn.kv.weight': (2 * d, d), b + 'attn.kv.bias': (2 * d,),
                  b + 'attn.q.weight': (d, d), b + 'attn.q.bias': (d,),
                  b + 'attn.proj.weight': (d, d), b + 'attn.proj.bias': (d,),
                  b + 'mlp.fc1.weight': (4 * d, d), b + 'mlp.fc1.bias': (4 * d,),
                  b + 'mlp.fc2.weight': (d, 4 * d), b + 'mlp.fc2.bias': (d,)})
    s.update({'bcp.fc1.weight': (hidden, channels), 'bcp.fc1.bias': (hidden,),
              'bcp.fc2.weight': (bins, hidden), 'bcp.fc2.bias': (bins,),
              'disp_head1.conv1.weight': (bins, sam_dims[0], 3, 3),
              'disp_head1.conv1.bias': (bins,)})
    return s


def test_converted_official_checkpoint_loads_strictly():
    swin = dict(embed=16, depths=[2, 2, 2, 2], heads=[1, 2, 4, 8], window=7)
    shapes = official_pixelformer_shapes([16, 32, 64, 128], 32, [16, 32, 64, 128], [1, 2, 4, 8],
                                         7, 16, 64, swin)
    official = {f'module.{k}': v for k, v in random_state_dict(shapes).items()}
    converted = convert_pixelformer(checkpoint_state_dict({'model': official, 'global_step': 1}))
    assert not any('.proj.weight' in k and 'sams' in k and 'attn' not in k for k in converted)
    model = MODELS.build(dict(type='DepthEstimator', backbone=SMALL_SWIN,
                              decode_head=SMALL_HEAD))
    model.load_state_dict(converted, strict=True)
    assert torch.equal(model.decode_head.conv_depth.weight,
                       official['module.disp_head1.conv1.weight'])
    with pytest.raises(KeyError, match='unknown key'):
        convert_pixelformer({'foo.weight': torch.zeros(1)})


def test_converter_cli(tmp_path):
    """tools/model_converters/pixelformer2mmdepth.py writes a loadable mmengine checkpoint."""
    spec = importlib.util.spec_from_file_location(
        'pixelformer2mmdepth', REPO_ROOT / 'tools/model_converters/pixelformer2mmdepth.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    swin = dict(embed=16, depths=[2, 2, 2, 2], heads=[1, 2, 4, 8], window=7)
    official = random_state_dict(official_pixelformer_shapes(
        [16, 32, 64, 128], 32, [16, 32, 64, 128], [1, 2, 4, 8], 7, 16, 64, swin))
    torch.save({'model': {f'module.{k}': v for k, v in official.items()}, 'global_step': 5},
               tmp_path / 'nyu.pth')
    cli.main([str(tmp_path / 'nyu.pth'), str(tmp_path / 'converted.pth')])
    converted = torch.load(tmp_path / 'converted.pth', weights_only=True)['state_dict']
    model = MODELS.build(dict(type='DepthEstimator', backbone=SMALL_SWIN,
                              decode_head=SMALL_HEAD))
    model.load_state_dict(converted, strict=True)


def test_patch_merging_reorder_keeps_the_function():
    """Microsoft's concat-order PatchMerging == mmcv's unfold-order one after the reorder."""
    torch.manual_seed(0)
    c = 4
    x = torch.randn(1, 6 * 8, c)
    norm, reduction = nn.LayerNorm(4 * c), nn.Linear(4 * c, 2 * c, bias=False)
    nn.init.normal_(norm.weight)
    nn.init.normal_(norm.bias)
    grid = x.view(1, 6, 8, c)
    cat = torch.cat([grid[:, 0::2, 0::2], grid[:, 1::2, 0::2], grid[:, 0::2, 1::2],
                     grid[:, 1::2, 1::2]], dim=-1).view(1, -1, 4 * c)
    ref = reduction(norm(cat))
    merge = PatchMerging(c, 2 * c)
    merge.norm.weight.data = unfold_norm_order(norm.weight.data)
    merge.norm.bias.data = unfold_norm_order(norm.bias.data)
    merge.reduction.weight.data = unfold_reduction_order(reduction.weight.data)
    out, _ = merge(x, (6, 8))
    assert torch.allclose(out, ref, atol=1e-5)


def test_swin_converter_maps_every_official_key():
    shapes = official_swin_shapes(16, [2, 2], [1, 2], 7)
    converted = convert_official_swin(dict(random_state_dict(shapes), **{
        'head.weight': torch.zeros(3, 32), 'layers.0.blocks.1.attn_mask': torch.zeros(1)}))
    swin = MODELS.build(dict(SMALL_SWIN, depths=[2, 2], num_heads=[1, 2], out_indices=(0, 1)))
    swin.load_state_dict(converted, strict=True)


# ------------------------------------------------------------------ configs and counts
@pytest.fixture(scope='module')
def baseline_model():
    return build_depth_model(BASELINE['nyu'])


def test_param_count_matches_official(baseline_model):
    """Our build = official total minus the unused SAM ``proj`` convs, within 5% of it."""
    ours = sum(p.numel() for p in baseline_model.parameters())
    assert ours == OFFICIAL_PIXELFORMER_PARAMS - UNUSED_SAM_PROJ == 258_360_240
    assert abs(ours - OFFICIAL_PIXELFORMER_PARAMS) / OFFICIAL_PIXELFORMER_PARAMS < 0.05
    head = baseline_model.decode_head
    assert [s.embed_dims for s in head.sams] == list(SAM_DIMS)
    assert head.conv_depth.out_channels == 256 and head.bin_predictor.fc1.out_features == 2048


def test_configs_use_published_settings():
    nyu, kitti = (Config.fromfile(str(BASELINE[d])) for d in ('nyu', 'kitti'))
    assert nyu.model.backbone.window_size == 7 and nyu.model.backbone.embed_dims == 192
    assert 'window7_224_22k' in nyu.model.backbone.init_cfg.checkpoint
    assert (nyu.model.decode_head.min_depth, nyu.model.decode_head.max_depth) == (0.1, 10.0)
    assert (kitti.model.decode_head.max_depth, kitti.model.decode_head.loss_min_depth) == (
        80.0, 1.0)
    assert kitti.train_dataloader.dataset.pipeline[5].crop_size == (352, 1120)
    loss = nyu.model.decode_head.loss_decode
    assert (loss.lamb, loss.scale, loss.use_sqrt, loss.reduction) == (0.85, 10.0, True, 'batch')
    for ds in ('nyu', 'kitti'):
        dgr = Config.fromfile(str(DGR[ds]))
        assert dgr.model.neck.type == 'DGRNeck'
        assert dgr.model.neck.in_channels == [192, 384, 768, 1536]
        assert [lo.type for lo in dgr.model.decode_head.loss_decode] == ['DepthMSELoss',
                                                                         'OTDLLoss']


def test_dgr_overhead_within_goals(baseline_model):
    """DGR adds <= 3% parameters and <= 5% FLOPs (FLOPs at a reduced 128x160 input).

    The DGR blocks are inserted without changing anything else, so the baseline's counts are
    the DGR model's minus the DGR blocks' share (one analysis instead of two).
    """
    result = model_complexity(str(DGR['nyu']), (128, 160))  # the KITTI one differs in the loss
    base_params = result['params'] - result['dgr_params']
    assert base_params == sum(p.numel() for p in baseline_model.parameters())
    assert 0 < result['dgr_params'] <= 0.03 * base_params
    assert 0 < result['dgr_flops'] <= 0.05 * (result['flops'] - result['dgr_flops'])


# ------------------------------------------------------------------- synthetic test run
def test_tools_test_runs_on_synthetic_nyu(tmp_path, nyu_eval_root):
    """The library ``test()`` (tools/test.py) evaluates the NYU config on generated data."""
    data_root = nyu_eval_root
    cfg = Config.fromfile(str(BASELINE['nyu']))
    cfg.model.backbone = dict(SMALL_SWIN, init_cfg=None)  # narrow: seconds on CPU
    cfg.model.decode_head = SMALL_HEAD
    metrics = evaluate_with_random_weights(cfg, 'pixelformer_small_nyu', data_root, tmp_path)
    assert {'abs_rel', 'rmse', 'd1'} <= set(metrics)
    assert all(torch.isfinite(torch.tensor(float(v))) for v in metrics.values())


def test_head_output_is_upsampled_like_official():
    """Depth at 1/4, bilinearly resized to the input in predict (official: x4 upsampling)."""
    head = MODELS.build(SMALL_HEAD).eval()
    feats = [torch.randn(1, c, 16 // 2**i, 24 // 2**i) for i, c in enumerate([16, 32, 64, 128])]
    with torch.no_grad():
        depth = head(feats)
        pred = head.predict_by_feat(depth, [dict(img_shape=(64, 96), pad_shape=(64, 96))])
    ref = F.interpolate(depth, scale_factor=4, mode='bilinear', align_corners=False)
    assert torch.allclose(pred, ref.clamp(0.1, 10.0), atol=1e-5)
