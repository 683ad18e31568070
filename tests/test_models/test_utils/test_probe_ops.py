"""Masking arithmetic of the sparse-pixel probe (Sec. 3.1): binarisation, masking, image
regions, sparsity, restoring maps."""
import pytest
import torch
from mmseg.registry import MODELS

from mmdepth_dgr.models.utils import (
    DEFAULT_MASK_THRESHOLD,
    apply_mask,
    binarize_mask,
    image_region_mask,
    mask_l1,
    mask_sparsity,
    restore_map,
    sample_binary_mask,
)
from mmdepth_dgr.testing.probe import MEAN, PREPROCESSOR


def test_binarize_mask_threshold():
    soft = torch.tensor([0.0, 0.2, 0.49, 0.5, 0.51, 0.9, 1.0])
    assert DEFAULT_MASK_THRESHOLD == 0.5
    assert binarize_mask(soft).tolist() == [0, 0, 0, 1, 1, 1, 1]  # kept iff G >= 0.5
    assert binarize_mask(soft, 0.3).tolist() == [0, 0, 1, 1, 1, 1, 1]
    assert binarize_mask(soft, 0.95).tolist() == [0, 0, 0, 0, 0, 0, 1]
    assert binarize_mask(soft.double()).dtype == torch.float64
    for bad in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match='threshold'):
            binarize_mask(soft, bad)


def test_apply_mask_removed_pixels_become_the_mean_colour():
    """Masking after normalisation: a removed pixel equals a mean-colour pixel (and padding)."""
    pre = MODELS.build(PREPROCESSOR)
    gen = torch.Generator().manual_seed(0)
    img = torch.randint(0, 255, (3, 4, 6), generator=gen, dtype=torch.uint8)
    mean_bgr = torch.tensor(MEAN[::-1]).view(3, 1, 1)  # loader images are BGR
    mean_img = mean_bgr.round().expand(3, 4, 6).to(torch.uint8)
    x = pre(dict(inputs=[img, mean_img]), False)['inputs']
    assert x[1].abs().max() < 0.01  # the mean colour normalises to (almost) 0
    mask = torch.zeros(2, 1, 4, 6)
    mask[:, :, :2] = 1
    out = apply_mask(x, mask)
    assert torch.equal(out[:, :, :2], x[:, :, :2])  # kept pixels untouched, every channel
    assert torch.equal(out[:, :, 2:], torch.zeros_like(out[:, :, 2:]))  # removed -> mean
    # soft masks scale the normalised values; per-channel masks work too
    assert torch.allclose(apply_mask(x, torch.full((2, 1, 4, 6), 0.25)), 0.25 * x)
    assert torch.equal(apply_mask(x, torch.ones(2, 3, 4, 6)), x)
    with pytest.raises(ValueError, match='does not fit'):
        apply_mask(x, torch.ones(2, 1, 4, 5))
    with pytest.raises(ValueError, match='4-D'):
        apply_mask(x, torch.ones(1, 4, 6))


def test_region_l1_and_sparsity_values():
    region = image_region_mask((2, 3, 4, 5), [(0, 2, 0, 1), None])
    assert region.shape == (2, 1, 4, 5)
    assert region[0].sum() == 3 * 3 and region[1].all()
    assert not region[0, 0, 3].any() and not region[0, 0, :, 3:].any()
    with pytest.raises(ValueError, match='does not fit'):
        image_region_mask((1, 4, 5), [(0, 5, 0, 0)])
    with pytest.raises(ValueError, match='padding sizes'):
        image_region_mask((2, 4, 5), [(0, 0, 0, 0)])

    binary = torch.zeros(2, 1, 4, 5)
    binary[0, :, 0, 0] = 1  # 1 kept pixel of the 9 image pixels
    binary[0, :, 3, 4] = 1  # on the padding: not counted
    binary[1, :, :2] = 1  # 10 of 20
    assert mask_sparsity(binary, region=region).tolist() == pytest.approx([1 / 9, 0.5])
    assert mask_sparsity(binary).tolist() == pytest.approx([2 / 20, 0.5])
    assert mask_sparsity(torch.ones(1, 4, 5)).tolist() == [1.0]  # full image = 1.00
    soft = torch.full((1, 1, 2, 2), 0.6)
    soft[0, 0, 0, 0] = 0.2
    assert mask_sparsity(soft, threshold=0.5).item() == pytest.approx(0.75)
    # the Eq. 6 regulariser is the mean of the soft mask over the image pixels
    assert mask_l1(soft).item() == pytest.approx((0.2 + 3 * 0.6) / 4)
    assert mask_l1(binary, region).tolist() == pytest.approx([1 / 9, 0.5])
    with pytest.raises(ValueError, match='no image pixel'):
        mask_l1(soft, torch.zeros(1, 1, 2, 2, dtype=torch.bool))


def test_restore_map_removes_padding_flips_and_resizes():
    data = torch.arange(24.0).view(1, 4, 6)
    meta = dict(padding_size=(0, 2, 0, 1), ori_shape=(3, 4))
    assert torch.equal(restore_map(data, meta), data[:, :3, :4])
    flipped = restore_map(data, dict(meta, flip=True, flip_direction='horizontal'))
    assert torch.equal(flipped, data[:, :3, :4].flip(-1))
    big = restore_map(torch.ones(1, 2, 3), dict(ori_shape=(4, 6)), 'nearest')
    assert big.shape == (1, 4, 6) and torch.equal(big, torch.ones(1, 4, 6))


def test_binarize_at_sparsity_keeps_exactly_the_highest_pixels_per_image():
    from mmdepth_dgr.models.utils import binarize_at_sparsity
    soft = torch.rand(2, 1, 6, 8, generator=torch.Generator().manual_seed(0))
    out = binarize_at_sparsity(soft, 0.25)
    assert out.shape == soft.shape and out.dtype == soft.dtype
    for b in range(2):
        kept = out[b, 0].bool()
        assert kept.sum() == 12  # round(0.25 * 48)
        assert soft[b, 0][kept].min() > soft[b, 0][~kept].max()
    # ties: the first pixels in row-major order win; 0 and 1 keep nothing / everything
    flat = binarize_at_sparsity(torch.full((1, 2, 3), 0.5), 0.5)
    assert flat.flatten().tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert binarize_at_sparsity(soft, 0.0).sum() == 0
    assert binarize_at_sparsity(soft, 1.0).sum() == soft.numel()
    with pytest.raises(ValueError, match=r'sparsity must be in \[0, 1\]'):
        binarize_at_sparsity(soft, 1.5)
    with pytest.raises(ValueError, match='must be'):
        binarize_at_sparsity(torch.rand(5), 0.5)


def test_sample_binary_mask_draw_and_straight_through_gradient():
    """0/1 values with keep frequency G, gradient d(sum M * w)/dG = w (straight through)."""
    soft = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0]).repeat(20000, 1).requires_grad_(True)
    gen = torch.Generator().manual_seed(0)
    mask = sample_binary_mask(soft, generator=gen)
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    freq = mask.detach().mean(0)
    assert freq[0] == 0 and freq[-1] == 1
    assert torch.allclose(freq[1:4], torch.tensor([0.1, 0.5, 0.9]), atol=0.01)
    weights = torch.arange(5.0).repeat(20000, 1)
    (mask * weights).sum().backward()
    assert torch.equal(soft.grad, weights)
    again = sample_binary_mask(soft.detach(), generator=torch.Generator().manual_seed(0))
    assert torch.equal(again, mask.detach())  # the generator decides the draw
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        sample_binary_mask(torch.tensor([0.5, 1.2]))
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        sample_binary_mask(torch.tensor([float('nan')]))


def test_binarize_at_sparsity_per_mask_fractions_and_region():
    from mmdepth_dgr.models.utils import binarize_at_sparsity
    soft = torch.rand(2, 1, 6, 8, generator=torch.Generator().manual_seed(3))
    region = torch.zeros(2, 1, 6, 8, dtype=torch.bool)
    region[0, :, :4, :5] = True  # 20 pixels
    region[1] = True  # 48 pixels
    out = binarize_at_sparsity(soft, torch.tensor([[0.5], [0.25]]), region)
    assert out[0].sum() == 10 and out[1].sum() == 12
    assert out[0][~region[0]].sum() == 0  # never outside the region
    kept = soft[0][region[0] & (out[0] > 0)]
    dropped = soft[0][region[0] & (out[0] == 0)]
    assert kept.min() > dropped.max()  # the highest pixels inside the region
    # a region of all pixels is the default
    assert torch.equal(binarize_at_sparsity(soft, 0.25, torch.ones_like(region)),
                       binarize_at_sparsity(soft, 0.25))
    with pytest.raises(ValueError, match='sparsity'):
        binarize_at_sparsity(soft, torch.tensor([[0.5], [1.2]]))
