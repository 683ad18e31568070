"""Shared helpers of the depth losses: masked means, per-sample reduction, Sobel gradients,
mask erosion."""
import pytest
import torch

from mmdepth_dgr.models.losses.utils import (
    erode_mask,
    masked_mean,
    reduce_per_sample,
    sobel_gradients,
)


def test_masked_mean_and_reduce_per_sample():
    x = torch.tensor([[1.0, 3.0, float('nan')], [5.0, 7.0, 9.0], [float('inf'), 0.0, 0.0]])
    mask = torch.tensor([[True, True, False], [True, False, False], [False, False, False]])
    per_sample = masked_mean(x, mask, dims=(1, ))
    assert torch.equal(per_sample, torch.tensor([2.0, 5.0, 0.0]))
    assert reduce_per_sample(per_sample, mask).item() == pytest.approx(3.5)
    assert reduce_per_sample(per_sample, torch.zeros_like(mask)).item() == 0.0


def test_sobel_gradients_and_erode_mask():
    ramp = torch.arange(5.0).view(1, 1, 1, 5).expand(1, 1, 4, 5) * 0.5
    gx, gy = sobel_gradients(ramp)
    # interior columns: (1 + 2 + 1) * (x+1 - (x-1)) * 0.5; border columns replicate-padded
    assert torch.allclose(gx[..., 1:-1], torch.full_like(gx[..., 1:-1], 4.0))
    assert torch.allclose(gx[..., 0], torch.full_like(gx[..., 0], 2.0))
    assert torch.equal(gy, torch.zeros_like(gy))
    gx_t, gy_t = sobel_gradients(ramp.transpose(-1, -2))
    assert torch.allclose(gy_t, gx.transpose(-1, -2)) and torch.equal(gx_t, torch.zeros_like(gx_t))

    mask = torch.ones(1, 1, 5, 5, dtype=torch.bool)
    mask[0, 0, 2, 2] = False
    eroded = erode_mask(mask)
    assert eroded.sum().item() == 25 - 9
    assert not eroded[0, 0, 1:4, 1:4].any()
