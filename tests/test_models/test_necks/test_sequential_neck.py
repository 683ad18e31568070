"""SequentialNeck: a chain of necks (DGRNeck before another neck)."""
import pytest
import torch
from mmseg.registry import MODELS

from mmdepth_dgr.models.necks import DGRNeck, SequentialNeck


def test_sequential_neck():
    chain = MODELS.build(dict(type='SequentialNeck', necks=[
        dict(type='DGRNeck', in_channels=[8, 16], zero_init=False),
        dict(type='FPN', in_channels=[8, 16], out_channels=12, num_outs=2)]))
    assert isinstance(chain, SequentialNeck) and isinstance(chain.necks[0], DGRNeck)
    feats = [torch.randn(2, 8, 8, 10), torch.randn(2, 16, 4, 5)]
    out = chain(feats)
    assert [o.shape for o in out] == [(2, 12, 8, 10), (2, 12, 4, 5)]
    expected = chain.necks[1](chain.necks[0](feats))
    assert all(torch.allclose(a, b) for a, b in zip(out, expected, strict=True))
    assert any(k.startswith('necks.1.') for k in chain.state_dict())
    with pytest.raises(ValueError, match='non-empty list'):
        SequentialNeck([])
