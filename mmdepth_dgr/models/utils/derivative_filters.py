"""Fixed finite-difference filters of the DGR module (Eq. 9-10 of the paper).

Conventions: ``x`` is the column index (width axis, last dim), ``y`` the row
index (height axis), unit grid spacing. PyTorch's ``conv2d`` is a
cross-correlation, ``out[i, j] = sum_{u, v} k[u, v] * f[i + u - p, j + v - p]``,
and the kernels below are written for that convention, so
``conv2d(f, kernel)`` approximates the derivative without any flipping.

* Second order, Eq. 9: the 5-point Laplacian
  ``L = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]``, i.e. ``f_xx + f_yy``; exact for
  polynomials of degree <= 3.
* Third order, Eq. 10 (the paper only says "the corresponding third-order
  differential operator"): ``H f = f_xxx + f_yyy``, the sum of the two axial
  third derivatives, each by the centred 5-tap stencil
  ``(f(+2) - 2 f(+1) + 2 f(-1) - f(-2)) / 2``, placed on the middle row and
  middle column of a 5x5 kernel. It is the third-order analogue of the
  5-point Laplacian (a sum of pure axial derivatives), zero-phase (centred, so
  the response stays aligned with the feature grid, unlike the 4-tap
  ``[-1, 3, -3, 1]`` forward stencil which is shifted by half a pixel) and
  exact for polynomials of degree <= 4 (error ``h^2/4 f^(5)``). Mixed
  derivatives (``f_xxy``, ``f_xyy``) are not part of it: no scalar
  third-order operator is rotation invariant, and the axial sum keeps one
  channel per input channel as Eq. 11 requires.

Borders use replicate padding (the features are extended by their edge
value), which avoids the large spurious responses zero padding causes on
features with a non-zero mean; the interior (2 pixels from the border for
``H``, 1 for ``L``) is exact as stated above.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

#: Half-width of the largest fixed kernel (the 5x5 third-order one).
DERIVATIVE_PAD = 2


def laplacian_kernel(dtype: torch.dtype = torch.float32) -> Tensor:
    """The 5-point Laplacian ``f_xx + f_yy`` (Eq. 9).

    Args:
        dtype (torch.dtype): Kernel dtype.

    Returns:
        Tensor: (3, 3) kernel.
    """
    return torch.tensor([[0., 1., 0.], [1., -4., 1.], [0., 1., 0.]], dtype=dtype)


def third_order_stencil(dtype: torch.dtype = torch.float32) -> Tensor:
    """Centred 5-tap third-derivative stencil for cross-correlation, offsets -2..2.

    Args:
        dtype (torch.dtype): Stencil dtype.

    Returns:
        Tensor: (5,) stencil ``[-1/2, 1, 0, -1, 1/2]``.
    """
    return torch.tensor([-0.5, 1., 0., -1., 0.5], dtype=dtype)


def third_order_kernel(dtype: torch.dtype = torch.float32) -> Tensor:
    """The third-order operator ``H f = f_xxx + f_yyy`` (Eq. 10) as a 5x5 kernel.

    Args:
        dtype (torch.dtype): Kernel dtype.

    Returns:
        Tensor: (5, 5) kernel, the stencil of :func:`third_order_stencil` on the
        middle row (``x``) and the middle column (``y``).
    """
    stencil = third_order_stencil(dtype)
    kernel = torch.zeros(5, 5, dtype=dtype)
    kernel[2, :] += stencil
    kernel[:, 2] += stencil
    return kernel


def depthwise_weight(kernel: Tensor, channels: int) -> Tensor:
    """Repeat a (k, k) kernel into a depthwise conv weight.

    Args:
        kernel (Tensor): (k, k) kernel.
        channels (int): Number of channels.

    Returns:
        Tensor: Contiguous (channels, 1, k, k) weight for ``groups=channels``.
    """
    if kernel.dim() != 2:
        raise ValueError(f'depthwise_weight: kernel must be 2-D, got shape {tuple(kernel.shape)}')
    return kernel.reshape(1, 1, *kernel.shape).repeat(channels, 1, 1, 1)


def depthwise_derivatives(x: Tensor,
                          lap_weight: Optional[Tensor] = None,
                          third_weight: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """Per-channel second- and third-order derivatives of a feature map (Eq. 9-10).

    Args:
        x (Tensor): (B, C, H, W) features (any H, W >= 1).
        lap_weight (Tensor, optional): (C, 1, 3, 3) depthwise Laplacian weight;
            built from :func:`laplacian_kernel` when None.
        third_weight (Tensor, optional): (C, 1, 5, 5) depthwise third-order
            weight; built from :func:`third_order_kernel` when None.

    Returns:
        tuple[Tensor, Tensor]: ``(L * x, H * x)``, each (B, C, H, W), with
        replicate padding at the borders.
    """
    if x.dim() != 4:
        raise ValueError(f'depthwise_derivatives: expected (B, C, H, W), got {tuple(x.shape)}')
    channels = x.shape[1]
    if lap_weight is None:
        lap_weight = depthwise_weight(laplacian_kernel(), channels)
    if third_weight is None:
        third_weight = depthwise_weight(third_order_kernel(), channels)
    for name, weight, k in (('lap_weight', lap_weight, 3), ('third_weight', third_weight, 5)):
        if tuple(weight.shape) != (channels, 1, k, k):
            raise ValueError(f'depthwise_derivatives: {name} has shape {tuple(weight.shape)}, '
                             f'expected {(channels, 1, k, k)} for {channels} channels')
    pad = DERIVATIVE_PAD
    padded = F.pad(x, (pad, pad, pad, pad), mode='replicate')
    lap = F.conv2d(padded[..., 1:-1, 1:-1], lap_weight.to(x.dtype), groups=channels)
    third = F.conv2d(padded, third_weight.to(x.dtype), groups=channels)
    return lap, third
