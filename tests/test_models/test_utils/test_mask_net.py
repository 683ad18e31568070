"""MaskNet, the probe's mask generator G: output range and size, initial mask value."""
import pytest
import torch

from mmdepth_dgr.models.utils import MaskNet


def test_mask_net_output_and_init():
    g = MaskNet(base_channels=4, num_stages=3, init_bias=2.0)
    g.init_weights()
    for size in ((32, 48), (37, 50)):  # any size, mask at the input resolution
        mask = g(torch.randn(2, 3, *size))
        assert mask.shape == (2, 1, *size)
        assert mask.min() > 0 and mask.max() < 1
    assert abs(g(torch.randn(1, 3, 16, 16)).mean().item() - torch.sigmoid(
        torch.tensor(2.0)).item()) < 0.05
    with pytest.raises(ValueError, match='must be >= 1'):
        MaskNet(num_stages=0)
