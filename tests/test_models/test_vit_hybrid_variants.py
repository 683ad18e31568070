"""ViTHybrid's two DPT / TransDepth switches: weight-standardisation formula, pos-embed resize.

DPT (isl-org/DPT, timm 0.4.5) standardises as ``(w - mean) / (std + 1e-5)`` and resizes the
position embedding bilinearly; TransDepth (TransUNet) standardises as
``(w - mean) / sqrt(var + 1e-5)`` and has no position embedding. Each formula is checked
against a direct computation, each switch changes the output only where it should, and the
configs select the official variant of each model.
"""
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmdepth_dgr.models.backbones.vit_hybrid import (
    WS_FORMULAS,
    StdConv2d,
    ViTHybrid,
    resize_pos_embed,
    standardize_weight,
    standardize_weight_std,
)
from mmdepth_dgr.testing import REPO_ROOT

CONFIGS = REPO_ROOT / 'configs'
DPT_CONFIGS = sorted((CONFIGS / 'dpt').glob('dpt_*.py')) + sorted(
    (CONFIGS / 'dgr').glob('dpt-dgr_*.py'))
TRANSDEPTH_CONFIGS = sorted((CONFIGS / 'transdepth').glob('transdepth_*.py')) + sorted(
    (CONFIGS / 'dgr').glob('transdepth-dgr_*.py'))


def _direct(weight: torch.Tensor, eps: float, formula: str) -> torch.Tensor:
    """Per-filter standardisation written out with sums, in float64."""
    w = weight.double()
    out = torch.empty_like(w)
    for o in range(w.shape[0]):
        flat = w[o].flatten()
        mean = flat.sum() / flat.numel()
        var = ((flat - mean) ** 2).sum() / flat.numel()  # biased, as both implementations
        denom = (var + eps).sqrt() if formula == 'var' else var.sqrt() + eps
        out[o] = (w[o] - mean) / denom
    return out


@pytest.mark.parametrize('eps', [1e-5, 1e-8, 0.5])
def test_each_formula_equals_its_direct_computation(eps):
    w = torch.randn(5, 3, 3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    w[1] *= 1e-3  # a filter of small spread, where the two formulas differ most
    torch.testing.assert_close(standardize_weight(w, eps), _direct(w, eps, 'var'),
                               rtol=1e-12, atol=0)
    torch.testing.assert_close(standardize_weight_std(w, eps), _direct(w, eps, 'std'),
                               rtol=1e-12, atol=0)
    assert not torch.allclose(standardize_weight(w, eps), standardize_weight_std(w, eps),
                              rtol=1e-9, atol=0)
    assert {'var': standardize_weight, 'std': standardize_weight_std} == WS_FORMULAS


def test_formulas_agree_without_eps():
    w = torch.randn(4, 2, 3, 3, dtype=torch.float64)
    torch.testing.assert_close(standardize_weight(w, 0.0), standardize_weight_std(w, 0.0))


def test_std_conv_uses_the_chosen_formula():
    x = torch.randn(1, 3, 9, 9, dtype=torch.float64)
    conv = StdConv2d(3, 4, 3, padding=1, bias=False, eps=1e-5, ws_formula='std').double()
    ref = F.conv2d(x, _direct(conv.weight.detach(), 1e-5, 'std'), padding=1)
    torch.testing.assert_close(conv(x), ref, rtol=1e-12, atol=1e-12)
    conv.ws_formula = 'var'
    ref = F.conv2d(x, _direct(conv.weight.detach(), 1e-5, 'var'), padding=1)
    torch.testing.assert_close(conv(x), ref, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match='ws_formula'):
        StdConv2d(3, 4, 3, ws_formula='rms')


def test_bilinear_resize_is_dpts_interpolation():
    """Grid tokens as a (1, C, gh, gw) map, F.interpolate(mode='bilinear'), class token kept."""
    pos = torch.randn(1, 1 + 4 * 5, 6, dtype=torch.float64)
    grid = pos[:, 1:].reshape(1, 4, 5, 6).permute(0, 3, 1, 2)
    ref = F.interpolate(grid, size=(7, 3), mode='bilinear', align_corners=False)
    ref = torch.cat([pos[:, :1], ref.permute(0, 2, 3, 1).reshape(1, 21, 6)], dim=1)
    out = resize_pos_embed(pos, (4, 5), (7, 3), 1, mode='bilinear')
    torch.testing.assert_close(out, ref, rtol=0, atol=0)
    bicubic = resize_pos_embed(pos, (4, 5), (7, 3), 1)  # the default is unchanged
    assert not torch.allclose(bicubic, out)
    for mode in ('bilinear', 'bicubic'):
        assert resize_pos_embed(pos, (4, 5), (4, 5), 1, mode=mode) is pos
        # interpolating to the same grid is the identity: the shortcut changes nothing
        same = F.interpolate(grid, size=(4, 5), mode=mode, align_corners=False)
        torch.testing.assert_close(same, grid, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match='mode'):
        resize_pos_embed(pos, (4, 5), (7, 3), 1, mode='nearest')


def _small(**kwargs) -> ViTHybrid:
    cfg = dict(num_layers=2, embed_dims=32, num_heads=2, padding='tf_same', with_cls_token=True,
               use_pos_embed=True, output_cls_token=False, out_indices=(-1, ),
               pos_embed_grid=(2, 3), stem_out_indices=(1, 2), final_norm=False)
    cfg.update(kwargs)
    torch.manual_seed(0)
    model = ViTHybrid(**cfg).double().eval()
    model.init_weights()
    return model


def _outputs(model: ViTHybrid, size) -> list:
    x = torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(1),
                    dtype=torch.float64)
    with torch.no_grad():
        return list(model(x))


def test_pos_embed_switch_changes_only_other_grids():
    bicubic = _small(pos_embed_resize='bicubic')
    bilinear = _small(pos_embed_resize='bilinear')
    bilinear.load_state_dict(bicubic.state_dict())
    # the stored grid (2x3 tokens = 32x48 input): identical; trunk maps never depend on it
    for a, b in zip(_outputs(bicubic, (32, 48)), _outputs(bilinear, (32, 48)), strict=True):
        assert torch.equal(a, b)
    other_a, other_b = _outputs(bicubic, (64, 80)), _outputs(bilinear, (64, 80))
    for a, b in zip(other_a[:2], other_b[:2], strict=True):  # ResNet stages 1-2
        assert torch.equal(a, b)
    assert not torch.allclose(other_a[-1], other_b[-1])  # ViT tokens
    with pytest.raises(ValueError, match='pos_embed_resize'):
        _small(pos_embed_resize='area')


def test_ws_switch_changes_every_output_and_nothing_else():
    var, std = _small(ws_formula='var', ws_eps=1e-5), _small(ws_formula='std', ws_eps=1e-5)
    std.load_state_dict(var.state_dict())  # same parameters: the formula is not a weight
    assert var.state_dict().keys() == std.state_dict().keys()
    for a, b in zip(_outputs(var, (32, 48)), _outputs(std, (32, 48)), strict=True):
        assert not torch.allclose(a, b, rtol=1e-9, atol=0)
        assert (a - b).abs().max() < 5e-2 * a.abs().max()  # an eps-sized difference
    zero_var, zero_std = _small(ws_formula='var', ws_eps=0.0), _small(ws_formula='std',
                                                                       ws_eps=0.0)
    zero_std.load_state_dict(zero_var.state_dict())
    for a, b in zip(_outputs(zero_var, (32, 48)), _outputs(zero_std, (32, 48)), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
    assert all(m.ws_formula == 'std' for m in std.modules() if isinstance(m, StdConv2d))
    with pytest.raises(ValueError, match='ws_formula'):
        _small(ws_formula='rms')


@pytest.mark.parametrize('path', DPT_CONFIGS, ids=[p.name for p in DPT_CONFIGS])
def test_dpt_configs_pick_dpts_variant(path):
    backbone = Config.fromfile(str(path)).model.backbone
    assert (backbone.ws_formula, backbone.ws_eps, backbone.pos_embed_resize) == (
        'std', 1e-5, 'bilinear')


@pytest.mark.parametrize('path', TRANSDEPTH_CONFIGS, ids=[p.name for p in TRANSDEPTH_CONFIGS])
def test_transdepth_configs_keep_transuneps_variant(path):
    backbone = Config.fromfile(str(path)).model.backbone
    assert backbone.get('ws_formula', 'var') == 'var' and backbone.ws_eps == 1e-5
    assert not backbone.use_pos_embed  # so the resize mode never applies


def test_config_lists_are_complete():
    assert len(DPT_CONFIGS) == 4 and len(TRANSDEPTH_CONFIGS) == 4
