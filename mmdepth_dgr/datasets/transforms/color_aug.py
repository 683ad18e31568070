"""BTS photometric augmentation (gamma, brightness, per-channel colour)."""
from numbers import Real
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS


def _check_range(name: str, value: Sequence[float]) -> Tuple[float, float]:
    """Validate a ``(low, high)`` range of positive numbers."""
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, Real) for v in value)):
        raise ValueError(f'{name} must be a (low, high) pair of numbers, got {value!r}')
    low, high = float(value[0]), float(value[1])
    if not 0 < low <= high:
        raise ValueError(f'{name} must satisfy 0 < low <= high, got {value!r}')
    return low, high


@TRANSFORMS.register_module()
class DepthColorAug(BaseTransform):
    """BTS ``augment_image``: random gamma, brightness and colour scaling.

    With probability ``prob``, on the image scaled to [0, 1]:
    ``img = img ** gamma``, ``img = img * brightness``,
    ``img = img * colors`` (one independent factor per channel, 3 for a
    BGR/RGB image), then clipped to [0, 1] and scaled back to 0..255. The
    output is always float32 in [0, 255], also when the augmentation is not
    applied, so that all images of a batch share one dtype. BTS uses a
    brightness range of (0.75, 1.25) for NYU and (0.9, 1.1) for KITTI.

    Required Keys:

    - img (uint8 or float, 0..255 scale)

    Modified Keys:

    - img (float32)

    Args:
        prob (float): Probability of applying the augmentation. Defaults to 0.5.
        gamma_range (tuple[float, float]): Range of gamma. Defaults to (0.9, 1.1).
        brightness_range (tuple[float, float]): Range of the brightness factor.
            Defaults to (0.9, 1.1).
        color_range (tuple[float, float]): Range of each channel's factor.
            Defaults to (0.9, 1.1).
    """

    def __init__(self,
                 prob: float = 0.5,
                 gamma_range: Tuple[float, float] = (0.9, 1.1),
                 brightness_range: Tuple[float, float] = (0.9, 1.1),
                 color_range: Tuple[float, float] = (0.9, 1.1)) -> None:
        super().__init__()
        if not isinstance(prob, Real) or not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob!r}')
        self.prob = float(prob)
        self.gamma_range = _check_range('gamma_range', gamma_range)
        self.brightness_range = _check_range('brightness_range', brightness_range)
        self.color_range = _check_range('color_range', color_range)

    @cache_randomness
    def _sample_params(self, num_channels: int) -> Optional[Tuple[float, float, np.ndarray]]:
        """Draw ``(gamma, brightness, colors)``, or None when not applied."""
        if not np.random.rand() < self.prob:
            return None
        gamma = np.random.uniform(*self.gamma_range)
        brightness = np.random.uniform(*self.brightness_range)
        colors = np.random.uniform(*self.color_range, size=num_channels)
        return gamma, brightness, colors

    def transform(self, results: Dict) -> Dict:
        """Apply the photometric augmentation to ``img``.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: Results with a float32 ``img`` in [0, 255].
        """
        img = results['img']
        num_channels = img.shape[2] if img.ndim == 3 else 1
        params = self._sample_params(num_channels)
        if params is None:
            results['img'] = np.clip(img.astype(np.float32), 0.0, 255.0)
            return results

        gamma, brightness, colors = params
        out = np.clip(img.astype(np.float32) / 255.0, 0.0, 1.0)
        out = out ** np.float32(gamma)
        out *= np.float32(brightness)
        out *= colors.astype(np.float32) if img.ndim == 3 else np.float32(colors[0])
        np.clip(out, 0.0, 1.0, out=out)
        out *= np.float32(255.0)
        results['img'] = out
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'gamma_range={self.gamma_range}, '
                f'brightness_range={self.brightness_range}, '
                f'color_range={self.color_range})')
