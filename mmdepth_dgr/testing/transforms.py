"""Image / depth pairs whose alignment can be checked exactly after a transform, and the checks.

``unique_scene`` encodes every pixel's depth in its colour (exact under nearest-neighbour
warps, flips and crops); ``piecewise_scene`` has large constant regions, inside which a
bilinearly warped image still encodes the nearest-neighbour depth.
"""
import cv2
import numpy as np


def make_results(img: np.ndarray, depth: np.ndarray) -> dict:
    """A results dict as produced by LoadImageFromFile + LoadDepthMap."""
    return dict(img=img, gt_depth_map=depth, seg_fields=['gt_depth_map'],
                img_shape=img.shape[:2], ori_shape=img.shape[:2], img_path='synthetic.png')


def unique_scene(h: int, w: int, seed: int = 0, invalid_frac: float = 0.05):
    """Every pixel has its own depth, encoded exactly (base 256) in the 3 channels."""
    rng = np.random.RandomState(seed)
    code = 1 + np.arange(h * w, dtype=np.int64).reshape(h, w)
    assert code.max() < 2**24
    img = np.stack([code & 255, (code >> 8) & 255, (code >> 16) & 255], -1).astype(np.uint8)
    depth = (code / 1024.0).astype(np.float32)
    depth[rng.rand(h, w) < invalid_frac] = 0  # invalid GT, the image still encodes the code
    return img, depth


def decode_unique(img: np.ndarray) -> np.ndarray:
    img = img.astype(np.int64)
    return ((img[..., 0] + 256 * img[..., 1] + 65536 * img[..., 2]) / 1024.0).astype(np.float32)


def assert_exact_alignment(img: np.ndarray, depth: np.ndarray, min_valid: int = 1000) -> None:
    valid = depth > 0
    assert valid.sum() >= min_valid
    np.testing.assert_array_equal(decode_unique(img)[valid], depth[valid])


def piecewise_scene(h: int, w: int, seed: int = 0):
    """Piecewise-constant depth (a banded ramp plus random boxes), img = code, depth = code/2.

    Large constant regions make the rotation check possible: inside them the
    bilinear image and the nearest-neighbour depth must agree exactly.
    """
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    code = 10 + xx // 24 + 2 * (yy // 24)
    code = code % 70 + 10  # 10..79 ramp
    for _ in range(15):
        bh = rng.randint(min(30, h // 4), min(120, h // 2))
        bw = rng.randint(min(30, w // 4), min(120, w // 2))
        y0, x0 = rng.randint(0, h - bh), rng.randint(0, w - bw)
        code[y0:y0 + bh, x0:x0 + bw] = rng.randint(80, 150)
    img = np.repeat(code[..., None], 3, axis=2).astype(np.uint8)
    depth = (code * 0.5).astype(np.float32)
    hole = min(40, h // 4, w // 4)
    for _ in range(4):  # invalid GT holes
        y0, x0 = rng.randint(0, h - hole), rng.randint(0, w - hole)
        depth[y0:y0 + hole, x0:x0 + hole] = 0
    return img, depth


def constant_interior(depth: np.ndarray, k: int = 5) -> np.ndarray:
    """Valid pixels whose k x k neighbourhood has a single depth value."""
    kernel = np.ones((k, k), np.uint8)
    lo = cv2.erode(depth, kernel, borderType=cv2.BORDER_REPLICATE)
    hi = cv2.dilate(depth, kernel, borderType=cv2.BORDER_REPLICATE)
    mask = (lo == hi) & (depth > 0)
    r = k // 2
    mask[:r] = mask[-r:] = False
    mask[:, :r] = mask[:, -r:] = False
    return mask


def assert_piecewise_exact(img: np.ndarray, depth: np.ndarray, min_count: int = 5000) -> None:
    """uint8 image (possibly bilinearly warped) still encodes depth = code / 2."""
    mask = constant_interior(depth)
    assert mask.sum() >= min_count
    np.testing.assert_array_equal(img[..., 0][mask].astype(np.float32) * 0.5, depth[mask])


def assert_piecewise_monotonic(img: np.ndarray, depth: np.ndarray, min_count: int = 5000) -> None:
    """Image value is one strictly increasing function of depth per channel.

    Holds under any monotonic per-channel photometric change (DepthColorAug).
    """
    mask = constant_interior(depth)
    assert mask.sum() >= min_count
    uniq, inv = np.unique(depth[mask], return_inverse=True)
    assert len(uniq) >= 10
    for c in range(img.shape[2]):
        vals = img[..., c][mask].astype(np.float64)
        gmin = np.full(len(uniq), np.inf)
        gmax = np.full(len(uniq), -np.inf)
        np.minimum.at(gmin, inv, vals)
        np.maximum.at(gmax, inv, vals)
        assert np.max(gmax - gmin) <= 1e-3, 'one depth maps to several image values'
        assert np.all(np.diff(gmin) > 0), 'image value is not increasing with depth'
