"""PixelFormer's official versions ('base07', 'large07'): modules, configs, strict loading.

The official ``SAM.__init__`` (ashutosh1807/PixelFormer ``networks/SAM.py``) builds ``proj_e``
only when the encoder width differs from the SAM width and ``proj_q`` only when the query
width does. With Swin-B (widths 128..1024 = the SAM widths) no SAM has a ``proj_e``; with
Swin-L every SAM has both. The official state dicts below are written with the official key
names and shapes (``official_pixelformer_shapes`` of test_pixelformer.py, then the
projections the official rule does not build removed).
"""
import pytest
import torch
from mmengine.config import Config

from mmdepth_dgr.models.converters import convert_pixelformer
from mmdepth_dgr.models.converters.pixelformer import pixelformer_version
from mmdepth_dgr.models.decode_heads.pixelformer_head import (
    SkipAttentionModule,
    sam_projections,
)
from mmdepth_dgr.testing import REPO_ROOT, build_depth_model, random_state_dict

from .test_pixelformer import official_pixelformer_shapes

CONFIGS = REPO_ROOT / 'configs' / 'pixelformer'
VERSION_CONFIGS = {
    'base07': {ds: CONFIGS / f'pixelformer_swin-b_4xb2-80k_{ds}.py'
               for ds in ('nyu-416x544', 'kitti-352x1120')},
    'large07': {ds: CONFIGS / f'pixelformer_swin-l_4xb2-80k_{ds}.py'
                for ds in ('nyu-416x544', 'kitti-352x1120')},
}
SAM_DIMS = [128, 256, 512, 1024]
SAM_HEADS = [4, 8, 16, 32]
V_DIMS = [64, 128, 256, 512]  # the queries entering SAM1..SAM4 (pixel-shuffled, PPM's 512)


def official_state_dict_shapes(version: str) -> dict:
    """Keys/shapes of ``PixelFormer(version=...).state_dict()`` (official rule for the SAMs)."""
    enc = pixelformer_version(version)
    swin = dict(embed=enc['embed_dims'], depths=enc['depths'], heads=enc['num_heads'],
                window=enc['window_size'])
    shapes = official_pixelformer_shapes(enc['in_channels'], 512, SAM_DIMS, SAM_HEADS, 7, 256,
                                         2048, swin)
    for k in range(4):
        if enc['in_channels'][k] == SAM_DIMS[k]:  # `if input_dim != embed_dim: proj_e = Conv2d`
            del shapes[f'sam{k + 1}.proj_e.weight'], shapes[f'sam{k + 1}.proj_e.bias']
        if V_DIMS[k] == SAM_DIMS[k]:  # `if v_dim != embed_dim: proj_q = Conv2d`
            del shapes[f'sam{k + 1}.proj_q.weight'], shapes[f'sam{k + 1}.proj_q.bias']
    return shapes


def _params(shapes: dict) -> int:
    """Parameters of a state-dict layout (buffers: index tables, BN statistics, counters)."""
    buffers = ('relative_position_index', 'running_mean', 'running_var', 'num_batches_tracked')
    return sum(torch.Size(s).numel() for k, s in shapes.items() if not k.endswith(buffers))


def test_versions_are_the_official_encoders():
    assert pixelformer_version('base07') == dict(
        embed_dims=128, depths=[2, 2, 18, 2], num_heads=[4, 8, 16, 32], window_size=7,
        in_channels=[128, 256, 512, 1024])
    assert pixelformer_version('large07') == dict(
        embed_dims=192, depths=[2, 2, 18, 2], num_heads=[6, 12, 24, 48], window_size=7,
        in_channels=[192, 384, 768, 1536])
    assert pixelformer_version('large12')['window_size'] == 12
    assert pixelformer_version('tiny07')['depths'] == [2, 2, 6, 2]
    for bad in ('huge07', 'base', 'base7x'):
        with pytest.raises(ValueError, match='not one of'):
            pixelformer_version(bad)


def test_sam_projection_rule():
    assert sam_projections(192, 64, 128) == (True, True)  # large07, SAM1
    assert sam_projections(128, 64, 128) == (False, True)  # base07, SAM1
    assert sam_projections(128, 128, 128) == (False, False)
    assert sam_projections(128, 128, 128, proj_when_equal=True) == (True, True)
    sam = SkipAttentionModule(8, 8, 8, 2, window_size=3, proj_when_equal=False)
    assert sam.proj_e is None and sam.proj_q is None
    assert SkipAttentionModule(8, 8, 8, 2, window_size=3).proj_e is not None  # old default


def test_sam_without_projections_adds_the_raw_maps():
    """``out = LN(block(q, e)) + e + q`` with the unprojected maps (official forward)."""
    torch.manual_seed(0)
    sam = SkipAttentionModule(8, 4, 8, 2, window_size=3, proj_when_equal=False).eval()
    assert sam.proj_e is None and sam.proj_q is not None
    e, q = torch.randn(1, 8, 5, 6), torch.randn(1, 4, 5, 6)
    pq = sam.proj_q(q)
    block = sam.block(pq.flatten(2).transpose(1, 2), e.flatten(2).transpose(1, 2), (5, 6))
    ref = sam.norm_out(block).transpose(1, 2).reshape(1, 8, 5, 6) + e + pq
    torch.testing.assert_close(sam(e, q), ref)


@pytest.mark.parametrize('version', ['base07', 'large07'])
def test_configs_build_the_official_modules(version):
    enc = pixelformer_version(version)
    for path in VERSION_CONFIGS[version].values():
        cfg = Config.fromfile(str(path))
        backbone, head = cfg.model.backbone, cfg.model.decode_head
        assert (backbone.embed_dims, list(backbone.depths), list(backbone.num_heads),
                backbone.window_size) == (enc['embed_dims'], enc['depths'], enc['num_heads'],
                                          enc['window_size'])
        assert list(head.in_channels) == enc['in_channels']
        assert head.sam_proj_when_equal is False and list(head.sam_dims) == SAM_DIMS
        assert head.window_size == 7 and backbone.drop_path_rate == 0.3
        size = 'base' if version.startswith('base') else 'large'
        assert f'swin_{size}_patch4_window7_224_22k' in backbone.init_cfg.checkpoint


@pytest.mark.parametrize('version', ['base07', 'large07'])
def test_official_state_dict_of_each_version_loads_strictly(version):
    shapes = official_state_dict_shapes(version)
    official = {f'module.{k}': v for k, v in random_state_dict(shapes).items()}
    converted = convert_pixelformer(official)
    model = build_depth_model(VERSION_CONFIGS[version]['nyu-416x544'])
    model.load_state_dict(converted, strict=True)
    has_e = version.startswith('large')
    for k in range(4):
        sam = model.decode_head.sams[k]
        assert (sam.proj_e is not None) == has_e and sam.proj_q is not None
        assert torch.equal(sam.proj_q.weight, official[f'module.sam{k + 1}.proj_q.weight'])
    # this build = the official parameters minus the four unused SAM `proj` convs
    unused = sum(d * d * 9 + d for d in SAM_DIMS)
    ours = sum(p.numel() for p in model.parameters())
    assert ours == _params(shapes) - unused
    if version == 'large07':
        assert _params(shapes) == 270_895_920  # the official train.py total (test_pixelformer)


def test_base_checkpoint_needs_the_official_sam_rule():
    """The always-projecting head (the old default) cannot load a 'base07' checkpoint."""
    converted = convert_pixelformer(random_state_dict(official_state_dict_shapes('base07')))
    cfg = Config.fromfile(str(VERSION_CONFIGS['base07']['nyu-416x544']))
    cfg.model.decode_head.sam_proj_when_equal = True
    model = build_depth_model(cfg)
    missing, unexpected = model.load_state_dict(converted, strict=False)
    assert sorted(missing) == sorted(f'decode_head.sams.{k}.proj_e.{n}' for k in range(4)
                                     for n in ('weight', 'bias'))
    assert unexpected == []
