"""Shared math helpers for the depth losses.

Every depth loss of this package follows the same recipe:

1. :func:`prepare_depth_inputs` brings ``pred``/``target``/``valid_mask`` to
   ``(B, 1, H, W)``, computes in float32 (float64 is kept, e.g. for
   ``gradcheck``) and replaces the values outside the mask by a harmless
   constant with :func:`torch.where`, so NaN/inf targets or predictions there
   can neither reach the loss nor its gradient.
2. The loss computes a per-pixel term and averages it per sample over the
   valid pixels with :func:`masked_mean`.
3. :func:`reduce_per_sample` averages the per-sample values over the samples
   that have at least one valid pixel.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def upcast_float(x: Tensor) -> Tensor:
    """Cast a tensor to the dtype the losses compute in.

    Lower precisions (float16, bfloat16, integers, bool) become float32; float64
    is kept so that ``torch.autograd.gradcheck`` runs in double precision.

    Args:
        x (Tensor): Any tensor.

    Returns:
        Tensor: ``x`` as float64 if it already is float64, else as float32.
    """
    return x if x.dtype == torch.float64 else x.float()


def _as_nchw(x: Tensor, name: str) -> Tensor:
    """Reshape a ``(B, H, W)`` or ``(B, 1, H, W)`` depth-like map to ``(B, 1, H, W)``."""
    if x.dim() == 3:
        return x.unsqueeze(1)
    if x.dim() == 4 and x.size(1) == 1:
        return x
    raise ValueError(f'{name} must have shape (B, H, W) or (B, 1, H, W), got {tuple(x.shape)}')


def prepare_depth_inputs(pred: Tensor,
                         target: Tensor,
                         valid_mask: Optional[Tensor] = None,
                         fill_value: float = 1.0) -> Tuple[Tensor, Tensor, Tensor]:
    """Normalise shapes, dtypes and invalid pixels of a depth-loss input.

    The valid mask is ``valid_mask & isfinite(target) & (target > 0)``
    (``valid_mask`` defaults to all pixels): a depth of 0 or less is never
    valid. Outside it, both ``pred`` and ``target`` are replaced by
    ``fill_value`` with :func:`torch.where`; since the backward of ``where``
    routes a zero gradient to the unselected branch without multiplying it by
    anything, non-finite values there never produce NaN gradients.

    Args:
        pred (Tensor): Predicted depth, ``(B, H, W)`` or ``(B, 1, H, W)``.
        target (Tensor): Ground-truth depth of the same shape as ``pred``.
        valid_mask (Tensor, optional): Boolean mask of the same shape, combined
            with the finite positive targets. Defaults to None (all of those).
        fill_value (float): Value written at invalid pixels. Defaults to 1.0.

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``pred`` and ``target`` as float32 (or
        float64) ``(B, 1, H, W)`` tensors with sanitised invalid pixels, and the
        boolean ``(B, 1, H, W)`` valid mask.
    """
    if pred.shape != target.shape:
        raise ValueError(f'pred {tuple(pred.shape)} and target {tuple(target.shape)} '
                         'must have the same shape')
    pred = _as_nchw(upcast_float(pred), 'pred')
    target = _as_nchw(upcast_float(target), 'target')
    mask = torch.isfinite(target) & (target > 0)
    if valid_mask is not None:
        user = _as_nchw(valid_mask.to(device=target.device, dtype=torch.bool), 'valid_mask')
        if user.shape != target.shape:
            raise ValueError(f'valid_mask {tuple(valid_mask.shape)} does not match '
                             f'target {tuple(target.shape)}')
        mask = mask & user
    fill = torch.full_like(target, fill_value)
    target = torch.where(mask, target, fill)
    pred = torch.where(mask, pred, fill)
    return pred, target, mask


def masked_mean(x: Tensor, mask: Tensor, dims: Sequence[int] = (1, 2, 3)) -> Tensor:
    """Mean of ``x`` over the pixels selected by ``mask``, one value per sample.

    Pixels outside the mask are excluded with :func:`torch.where` (never
    multiplied by 0), so NaN/inf there do not propagate. A sample without any
    valid pixel gets 0 (the denominator is clamped at 1).

    Args:
        x (Tensor): Per-pixel values, e.g. ``(B, 1, H, W)``.
        mask (Tensor): Boolean mask broadcastable to ``x``.
        dims (Sequence[int]): Dimensions to average over. Defaults to (1, 2, 3).

    Returns:
        Tensor: ``(B,)`` per-sample means (0 for samples with an empty mask).
    """
    mask = mask.expand_as(x)
    dims = tuple(dims)
    total = torch.where(mask, x, torch.zeros_like(x)).sum(dim=dims)
    count = mask.sum(dim=dims).to(x.dtype).clamp(min=1)
    return total / count


def reduce_per_sample(loss: Tensor, mask: Tensor) -> Tensor:
    """Average per-sample losses over the samples that have a valid pixel.

    Samples without any valid pixel contribute 0 and are not counted. If no
    sample is valid the result is an exact 0 that is still connected to the
    autograd graph of ``loss`` (with zero gradients).

    Args:
        loss (Tensor): ``(B,)`` per-sample losses.
        mask (Tensor): Boolean ``(B, ...)`` valid mask; a sample counts if any
            of its pixels is True.

    Returns:
        Tensor: Scalar loss.
    """
    has_valid = mask.flatten(1).any(dim=1)
    loss = torch.where(has_valid, loss, torch.zeros_like(loss))
    return loss.sum() / has_valid.sum().to(loss.dtype).clamp(min=1)


def sobel_gradients(depth: Tensor) -> Tuple[Tensor, Tensor]:
    """Horizontal and vertical 3x3 Sobel derivatives of a map.

    Uses the unnormalised kernels ``[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]`` (x)
    and its transpose (y) with replicate padding, so the output has the input's
    size. Implemented with shifted slices rather than ``conv2d`` so that it is
    exact in float64 and not down-cast by ``torch.autocast``.

    Args:
        depth (Tensor): ``(B, C, H, W)`` map.

    Returns:
        tuple[Tensor, Tensor]: ``(d/dx, d/dy)``, each ``(B, C, H, W)``.
    """
    h, w = depth.shape[-2:]
    p = F.pad(depth, (1, 1, 1, 1), mode='replicate')
    # horizontal central differences on the three rows, smoothed 1-2-1 vertically
    diff_x = p[..., :, 2:] - p[..., :, :w]
    grad_x = diff_x[..., :h, :] + 2 * diff_x[..., 1:h + 1, :] + diff_x[..., 2:, :]
    diff_y = p[..., 2:, :] - p[..., :h, :]
    grad_y = diff_y[..., :w] + 2 * diff_y[..., 1:w + 1] + diff_y[..., 2:]
    return grad_x, grad_y


def erode_mask(mask: Tensor, kernel_size: int = 3) -> Tensor:
    """Keep only pixels whose whole ``kernel_size`` neighbourhood is valid.

    Implemented as a max-pool of the inverted mask. Neighbours outside the image
    do not invalidate a pixel (they are replicate-padded copies of in-image
    pixels in :func:`sobel_gradients`).

    Args:
        mask (Tensor): Boolean ``(B, C, H, W)`` mask.
        kernel_size (int): Odd neighbourhood size. Defaults to 3.

    Returns:
        Tensor: Boolean eroded mask of the same shape.
    """
    invalid = (~mask).float()
    invalid = F.max_pool2d(invalid, kernel_size, stride=1, padding=kernel_size // 2)
    return invalid == 0
