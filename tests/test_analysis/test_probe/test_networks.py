"""The probe study's networks: loading N's model config and resolving the network pair."""
import copy

import pytest

from mmdepth_dgr.testing.probe import TINY_TARGET


def test_target_config_loading_and_network_resolution(tmp_path):
    from mmengine.config import Config

    from mmdepth_dgr.analysis.probe import resolve_networks
    from mmdepth_dgr.models.segmentors import load_target_model_config
    cfg = copy.deepcopy(TINY_TARGET)
    cfg['backbone'].update(norm_cfg=dict(type='SyncBN', requires_grad=True),
                           init_cfg=dict(type='Pretrained', checkpoint='torchvision://x'))
    loaded = load_target_model_config(cfg)
    assert loaded.backbone.norm_cfg.type == 'BN' and loaded.backbone.init_cfg is None
    assert cfg['backbone']['norm_cfg']['type'] == 'SyncBN'  # the input is not modified
    with pytest.raises(TypeError, match='config path or a model dict'):
        load_target_model_config(3)

    net_cfg = tmp_path / 'n.py'
    net_cfg.write_text('model = dict(type="DepthEstimator")\n')
    ckpt = tmp_path / 'n.pth'
    ckpt.write_bytes(b'')
    probe_cfg = Config(dict(probe_pair=dict(
        transformer=dict(name='T', config=str(net_cfg), checkpoint=None),
        cnn=dict(config=str(net_cfg), checkpoint=str(ckpt)))))
    with pytest.raises(FileNotFoundError, match='no checkpoint for the transformer'):
        resolve_networks(probe_cfg)
    nets = resolve_networks(probe_cfg, dict(transformer=dict(checkpoint=str(ckpt))))
    assert nets['transformer'].name == 'T' and nets['cnn'].name == 'n'
    with pytest.raises(FileNotFoundError, match='cnn network checkpoint not found'):
        resolve_networks(probe_cfg, dict(transformer=dict(checkpoint=str(ckpt)),
                                         cnn=dict(checkpoint=str(tmp_path / 'x.pth'))))
    with pytest.raises(KeyError, match='probe_pair'):
        resolve_networks(Config(dict()))
