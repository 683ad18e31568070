"""DGRBlock (Sec. 3.2, Eq. 11-14): fixed filter buffers, the outer product, zero init."""
import pytest
import torch

from mmdepth_dgr.models.utils import DGRBlock, laplacian_kernel, outer_product


def test_filter_buffers_fixed_and_not_in_state_dict():
    block = DGRBlock(4)
    buffers = dict(block.named_buffers())
    assert buffers['lap_weight'].shape == (4, 1, 3, 3)
    assert buffers['third_weight'].shape == (4, 1, 5, 5)
    params = {id(p) for p in block.parameters()}
    assert id(buffers['lap_weight']) not in params and id(buffers['third_weight']) not in params
    keys = block.state_dict().keys()
    assert not any('lap_weight' in k or 'third_weight' in k for k in keys)
    block.double()  # buffers follow dtype/device moves
    assert block.lap_weight.dtype == torch.float64
    assert torch.equal(block.lap_weight[2, 0], laplacian_kernel(torch.float64))


def test_outer_product():
    u, v = torch.randn(2, 3, 4, 5), torch.randn(2, 2, 4, 5)
    out = outer_product(u, v)
    assert out.shape == (2, 6, 4, 5)
    assert torch.allclose(out[:, 1 * 2 + 0], u[:, 1] * v[:, 0])
    with pytest.raises(ValueError, match='differ'):
        outer_product(u, torch.randn(2, 2, 4, 6))


def test_gradients_reach_dgr_at_init():
    block = DGRBlock(8)
    assert torch.count_nonzero(block.reduce.weight) == 0
    assert torch.count_nonzero(block.reduce.bias) == 0
    others = [p for n, p in block.named_parameters() if not n.startswith('reduce.')]
    assert all(torch.count_nonzero(p) > 0 for p in others if p.dim() > 1)  # only last is zero
    x = torch.randn(2, 8, 9, 11, requires_grad=True)
    block(x).pow(2).sum().backward()
    assert block.reduce.weight.grad.abs().sum() > 0  # the zero layer learns at once
    assert torch.allclose(x.grad, 2 * x)  # identity: d(sum out^2)/dx = 2x
    torch.optim.SGD(block.parameters(), lr=0.1).step()
    block.zero_grad()
    block(x).pow(2).sum().backward()
    for name in ('fc1.weight', 'fc2.weight', 'spatial_conv.conv.weight', 'proj_spatial.weight',
                 'proj_merged.weight'):
        assert block.get_parameter(name).grad.abs().sum() > 0, name


def test_zero_init_survives_init_weights_and_init_cfg():
    block = DGRBlock(8, init_cfg=dict(type='Constant', val=0.5, layer='Conv2d'))
    block.init_weights()
    assert torch.count_nonzero(block.reduce.weight) == 0
    assert torch.all(block.fc1.weight == 0.5)
    assert torch.count_nonzero(DGRBlock(8, zero_init=False).reduce.weight) > 0
