"""Depth networks whose used pixels are known exactly: the sparse-pixel probe's answer key.

A *planted* network is an ordinary mmseg ``DepthEstimator`` (so
:class:`~mmdepth_dgr.models.segmentors.SparsePixelProbe` takes it as its target N) whose
backbone, :class:`PlantedSupportBackbone`, reads the normalised image only on a fixed pixel
set S, the *support*, and whose head, :class:`PlantedDepthHead`, turns what it read into depth
with a fixed formula (no learnt weight anywhere):

``f(p) = S(p) * mean_c(x_c(p))``,
``depth(p) = (near + far) / 2 + (far - near) / 2 * tanh(f(p) / tau)``,

with ``x`` the normalised image (``(I - mean) / std``). Every output pixel depends on the
input pixel at the same place only, and only when that pixel is in S; a pixel outside S never
changes the output. The probe removes a pixel by setting it to 0 (the mean colour, see
:mod:`mmdepth_dgr.models.utils.probe_ops`); that turns ``f(p)`` into 0 and the depth into the
middle of the range. The read-out is linear in the image, like the first layer of any depth
network, so the depth is a smooth, monotone function of a pixel's mask value ``m`` between a
removed (``m = 0``) and a kept (``m = 1``) pixel, with a non-zero slope at both ends: the
probe's gradient, straight through a sampled 0/1 mask
(:func:`~mmdepth_dgr.models.utils.sample_binary_mask`), tells a removed support pixel to come
back. (A read-out even in ``x``, such as the RMS over the channels, has slope 0 at ``m = 0``:
no gradient can bring a removed pixel back, and a sampled-mask probe removes everything.) On
the images of :func:`planted_images`, whose piece colours lie on one side of the mean colour
in every channel (``|mean_c(x_c)|`` between 1.1 and 2.1), removing a support pixel moves its
depth by at least ``0.97 * (far - near) / 2``, 3.4 m with the defaults.

Supports (:func:`planted_support`, in fractions of the frame so that one config serves any
input size):

* ``dict(type='rect', box=(top, left, bottom, right))``: a rectangle;
* ``dict(type='disc', center=(y, x), radius=r)``: a disc, ``r`` a fraction of the height;
* ``dict(type='layout_edges', shapes=..., width=1)``: the pixels within ``width`` pixels of a
  boundary of the piecewise-constant scene layout :func:`scene_layout` draws from ``shapes``
  (the default :data:`DEFAULT_SHAPES`). The images of :func:`planted_images` have the same
  layout with a different colour per piece, so these are exactly the pixels near the strong
  edges of every test image;
* ``dict(type='random', fraction=f, seed=s)``: a fixed random pixel set.

Importing this module registers both classes in mmseg's ``MODELS``;
:func:`planted_depth_config` writes a whole ``DepthEstimator`` config.
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from mmdepth_dgr.models.decode_heads.depth_base_head import DepthBaseHead

#: ImageNet mean / std (RGB) of the planted networks' data preprocessor, as the depth configs.
MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
#: Scene layout of the test images (fractions of the frame; later shapes paint over earlier
#: ones): a floor band, two boxes and a disc.
DEFAULT_SHAPES = (
    dict(type='rect', box=(0.62, 0.0, 1.0, 1.0)),
    dict(type='rect', box=(0.12, 0.08, 0.55, 0.4)),
    dict(type='rect', box=(0.3, 0.55, 0.85, 0.92)),
    dict(type='disc', center=(0.42, 0.62), radius=0.18),
)
SUPPORT_TYPES = ('rect', 'disc', 'layout_edges', 'random')


def _grid(shape: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates as fractions of the frame: ``(y, x)`` of ``shape``."""
    h, w = shape
    ys = (np.arange(h) + 0.5) / h
    xs = (np.arange(w) + 0.5) / w
    return np.meshgrid(ys, xs, indexing='ij')


def _shape_mask(spec: dict, shape: Tuple[int, int]) -> np.ndarray:
    """bool ``(H, W)`` raster of one ``rect`` / ``disc`` spec."""
    y, x = _grid(shape)
    if spec['type'] == 'rect':
        top, left, bottom, right = (float(v) for v in spec['box'])
        if not (0 <= top < bottom <= 1 and 0 <= left < right <= 1):
            raise ValueError(f'rect box must be 0 <= top < bottom <= 1, 0 <= left < right <= 1; '
                             f'got {spec["box"]}')
        return (y >= top) & (y < bottom) & (x >= left) & (x < right)
    if spec['type'] == 'disc':
        cy, cx = (float(v) for v in spec['center'])
        radius = float(spec['radius'])
        if radius <= 0:
            raise ValueError(f'disc radius must be positive, got {radius}')
        h, w = shape
        # radius in fractions of the height; x distances in the same (pixel) unit
        return ((y - cy) ** 2 + ((x - cx) * w / h) ** 2) <= radius ** 2
    raise ValueError(f'not a shape: {spec!r}')


def scene_layout(shape: Tuple[int, int], shapes: Sequence[dict] = DEFAULT_SHAPES) -> np.ndarray:
    """Piece labels of the scene layout: 0 the background, ``i + 1`` where shape ``i`` is on top.

    Args:
        shape (tuple[int, int]): ``(H, W)``.
        shapes (Sequence[dict]): ``rect`` / ``disc`` specs (see the module docstring).

    Returns:
        np.ndarray: int64 ``(H, W)`` labels.
    """
    labels = np.zeros(shape, dtype=np.int64)
    for i, spec in enumerate(shapes):
        labels[_shape_mask(spec, shape)] = i + 1
    return labels


def layout_edges(labels: np.ndarray, width: int = 1) -> np.ndarray:
    """Pixels within ``width`` pixels (Chebyshev distance) of a boundary between two pieces.

    A pixel is on the band when a pixel of another piece lies in its ``(2 width + 1)^2``
    neighbourhood, so each boundary gets a band of ``2 * width`` pixels straddling it.

    Args:
        labels (np.ndarray): ``(H, W)`` piece labels.
        width (int): Half-width of the band (>= 1).

    Returns:
        np.ndarray: bool ``(H, W)``.
    """
    if width < 1:
        raise ValueError(f'edge band width must be >= 1, got {width}')
    h, w = labels.shape
    padded = np.pad(labels, width, mode='edge')
    edge = np.zeros((h, w), dtype=bool)
    for dy in range(-width, width + 1):
        for dx in range(-width, width + 1):
            edge |= padded[width + dy:width + dy + h, width + dx:width + dx + w] != labels
    return edge


def planted_support(spec: dict, shape: Tuple[int, int]) -> np.ndarray:
    """The support S of a planted network at an input size.

    Args:
        spec (dict): ``type`` in :data:`SUPPORT_TYPES` and its parameters (module docstring).
        shape (tuple[int, int]): Input ``(H, W)``.

    Returns:
        np.ndarray: bool ``(H, W)``, True on the pixels the network reads.

    Raises:
        ValueError: Unknown type or bad parameters, or an empty support.
    """
    kind = spec.get('type')
    shape = (int(shape[0]), int(shape[1]))
    if kind in ('rect', 'disc'):
        support = _shape_mask(spec, shape)
    elif kind == 'layout_edges':
        support = layout_edges(scene_layout(shape, spec.get('shapes', DEFAULT_SHAPES)),
                               int(spec.get('width', 1)))
    elif kind == 'random':
        fraction = float(spec['fraction'])
        if not 0 < fraction < 1:
            raise ValueError(f'random support fraction must be in (0, 1), got {fraction}')
        rng = np.random.default_rng(int(spec.get('seed', 0)))
        support = rng.random(shape) < fraction
    else:
        raise ValueError(f'unknown support type {kind!r}; use one of {SUPPORT_TYPES}')
    if not support.any():
        raise ValueError(f'support {spec!r} is empty at {shape}')
    return support


@MODELS.register_module()
class PlantedSupportBackbone(BaseModule):
    """Reads the normalised image on the support S only: ``f = S * mean_c(x)``, one level.

    No parameters: ``init_weights`` and checkpoints leave it as it is.

    Args:
        support (dict): Support spec (see :func:`planted_support`).
        normalize (bool): Divide ``f`` by its RMS over S (scale-invariant network, see
            :meth:`forward`). Defaults to False.
        init_cfg (dict, optional): Unused.
    """

    def __init__(self, support: dict, normalize: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.support = copy.deepcopy(dict(support))
        self.normalize = bool(normalize)
        planted_support(self.support, (16, 16))  # fail at build time on a bad spec
        self._cache: Dict[Tuple, Tensor] = {}

    def support_mask(self, shape: Tuple[int, int], device=None) -> Tensor:
        """S at ``shape`` as a float ``(1, 1, H, W)`` 0/1 tensor (cached)."""
        key = (int(shape[0]), int(shape[1]), str(device))
        if key not in self._cache:
            support = torch.from_numpy(planted_support(self.support, key[:2]))
            self._cache[key] = support.float()[None, None].to(device)
        return self._cache[key]

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """``(f,)`` with ``f`` ``(B, 1, H, W)``: per-pixel mean over the channels, 0 off S.

        With ``normalize``, ``f`` is divided by its RMS over S (per image): the output no
        longer changes when the whole image is scaled, ``N(c * I) = N(I)``, like a network
        whose first layer is followed by LayerNorm (a SegFormer's patch embedding).
        """
        support = self.support_mask(x.shape[-2:], x.device).to(x.dtype)
        feat = (x * support).mean(dim=1, keepdim=True)
        if self.normalize:
            area = support.sum().clamp_min(1.0)
            scale = (feat.pow(2).sum(dim=(1, 2, 3), keepdim=True) / area).add(1e-6).sqrt()
            feat = feat / scale
        return (feat, )


@MODELS.register_module()
class PlantedDepthHead(DepthBaseHead):
    """Fixed depth from the feature: ``(near + far) / 2 + (far - near) / 2 * tanh(f / tau)``.

    ``conv_depth`` of :class:`DepthBaseHead` is built but not used (it never enters the
    output), so random initialisation changes nothing.

    Args:
        near (float): Depth approached by dark pixels (``f`` far below 0). Defaults to 1.
        far (float): Depth approached by bright pixels. Defaults to 8. The middle of the two
            is the depth where the feature is 0 (off S, or a removed pixel).
        tau (float): Feature scale. Defaults to 0.5.
        **kwargs: Those of :class:`DepthBaseHead` (``min_depth``, ``max_depth``, ...).
    """

    def __init__(self, near: float = 1.0, far: float = 8.0, tau: float = 0.5,
                 **kwargs) -> None:
        kwargs.setdefault('in_channels', 1)
        kwargs.setdefault('channels', 1)
        kwargs.setdefault('loss_decode', dict(type='HuDepthLoss'))
        super().__init__(**kwargs)
        if tau <= 0:
            raise ValueError(f'PlantedDepthHead: tau must be positive, got {tau}')
        if not self.min_depth <= near < far <= self.max_depth:
            raise ValueError(f'PlantedDepthHead: need min_depth <= near < far <= max_depth, got '
                             f'{near}, {far}')
        self.near, self.far, self.tau = float(near), float(far), float(tau)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Depth ``(B, 1, H, W)`` from the backbone's single level."""
        feat = inputs[-1] if isinstance(inputs, (list, tuple)) else inputs
        half = (self.far - self.near) / 2
        return self.near + half + half * torch.tanh(feat / self.tau)


def planted_depth_config(support: dict, near: float = 1.0, far: float = 8.0,
                         tau: float = 0.5, size_divisor: int = 16,
                         normalize: bool = False) -> dict:
    """A ``DepthEstimator`` config whose output depends on the pixels of ``support`` only.

    Args:
        support (dict): Support spec (:func:`planted_support`).
        near (float): Depth approached by dark support pixels.
        far (float): Depth approached by bright support pixels (the middle of the two: off
            the support and removed pixels).
        tau (float): Feature scale of the head.
        size_divisor (int): Padding multiple of the data preprocessor (the probe trains on
            images that need none; 48x64 with the default).
        normalize (bool): A scale-invariant network (:class:`PlantedSupportBackbone`).

    Returns:
        dict: The model config (``type='DepthEstimator'``).
    """
    return dict(
        type='DepthEstimator',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=list(MEAN), std=list(STD),
                               bgr_to_rgb=True, pad_val=0, seg_pad_val=0,
                               size_divisor=size_divisor),
        backbone=dict(type='PlantedSupportBackbone', support=copy.deepcopy(dict(support)),
                      normalize=bool(normalize)),
        decode_head=dict(type='PlantedDepthHead', near=near, far=far, tau=tau, min_depth=1e-3,
                         max_depth=10.0),
        test_cfg=dict(mode='whole'))


#: Colours (RGB) of the pieces of :func:`planted_images`: four dark and four bright ones, each
#: on one side of the mean colour in all three channels (``|mean_c(x_c)|`` 1.1-2.1 after
#: normalisation), so that every support pixel's depth is far from the removed-pixel depth.
_PALETTE = np.array([[20, 20, 20], [110, 20, 20], [20, 110, 20], [20, 20, 110],
                     [235, 235, 235], [145, 235, 235], [235, 145, 235], [235, 235, 145]],
                    dtype=np.float64)


def planted_images(n: int, shape: Tuple[int, int] = (48, 64),
                   shapes: Sequence[dict] = DEFAULT_SHAPES, noise: float = 12.0,
                   seed: int = 0) -> List[Tensor]:
    """Test images of the scene layout: one distinct palette colour per piece, mild noise.

    Adjacent pieces always differ in at least one channel by 90 levels or more (215 between a
    dark and a bright piece), so the edges of every image are the layout boundaries (the
    ``layout_edges`` support); the per-pixel noise (std ``noise`` levels) adds texture
    without such edges.

    Args:
        n (int): Number of images.
        shape (tuple[int, int]): ``(H, W)``.
        shapes (Sequence[dict]): Layout shapes (:func:`scene_layout`).
        noise (float): Std of the Gaussian pixel noise, in 0-255 levels.
        seed (int): Random seed.

    Returns:
        list[Tensor]: ``n`` uint8 ``(3, H, W)`` images in BGR order, as the loaders give them.
    """
    labels = scene_layout(shape, shapes)
    pieces = int(labels.max()) + 1
    if pieces > len(_PALETTE):
        raise ValueError(f'{pieces} pieces but only {len(_PALETTE)} distinct colours')
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(n):
        colours = _PALETTE[rng.permutation(len(_PALETTE))[:pieces]]
        rgb = colours[labels] + rng.normal(0.0, noise, size=(*shape, 3))
        bgr = np.clip(np.rint(rgb[..., ::-1]), 0, 255).astype(np.uint8)
        images.append(torch.from_numpy(np.ascontiguousarray(bgr.transpose(2, 0, 1))))
    return images


__all__ = [
    'DEFAULT_SHAPES', 'SUPPORT_TYPES', 'PlantedDepthHead', 'PlantedSupportBackbone',
    'layout_edges', 'planted_depth_config', 'planted_images', 'planted_support', 'scene_layout'
]
