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


def binarize_at_sparsity(mask: Tensor, sparsity: float) -> Tensor:
    """Binarise soft masks by rank: keep the ``round(sparsity * H * W)`` highest pixels of each.

    The cross-evaluation of Eq. 7-8 compares two networks on each other's masks; at a common
    sparsity the comparison is not confounded by one mask keeping more pixels than the other.
    Ties keep the pixel that comes first in row-major order (``torch.sort`` is stable).

    Args:
        mask (Tensor): (..., H, W) soft masks.
        sparsity (float): Fraction of pixels to keep, in [0, 1].

    Returns:
        Tensor: 0/1 masks of ``mask``'s shape and (floating) dtype, each with exactly
        ``round(sparsity * H * W)`` ones.

    Raises:
        ValueError: ``sparsity`` is outside [0, 1] or the mask has fewer than 2 dims.
    """
    if not 0.0 <= float(sparsity) <= 1.0:
        raise ValueError(f'sparsity must be in [0, 1], got {sparsity}')
    if mask.dim() < 2:
        raise ValueError(f'mask must be (..., H, W), got shape {tuple(mask.shape)}')
    flat = mask.reshape(*mask.shape[:-2], -1)
    keep = int(round(float(sparsity) * flat.shape[-1]))
    order = torch.sort(flat, dim=-1, descending=True, stable=True).indices
    dtype = mask.dtype if mask.is_floating_point() else torch.float32
    out = torch.zeros_like(flat, dtype=dtype)
    out.scatter_(-1, order[..., :keep], 1.0)
    return out.reshape(mask.shape)


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
