"""Masking ops of the sparse-pixel probe (paper Sec. 3.1, Eq. 3-8).

Pure tensor functions shared by the probe model
(:class:`~mmdepth_dgr.models.segmentors.SparsePixelProbe`), its sparsity
metric (``MaskSparsityMetric``) and the probe study. Conventions:

* **Where the mask multiplies.** The mask multiplies the image *after* the data
  preprocessor's normalisation, ``(I - mean) / std``. A removed pixel therefore
  becomes 0, i.e. the dataset's mean colour, which is also the value the
  preprocessor pads images with (``pad_val=0`` is applied after normalisation).
  Multiplying the 0-255 image instead would turn removed pixels black, a strong,
  out-of-distribution signal (about -2 after normalisation) that the depth network
  could read as content. Hu et al.'s public implementation of the same probe also
  multiplies the normalised tensor. Training (soft mask, Eq. 6) and evaluation
  (binary mask, Eq. 7-8) use the same place.
* **Binarisation** (Eq. 7-8): a pixel is kept when its soft mask value is at least
  the threshold, ``M = 1[G(I) >= t]``, with ``t = 0.5`` by default (the midpoint
  of the sigmoid output of G).
* **Training mask** (Eq. 6): either G(I) itself (``'soft'``, Hu et al.'s probe as written) or a
  binary mask drawn pixel by pixel with keep probability G(I) (``'bernoulli'``, the default of
  :class:`~mmdepth_dgr.models.segmentors.SparsePixelProbe`; see :func:`sample_binary_mask`).
  Networks whose first layer normalises its input (a patch embedding followed by LayerNorm, as
  in SegFormer and Swin) predict nearly the same depth from ``c * I`` as from ``I``, so a soft
  mask can lower the L1 term of Eq. 6 by dimming the whole image uniformly at almost no
  ``L_dif`` cost, and the binarised mask then keeps all pixels or none. A sampled 0/1 mask
  cannot dim: its L_dif is that of a binary mask, as in Eq. 7-8, and ``E[M] = G(I)`` keeps
  the expected L1 term of Eq. 6 equal to ``(1/n) ||G(I)||_1``.
* **Sparsity** (Table 1, "Sparseness"): the fraction of *kept* pixels of the
  image, ``mean(M)`` over the image region (padding excluded); 1.00 is the full
  image. Averaged over images.

The RMSE side of Table 1 (``depth_rmse``) belongs to the evaluation package.
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

#: Default binarisation threshold of the soft masks (Eq. 7-8).
DEFAULT_MASK_THRESHOLD = 0.5


def check_threshold(threshold: float) -> float:
    """Validate a binarisation threshold.

    Args:
        threshold (float): Candidate threshold.

    Returns:
        float: ``threshold`` as float.

    Raises:
        ValueError: The threshold is not in the open interval (0, 1).
    """
    threshold = float(threshold)
    if not 0.0 < threshold < 1.0:
        raise ValueError(f'mask threshold must be in (0, 1), got {threshold}')
    return threshold


def binarize_mask(mask: Tensor, threshold: float = DEFAULT_MASK_THRESHOLD) -> Tensor:
    """Binarise a soft mask: ``M = 1[G(I) >= threshold]`` (Eq. 7-8).

    Args:
        mask (Tensor): Soft mask with values in [0, 1].
        threshold (float): Keep pixels whose value is at least this. Defaults to 0.5.

    Returns:
        Tensor: 0/1 mask of ``mask``'s shape and (floating) dtype.
    """
    threshold = check_threshold(threshold)
    dtype = mask.dtype if mask.is_floating_point() else torch.float32
    return (mask >= threshold).to(dtype)


def binarize_at_sparsity(mask: Tensor, sparsity: Union[float, Tensor],
                         region: Optional[Tensor] = None) -> Tensor:
    """Binarise soft masks by rank: keep the ``round(sparsity * n)`` highest pixels of each.

    The cross-evaluation of Eq. 7-8 compares two networks on each other's masks; at a common
    sparsity the comparison is not confounded by one mask keeping more pixels than the other.
    ``n`` is the number of pixels of the mask (or of its ``region``: pixels outside it, e.g.
    padding, are never kept). Ties keep the pixel that comes first in row-major order
    (``torch.sort`` is stable).

    Args:
        mask (Tensor): (..., H, W) soft masks.
        sparsity (float | Tensor): Fraction of pixels to keep, in [0, 1]: one value, or one
            per mask (shape ``mask.shape[:-2]``).
        region (Tensor, optional): bool, broadcastable to ``mask``: the pixels that count.

    Returns:
        Tensor: 0/1 masks of ``mask``'s shape and (floating) dtype, each with exactly
        ``round(sparsity * n)`` ones.

    Raises:
        ValueError: ``sparsity`` is outside [0, 1] or the mask has fewer than 2 dims.
    """
    if mask.dim() < 2:
        raise ValueError(f'mask must be (..., H, W), got shape {tuple(mask.shape)}')
    fraction = torch.as_tensor(sparsity, dtype=torch.float64, device=mask.device)
    if not bool(((fraction >= 0) & (fraction <= 1)).all()):
        raise ValueError(f'sparsity must be in [0, 1], got {sparsity}')
    lead = mask.shape[:-2]
    inside = torch.ones_like(mask, dtype=torch.bool) if region is None else \
        region.to(torch.bool).expand_as(mask)
    inside = inside.reshape(*lead, -1)
    flat = mask.reshape(*lead, -1)
    key = torch.where(inside, flat.float(), torch.full_like(flat, -1.0, dtype=torch.float32))
    keep = torch.round(fraction.expand(lead) * inside.sum(-1).double()).to(torch.long)
    order = torch.sort(key, dim=-1, descending=True, stable=True).indices
    ranks = torch.empty_like(order)
    ranks.scatter_(-1, order, torch.arange(order.shape[-1], device=order.device).expand_as(order))
    dtype = mask.dtype if mask.is_floating_point() else torch.float32
    out = ((ranks < keep.to(ranks.device)[..., None]) & inside).to(dtype)
    return out.reshape(mask.shape)


#: Training masks of the probe (module docstring).
MASK_SAMPLING_MODES = ('bernoulli', 'soft')


def sample_binary_mask(soft: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
    """A 0/1 mask drawn with keep probability ``soft``, with a straight-through gradient.

    The forward value is ``M ~ Bernoulli(G(I))`` pixel by pixel; the backward pass treats
    ``M`` as ``G(I)`` (``dM/dG = 1``, the straight-through estimator of Bengio et al.,
    arXiv:1308.3432), so ``L_dif(N(I), N(I * M))`` trains G while N only ever sees binary
    masks, as in the evaluation of Eq. 7-8.

    Args:
        soft (Tensor): Keep probabilities in [0, 1].
        generator (torch.Generator, optional): Random generator of the draw.

    Returns:
        Tensor: ``soft``'s shape and dtype, values exactly 0 or 1, gradient that of ``soft``.

    Raises:
        ValueError: ``soft`` has values outside [0, 1] (or NaN).
    """
    detached = soft.detach()
    if not bool(((detached >= 0) & (detached <= 1)).all()):
        raise ValueError('sample_binary_mask: keep probabilities must lie in [0, 1]')
    hard = torch.bernoulli(detached.float(), generator=generator).to(soft.dtype)
    return hard + (soft - detached)


def check_mask_sampling(mode: str) -> str:
    """Validate a training-mask mode (:data:`MASK_SAMPLING_MODES`).

    Args:
        mode (str): Candidate mode.

    Returns:
        str: ``mode``.

    Raises:
        ValueError: Unknown mode.
    """
    if mode not in MASK_SAMPLING_MODES:
        raise ValueError(f'mask_sampling must be one of {MASK_SAMPLING_MODES}, got {mode!r}')
    return mode


def apply_mask(inputs: Tensor, mask: Tensor) -> Tensor:
    """The sparse image ``I * M`` of Eq. 3-4 and 6, on *normalised* inputs.

    Removed pixels become 0, the mean colour after normalisation (see the module
    docstring for why the mask multiplies after normalisation).

    Args:
        inputs (Tensor): Normalised images ``(B, C, H, W)``.
        mask (Tensor): ``(B, 1, H, W)`` (shared by the channels) or ``(B, C, H, W)``
            mask, soft or binary.

    Returns:
        Tensor: ``inputs * mask``.

    Raises:
        ValueError: The shapes do not fit.
    """
    if inputs.dim() != 4 or mask.dim() != 4:
        raise ValueError(f'inputs and mask must be 4-D (B, C, H, W), got {tuple(inputs.shape)} '
                         f'and {tuple(mask.shape)}')
    if (mask.shape[0] != inputs.shape[0] or mask.shape[2:] != inputs.shape[2:]
            or mask.shape[1] not in (1, inputs.shape[1])):
        raise ValueError(f'mask {tuple(mask.shape)} does not fit inputs {tuple(inputs.shape)}')
    return inputs * mask.to(inputs.dtype)


def image_region_mask(shape: Sequence[int], padding_sizes: Optional[Sequence] = None,
                      device: Union[str, torch.device, None] = None) -> Tensor:
    """Boolean mask of the real image inside a (padded) batch.

    Args:
        shape (Sequence[int]): Batch shape ``(B, H, W)`` or ``(B, C, H, W)``.
        padding_sizes (Sequence, optional): Per sample ``(left, right, top,
            bottom)`` padding, as mmseg's ``stack_batch`` records it; None (or a
            None entry) means no padding.
        device: Device of the result.

    Returns:
        Tensor: bool ``(B, 1, H, W)``, True on image pixels.

    Raises:
        ValueError: Wrong number of paddings, or a padding larger than the batch.
    """
    b, h, w = shape[0], shape[-2], shape[-1]
    region = torch.ones(b, 1, h, w, dtype=torch.bool, device=device)
    if padding_sizes is None:
        return region
    if len(padding_sizes) != b:
        raise ValueError(f'{len(padding_sizes)} padding sizes for a batch of {b}')
    for i, pad in enumerate(padding_sizes):
        if pad is None:
            continue
        left, right, top, bottom = (int(v) for v in pad)
        if min(left, right, top, bottom) < 0 or left + right >= w or top + bottom >= h:
            raise ValueError(f'padding {tuple(pad)} does not fit an image of {h}x{w}')
        region[i] = False
        region[i, :, top:h - bottom, left:w - right] = True
    return region


def mask_l1(mask: Tensor, region: Optional[Tensor] = None) -> Tensor:
    """The sparsity regulariser ``(1/n) ||M||_1`` of Eq. 5-6, per sample.

    Args:
        mask (Tensor): ``(B, 1, H, W)`` mask (soft or binary).
        region (Tensor, optional): bool ``(B, 1, H, W)`` pixels to count (the
            image without padding); None counts all. ``n`` is its pixel count.

    Returns:
        Tensor: ``(B,)`` mean absolute mask value over the region.

    Raises:
        ValueError: A sample has an empty region.
    """
    values = mask.abs()
    if region is None:
        return values.flatten(1).mean(dim=1)
    region = region.to(device=mask.device, dtype=torch.bool).expand_as(values)
    count = region.flatten(1).sum(dim=1)
    if bool((count == 0).any()):
        raise ValueError('mask_l1: a sample has no image pixel in its region')
    total = torch.where(region, values, torch.zeros_like(values)).flatten(1).sum(dim=1)
    return total / count.to(values.dtype)


def mask_sparsity(mask: Tensor, threshold: Optional[float] = None,
                  region: Optional[Tensor] = None) -> Tensor:
    """Sparsity as in Table 1: the fraction of kept pixels, per sample.

    Args:
        mask (Tensor): ``(B, 1, H, W)`` (or ``(B, H, W)``) mask.
        threshold (float, optional): Binarise first with :func:`binarize_mask`;
            None takes ``mask`` as already binary (a soft mask then gives its mean).
        region (Tensor, optional): bool image region (see :func:`mask_l1`).

    Returns:
        Tensor: ``(B,)`` values in [0, 1]; 1.0 means the full image.
    """
    if mask.dim() == 3:
        mask = mask.unsqueeze(1)
    mask = mask.float()
    if threshold is not None:
        mask = binarize_mask(mask, threshold)
    return mask_l1(mask, region)


def restore_map(data: Tensor, meta: dict, mode: str = 'bilinear',
                align_corners: bool = False) -> Tensor:
    """Bring a per-pixel map of the network input back to the original image.

    The same steps as mmseg's ``DepthEstimator.postprocess_result``: remove the
    padding, undo a flip, resize to ``ori_shape``.

    Args:
        data (Tensor): ``(C, H, W)`` map at the (padded) input size.
        meta (dict): Image meta (``padding_size`` or ``img_padding_size``,
            ``flip``, ``flip_direction``, ``ori_shape``).
        mode (str): Interpolation: ``'bilinear'`` for depth, ``'nearest'`` for
            binary masks.
        align_corners (bool): For bilinear resizing.

    Returns:
        Tensor: ``(C, H0, W0)`` map at ``ori_shape``.
    """
    pad = meta.get('img_padding_size', meta.get('padding_size')) or (0, 0, 0, 0)
    left, right, top, bottom = (int(v) for v in pad)
    h, w = data.shape[-2:]
    data = data[:, top:h - bottom, left:w - right]
    if meta.get('flip'):
        direction = meta.get('flip_direction')
        if direction not in ('horizontal', 'vertical'):
            raise ValueError(f'unknown flip_direction {direction!r}')
        data = data.flip(dims=(2, ) if direction == 'horizontal' else (1, ))
    ori_shape = tuple(int(v) for v in meta.get('ori_shape', data.shape[-2:])[:2])
    if tuple(data.shape[-2:]) != ori_shape:
        kwargs = dict(align_corners=align_corners) if mode == 'bilinear' else {}
        data = F.interpolate(data[None].float(), size=ori_shape, mode=mode, **kwargs)[0]
    return data
