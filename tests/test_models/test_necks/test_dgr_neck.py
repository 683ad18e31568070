"""DGRNeck: shapes, identity at init, level subsets, norm configs and errors."""
import pytest
import torch
from mmseg.registry import MODELS

from mmdepth_dgr.models.necks import DGRNeck
from mmdepth_dgr.models.utils import DGRBlock


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
