"""DPT-Hybrid: inverse-depth output, fusion, Reassemble neck, configs, converter, test run."""
import copy
import math
import sys

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmseg.registry import MODELS

from mmdepth_dgr.analysis.complexity import module_complexity
from mmdepth_dgr.models.converters.dpt import DPT_INVERSE_DEPTH, convert_dpt_hybrid
from mmdepth_dgr.models.decode_heads import DPTDepthHead
from mmdepth_dgr.models.decode_heads.dpt_depth_head import (
    FusionBlock,
    ResidualConvUnit,
    inverse_depth_to_depth,
)
from mmdepth_dgr.models.necks import DGRNeck, DPTReassemble
from mmdepth_dgr.testing import (
    REPO_ROOT,
    build_depth_model,
    count_params,
    dataloader_options,
    depth_batch,
)
from mmdepth_dgr.utils import sync_bn_to_bn

NYU = REPO_ROOT / 'configs' / 'dpt' / 'dpt_r50-vit-b16_4xb4-80k_nyu-416x544.py'
KITTI = REPO_ROOT / 'configs' / 'dpt' / 'dpt_r50-vit-b16_4xb4-80k_kitti-352x704.py'
DGR_NYU = REPO_ROOT / 'configs' / 'dgr' / 'dpt-dgr_r50-vit-b16_4xb4-80k_nyu-416x544.py'
#: DPT paper (Ranftl et al., ICCV'21, Table 6/7): DPT-Hybrid has 123 M parameters.
PAPER_PARAMS = 123e6
#: get_flops.py figure of dpt_r50-vit-b16_4xb4-80k_nyu-416x544.py at 480x640 (MACs).
BASELINE_FLOPS_NYU = 280.29e9


# ----------------------------------------------------------------------------------------
# The official checkpoint layout of DPTDepthModel(backbone='vitb_rn50_384'), written from the
# official code (DPT's dpt/vit.py, blocks.py, models.py and timm 0.4.5's
# vit_base_resnet50_384), independently of this project's modules.
# ----------------------------------------------------------------------------------------
def official_dpt_hybrid_shapes():
    """Keys and shapes of the official DPT-Hybrid depth state dict."""
    m = 'pretrained.model'
    bb = f'{m}.patch_embed.backbone'
    shapes = {f'{m}.cls_token': (1, 1, 768), f'{m}.pos_embed': (1, 577, 768),
              f'{bb}.stem.conv.weight': (64, 3, 7, 7), f'{bb}.stem.norm.weight': (64, ),
              f'{bb}.stem.norm.bias': (64, )}
    cin = 64
    for s, n in enumerate((3, 4, 9)):
        cout = 256 * 2**s
        mid = cout // 4
        for b in range(n):
            p = f'{bb}.stages.{s}.blocks.{b}'
            if b == 0:
                shapes.update({f'{p}.downsample.conv.weight': (cout, cin, 1, 1),
                               f'{p}.downsample.norm.weight': (cout, ),
                               f'{p}.downsample.norm.bias': (cout, )})
            for k, (co, ci, ks) in enumerate([(mid, cin if b == 0 else cout, 1), (mid, mid, 3),
                                              (cout, mid, 1)], start=1):
                shapes.update({f'{p}.conv{k}.weight': (co, ci, ks, ks),
                               f'{p}.norm{k}.weight': (co, ), f'{p}.norm{k}.bias': (co, )})
        cin = cout
    shapes.update({f'{m}.patch_embed.proj.weight': (768, 1024, 1, 1),
                   f'{m}.patch_embed.proj.bias': (768, )})
    for i in range(12):
        p = f'{m}.blocks.{i}'
        shapes.update({f'{p}.norm1.weight': (768, ), f'{p}.norm1.bias': (768, ),
                       f'{p}.attn.qkv.weight': (2304, 768), f'{p}.attn.qkv.bias': (2304, ),
                       f'{p}.attn.proj.weight': (768, 768), f'{p}.attn.proj.bias': (768, ),
                       f'{p}.norm2.weight': (768, ), f'{p}.norm2.bias': (768, ),
                       f'{p}.mlp.fc1.weight': (3072, 768), f'{p}.mlp.fc1.bias': (3072, ),
                       f'{p}.mlp.fc2.weight': (768, 3072), f'{p}.mlp.fc2.bias': (768, )})
    shapes.update({f'{m}.norm.weight': (768, ), f'{m}.norm.bias': (768, ),
                   f'{m}.head.weight': (1000, 768), f'{m}.head.bias': (1000, )})
    for level in (3, 4):
        p = f'pretrained.act_postprocess{level}'
        shapes.update({f'{p}.0.project.0.weight': (768, 1536), f'{p}.0.project.0.bias': (768, ),
                       f'{p}.3.weight': (768, 768, 1, 1), f'{p}.3.bias': (768, )})
    shapes.update({'pretrained.act_postprocess4.4.weight': (768, 768, 3, 3),
                   'pretrained.act_postprocess4.4.bias': (768, )})
    for level, cin in enumerate((256, 512, 768, 768), start=1):
        shapes[f'scratch.layer{level}_rn.weight'] = (256, cin, 3, 3)
        p = f'scratch.refinenet{level}'
        for unit in (1, 2):
            for conv in (1, 2):
                shapes.update({f'{p}.resConfUnit{unit}.conv{conv}.weight': (256, 256, 3, 3),
                               f'{p}.resConfUnit{unit}.conv{conv}.bias': (256, )})
        shapes.update({f'{p}.out_conv.weight': (256, 256, 1, 1), f'{p}.out_conv.bias': (256, )})
    shapes.update({'scratch.output_conv.0.weight': (128, 256, 3, 3),
                   'scratch.output_conv.0.bias': (128, ),
                   'scratch.output_conv.2.weight': (32, 128, 3, 3),
                   'scratch.output_conv.2.bias': (32, ),
                   'scratch.output_conv.4.weight': (1, 32, 1, 1),
                   'scratch.output_conv.4.bias': (1, )})
    return shapes


@pytest.fixture(scope='module')
def official():
    gen = torch.Generator().manual_seed(0)
    return {k: torch.randn(s, generator=gen) for k, s in official_dpt_hybrid_shapes().items()}


@pytest.fixture(scope='module')
def model():
    return build_depth_model(NYU)


# --------------------------------- output and blocks -------------------------------------
def test_inverse_depth_formula_and_scale_folding():
    z = torch.randn(2, 1, 4, 4)
    scale, shift = DPT_INVERSE_DEPTH['nyu']
    official = 1.0 / (scale * F.relu(z) + shift)  # DPTDepthModel(invert=True)
    assert torch.allclose(inverse_depth_to_depth(F.relu(scale * z), 1.0, shift), official)
    assert torch.allclose(inverse_depth_to_depth(F.relu(z), scale, shift), official)
    assert official.max() <= 1 / shift + 1e-4  # NYU model: at most 7.26 m
    assert inverse_depth_to_depth(torch.tensor([-1.0]), 1.0, 0.0).item() == pytest.approx(1e8)


def test_residual_unit_and_fusion_block_follow_dpt():
    torch.manual_seed(0)
    rcu = ResidualConvUnit(8, dict(type='ReLU'))
    x = torch.randn(1, 8, 5, 6)
    c1, c2 = rcu.conv1.conv, rcu.conv2.conv
    assert c1.bias is not None  # DPT's depth models use biased convs without BN
    expected = x + c2(F.relu(c1(F.relu(x))))
    assert torch.allclose(rcu(x), expected, atol=1e-6)
    block = FusionBlock(8, dict(type='ReLU'))
    skip = torch.randn(1, 8, 5, 6)
    fused = block.res_conv_unit2(x + block.res_conv_unit1(skip))
    expected = block.project(F.interpolate(fused, scale_factor=2, mode='bilinear',
                                           align_corners=True))
    assert torch.allclose(block(x, skip), expected, atol=1e-6)
    coarsest = FusionBlock(8, dict(type='ReLU'), with_skip=False)
    assert coarsest.res_conv_unit1 is None and coarsest(x).shape == (1, 8, 10, 12)
    with pytest.raises(ValueError, match='with_skip'):
        coarsest(x, skip)
    # a skip of another size (input sides not multiples of 32) is resized to the path
    assert block(x, torch.randn(1, 8, 4, 7)).shape == (1, 8, 10, 12)


def test_reassemble_readouts_and_resampling():
    torch.manual_seed(0)
    neck = DPTReassemble(embed_dims=16, out_channels=(4, 8, 16, 16), token_levels=(0, 1, 2, 3))
    b, h, w = 2, 3, 5
    tokens = [[torch.randn(b, 16, h, w), torch.randn(b, 16)] for _ in range(4)]
    outs = neck(tokens)
    assert [tuple(o.shape) for o in outs] == [(b, 4, 12, 20), (b, 8, 6, 10), (b, 16, 3, 5),
                                              (b, 16, 2, 3)]
    # 'project' readout: Linear(concat(token, cls)) + GELU, then the 1x1 projection
    feat, cls = tokens[2]
    seq = feat.flatten(2).transpose(1, 2)
    read = neck.readout_projects['2'](torch.cat([seq, cls[:, None].expand_as(seq)], -1))
    expected = neck.projects['2'](read.transpose(1, 2).reshape(b, 16, h, w))
    assert torch.allclose(outs[2], expected, atol=1e-6)
    add = DPTReassemble(16, (4, 8, 16, 16), token_levels=(0, 1, 2, 3), readout_type='add')
    assert torch.allclose(add.read(0, tokens[0]), tokens[0][0] + tokens[0][1][:, :, None, None])
    ignore = DPTReassemble(16, (4, 8, 16, 16), token_levels=(2, 3), readout_type='ignore')
    assert torch.equal(ignore.read(2, tokens[2]), tokens[2][0])


def test_reassemble_hybrid_pass_through_and_errors():
    neck = DPTReassemble(embed_dims=16, out_channels=(4, 8, 16, 16), token_levels=(2, 3))
    assert set(neck.projects) == {'2', '3'}
    cnn = [torch.randn(1, 4, 16, 16), torch.randn(1, 8, 8, 8)]
    vit = [[torch.randn(1, 16, 4, 4), torch.randn(1, 16)] for _ in range(2)]
    outs = neck(cnn + vit)
    assert outs[0] is cnn[0] and outs[1] is cnn[1] and outs[3].shape == (1, 16, 2, 2)
    with pytest.raises(ValueError, match='pass-through level 0'):
        neck([torch.randn(1, 5, 16, 16)] + cnn[1:] + vit)
    with pytest.raises(ValueError, match='cls_token'):
        neck(cnn + [vit[0][0], vit[1]])
    with pytest.raises(ValueError, match='levels'):
        neck(cnn)
    with pytest.raises(ValueError, match='readout_type'):
        DPTReassemble(readout_type='mean')
    with pytest.raises(ValueError, match='scale_factor'):
        DPTReassemble(scale_factors=(4, 2, 1, 3))


def test_head_output_modes_and_errors():
    feats = [torch.randn(1, c, 16 // 2**i, 24 // 2**i) for i, c in enumerate((8, 8, 16, 16))]
    inv = DPTDepthHead(in_channels=(8, 8, 16, 16), channels=8, head_channels=(8, 4),
                       inverse_shift=0.25)
    depth = inv(feats)
    assert depth.shape == (1, 1, 64, 96)  # 1/4 level at 16x24 -> full resolution
    assert depth.min() > 0 and depth.max() <= 4.0 + 1e-5
    lin = DPTDepthHead(in_channels=(8, 8, 16, 16), channels=8, head_channels=(8, 4),
                       output_mode='depth', depth_act='sigmoid', max_depth=10.0)
    assert lin(feats).max() <= 10.0
    with pytest.raises(ValueError, match='output_mode'):
        DPTDepthHead(output_mode='log')
    with pytest.raises(ValueError, match='inverse_shift'):
        DPTDepthHead(inverse_shift=0.0)


# --------------------------------- configs and model -------------------------------------
def test_config_output_conventions():
    for path, dataset, max_depth in ((NYU, 'nyu', 10.0), (KITTI, 'kitti', 80.0)):
        cfg = Config.fromfile(str(path))
        head = cfg.model.decode_head
        assert head.output_mode == 'inverse' and head.inverse_scale == 1.0
        assert head.inverse_shift == DPT_INVERSE_DEPTH[dataset][1]
        assert head.max_depth == max_depth
        assert cfg.model.data_preprocessor.mean == [127.5] * 3  # DPT normalises to [-1, 1]
        assert cfg.model.backbone.out_indices == (8, 11)  # DPT-Hybrid hooks


def test_model_forward_loss_predict(model):
    model.train()
    batch = depth_batch()
    data = model.data_preprocessor(batch, True)
    feats = model.extract_feat(data['inputs'])
    assert [tuple(f.shape[1:]) for f in feats] == [(256, 16, 24), (512, 8, 12), (768, 4, 6),
                                                    (768, 2, 3)]
    losses = model(**data, mode='loss')
    assert set(losses) == {'decode.loss_silog'}
    # gradients reach the neck (the backbone's 98 M weight gradients are skipped for speed;
    # tests/test_configs.py back-propagates through the whole model)
    grads = torch.autograd.grad(losses['decode.loss_silog'],
                                [model.neck.readout_projects['3'][0].weight,
                                 model.decode_head.conv_depth.weight])
    assert all(torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)
    model.eval()
    with torch.no_grad():
        out = model(**model.data_preprocessor(batch, False), mode='predict')
    pred = out[0].pred_depth_map.data
    assert pred.shape == (1, 64, 96) and pred.max() <= 1 / 0.1378 + 1e-4


def test_parameter_count_matches_official(model):
    """Official count = the official state dict's entries: 123.15 M (paper: 123 M)."""
    shapes = official_dpt_hybrid_shapes()
    official = sum(math.prod(s) for s in shapes.values())
    unused = sum(math.prod(s) for k, s in shapes.items()
                 if k.startswith(('pretrained.model.head.', 'pretrained.model.norm.',
                                  'scratch.refinenet4.resConfUnit1.')))
    ours = count_params(model)
    assert official - ours == unused  # exactly the weights DPT never runs
    assert abs(ours - official) / official < 0.05
    assert abs(ours - PAPER_PARAMS) / PAPER_PARAMS < 0.05


def test_dgr_parameter_and_flop_overhead(model):
    """DGR adds <= 3 % parameters and <= 5 % FLOPs at NYU's 480x640.

    The baseline FLOPs are the figure of ``tools/analysis_tools/get_flops.py
    configs/dpt/dpt_r50-vit-b16_4xb4-80k_nyu-416x544.py --shape 480 640`` (tracing the whole
    model is too slow for a unit test); the DGR blocks are counted here on the reassembled
    feature shapes.
    """
    cfg = Config.fromfile(str(DGR_NYU))
    necks = cfg.model.neck.necks
    assert necks[0].type == 'DPTReassemble' and necks[1].type == 'DGRNeck'
    dgr = MODELS.build(sync_bn_to_bn(copy.deepcopy(necks[1]))).eval()
    assert isinstance(dgr, DGRNeck) and dgr.levels == [0, 1, 2, 3]
    assert count_params(dgr) / count_params(model) <= 0.03
    feats = [torch.zeros(1, c, 480 // s, 640 // s)
             for c, s in zip([256, 512, 768, 768], [4, 8, 16, 32], strict=True)]
    with torch.no_grad():
        cost = module_complexity(dgr, (feats, ))
    assert cost['flops'] / BASELINE_FLOPS_NYU <= 0.05


# --------------------------------- converter ---------------------------------------------
def test_converter_loads_strictly_and_folds_the_scale(model, official):
    scale = DPT_INVERSE_DEPTH['nyu'][0]
    converted, dropped = convert_dpt_hybrid(official, depth_scale=scale)
    assert sorted(dropped) == sorted(
        k for k in official if k.startswith(('pretrained.model.head.', 'pretrained.model.norm.',
                                              'scratch.refinenet4.resConfUnit1.')))
    missing, unexpected = model.load_state_dict(converted, strict=True)
    assert not missing and not unexpected
    own = model.state_dict()
    assert torch.allclose(own['decode_head.conv_depth.weight'],
                          scale * official['scratch.output_conv.4.weight'])
    assert torch.equal(own['decode_head.fusion_blocks.0.project.weight'],
                       official['scratch.refinenet4.out_conv.weight'])
    assert torch.equal(own['decode_head.fusion_blocks.3.res_conv_unit1.conv2.conv.bias'],
                       official['scratch.refinenet1.resConfUnit1.conv2.bias'])
    assert torch.equal(own['neck.readout_projects.3.0.weight'],
                       official['pretrained.act_postprocess4.0.project.0.weight'])
    assert torch.equal(own['neck.resize_layers.3.weight'],
                       official['pretrained.act_postprocess4.4.weight'])
    assert torch.equal(own['backbone.layers.5.attn.attn.in_proj_weight'],
                       official['pretrained.model.blocks.5.attn.qkv.weight'])
    assert torch.equal(own['backbone.stages.2.0.gn_proj.weight'],
                       official['pretrained.model.patch_embed.backbone.stages.2.blocks.0.'
                                'downsample.norm.weight'])
    with pytest.raises(KeyError, match='unexpected'):
        convert_dpt_hybrid({'scratch.foo.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match='depth_scale'):
        convert_dpt_hybrid(official, depth_scale=-1.0)


def test_converter_into_dgr_model_misses_only_dgr_keys(official):
    cfg = Config.fromfile(str(DGR_NYU))
    cfg.model.decode_head.loss_decode = [dict(type='DepthMSELoss')]  # loss has no weights
    dgr_model = build_depth_model(cfg)
    converted, _ = convert_dpt_hybrid(official, neck_prefix='neck.necks.0.')
    missing, unexpected = dgr_model.load_state_dict(converted, strict=False)
    assert not unexpected
    assert missing and all(k.startswith('neck.necks.1.') for k in missing)


def test_converter_cli(tmp_path):
    sys.path.insert(0, str(REPO_ROOT / 'tools' / 'model_converters'))
    import dpt2mmdepth
    src, dst = tmp_path / 'dpt_hybrid_kitti.pt', tmp_path / 'out.pth'
    subset = {k: torch.ones(s) for k, s in official_dpt_hybrid_shapes().items()
              if k.startswith(('scratch.output_conv.4', 'pretrained.act_postprocess3'))}
    torch.save(subset, src)
    dpt2mmdepth.main([str(src), str(dst), '--dataset', 'kitti', '--dgr'])
    ckpt = torch.load(dst, map_location='cpu')
    state = ckpt['state_dict']
    assert 'neck.necks.0.projects.2.weight' in state
    assert torch.allclose(state['decode_head.conv_depth.bias'],
                          torch.tensor([DPT_INVERSE_DEPTH['kitti'][0]]))
    assert ckpt['meta']['inverse_shift'] == DPT_INVERSE_DEPTH['kitti'][1]


# --------------------------------- tools/test.py on synthetic data -----------------------
def test_library_test_runs_on_synthetic_nyu(tmp_path, model, nyu_eval_root):
    from mmdepth_dgr.engine import test, test_config
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    options = dataloader_options(nyu_eval_root)
    options.update({'model.backbone.init_cfg': None})
    metrics = test(test_config(str(NYU), str(ckpt), work_dir=str(tmp_path / 'work'),
                               cfg_options=options))
    assert {'abs_rel', 'rmse', 'd1'} <= set(metrics)
    assert all(math.isfinite(v) for v in metrics.values())
