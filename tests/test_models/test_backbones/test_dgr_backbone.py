"""DGRBackbone: DGR blocks between the stages of ResNet / MiT / Swin backbones."""
import pytest
import torch
from mmseg.registry import MODELS

from mmdepth_dgr.models.backbones import DGRBackbone, backbone_kind, stage_channels


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
