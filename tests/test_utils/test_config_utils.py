"""Config rewrites for offline and CPU use: strip_pretrained, sync_bn_to_bn."""
from mmdepth_dgr.utils import strip_pretrained, sync_bn_to_bn


def test_config_rewrites():
    cfg = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='x'),
                             norm_cfg=dict(type='SyncBN')),
               head=dict(init_cfg=[dict(type='Normal')], pretrained='url'))
    strip_pretrained(cfg)
    sync_bn_to_bn(cfg)
    assert cfg['backbone']['init_cfg'] is None
    assert cfg['head']['init_cfg'] == [dict(type='Normal')]
    assert cfg['head']['pretrained'] is None
    assert cfg['backbone']['norm_cfg']['type'] == 'BN'
