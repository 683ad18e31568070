"""Tests of the depth data transforms (alignment of image and depth, errors, registry)."""
import cv2
import numpy as np
import pytest
from mmseg.datasets.transforms import RandomCrop, RandomFlip
from mmseg.registry import TRANSFORMS

from mmdepth_dgr.datasets.transforms import (
    DepthColorAug,
    DepthRandomRotate,
    KBCrop,
    LoadDepthMap,
    NYUBorderCrop,
)

# --------------------------------------------------------------------------- helpers


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


# --------------------------------------------------------------------------- (a) alignment


@pytest.mark.parametrize('direction', ['horizontal', 'vertical'])
def test_mmseg_random_flip_alignment(direction):
    img, depth = unique_scene(120, 160)
    res = RandomFlip(prob=1.0, direction=direction)(make_results(img.copy(), depth.copy()))
    assert res['flip'] and res['flip_direction'] == direction
    assert not np.array_equal(res['img'], img)
    assert_exact_alignment(res['img'], res['gt_depth_map'])


def test_mmseg_random_crop_alignment():
    np.random.seed(3)
    img, depth = unique_scene(480, 640)
    res = RandomCrop(crop_size=(416, 544))(make_results(img, depth))
    assert res['img'].shape[:2] == res['gt_depth_map'].shape == (416, 544)
    assert res['img_shape'] == (416, 544)
    assert_exact_alignment(res['img'], res['gt_depth_map'])


def test_kb_crop_alignment():
    img, depth = unique_scene(375, 1242)
    res = KBCrop()(make_results(img, depth))
    assert_exact_alignment(res['img'], res['gt_depth_map'])
    np.testing.assert_array_equal(res['gt_depth_map'], depth[23:, 13:13 + 1216])


def test_nyu_border_crop_alignment():
    img, depth = unique_scene(480, 640)
    res = NYUBorderCrop()(make_results(img, depth))
    assert_exact_alignment(res['img'], res['gt_depth_map'])


def test_color_aug_keeps_alignment():
    np.random.seed(0)
    img, depth = piecewise_scene(240, 320)
    res = DepthColorAug(prob=1.0)(make_results(img, depth))
    assert_piecewise_monotonic(res['img'], res['gt_depth_map'], min_count=2000)


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_rotate_alignment(seed):
    np.random.seed(seed)
    img, depth = piecewise_scene(480, 640, seed)
    res = DepthRandomRotate(max_degree=2.5)(make_results(img, depth.copy()))
    assert 0 < abs(res['rotate_angle']) <= 2.5
    assert not np.array_equal(res['gt_depth_map'], depth)
    assert_piecewise_exact(res['img'], res['gt_depth_map'])


def test_rotate_shared_matrix_exact():
    """With nearest interpolation for both, image and depth sample identical pixels."""
    np.random.seed(4)
    img, depth = unique_scene(240, 320)
    res = DepthRandomRotate(max_degree=2.5, img_interpolation='nearest')(
        make_results(img, depth))
    assert res['rotate_angle'] != 0
    assert_exact_alignment(res['img'], res['gt_depth_map'])


def test_rotate_geometry_matches_stored_angle():
    """Independent check: output pixel = input at the centre-rotated position (+ = CCW)."""
    np.random.seed(1)
    h, w = 240, 320
    img, depth = unique_scene(h, w, invalid_frac=0.0)
    res = DepthRandomRotate(max_degree=5.0)(make_results(img, depth))
    theta = np.deg2rad(res['rotate_angle'])
    assert abs(res['rotate_angle']) > 0.5
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    sx = np.cos(theta) * (xx - cx) - np.sin(theta) * (yy - cy) + cx
    sy = np.sin(theta) * (xx - cx) + np.cos(theta) * (yy - cy) + cy
    # skip pixels outside the source and those too close to a rounding tie
    ok = (sx > 0.5) & (sx < w - 1.5) & (sy > 0.5) & (sy < h - 1.5)
    ok &= (np.abs(sx % 1 - 0.5) > 0.05) & (np.abs(sy % 1 - 0.5) > 0.05)
    expected = depth[np.rint(sy[ok]).astype(int), np.rint(sx[ok]).astype(int)]
    assert ok.sum() > 0.5 * h * w
    assert (res['gt_depth_map'][ok] == expected).mean() > 0.99


def test_rotate_alignment_check_detects_misalignment():
    """Negative control: image and depth rotated by different angles must fail."""
    img, depth = piecewise_scene(480, 640)
    matrix_img = cv2.getRotationMatrix2D((319.5, 239.5), 2.0, 1.0)
    matrix_depth = cv2.getRotationMatrix2D((319.5, 239.5), -2.0, 1.0)
    rot_img = cv2.warpAffine(img, matrix_img, (640, 480), flags=cv2.INTER_LINEAR)
    rot_depth = cv2.warpAffine(depth, matrix_depth, (640, 480), flags=cv2.INTER_NEAREST)
    with pytest.raises(AssertionError):
        assert_piecewise_exact(rot_img, rot_depth)


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_nyu_bts_pipeline_alignment(seed):
    np.random.seed(seed)
    img, depth = piecewise_scene(480, 640, seed)
    pipeline = [
        NYUBorderCrop(),
        DepthRandomRotate(max_degree=2.5),
        RandomFlip(prob=0.5),
        RandomCrop(crop_size=(416, 544)),
        DepthColorAug(prob=1.0, brightness_range=(0.75, 1.25)),
    ]
    res = make_results(img, depth)
    for t in pipeline:
        res = t(res)
    assert res['img'].shape == (416, 544, 3) and res['img'].dtype == np.float32
    assert res['gt_depth_map'].shape == (416, 544)
    assert res['img_shape'] == (416, 544)
    assert_piecewise_monotonic(res['img'], res['gt_depth_map'])


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_kitti_bts_pipeline_alignment(seed):
    np.random.seed(seed)
    img, depth = piecewise_scene(375, 1242, seed)
    pipeline = [
        KBCrop(),
        DepthRandomRotate(max_degree=1.0),
        RandomCrop(crop_size=(352, 704)),
        RandomFlip(prob=0.5),
    ]
    res = make_results(img, depth)
    for t in pipeline:
        res = t(res)
    assert res['img'].shape == (352, 704, 3)
    assert res['gt_depth_map'].shape == (352, 704)
    assert_piecewise_exact(res['img'], res['gt_depth_map'])


# --------------------------------------------------------------------------- (b) KBCrop


@pytest.mark.parametrize('shape,offset', [((375, 1242), (23, 13)), ((370, 1224), (18, 4))])
def test_kb_crop_offsets_and_shapes(shape, offset):
    img, depth = unique_scene(*shape)
    res = KBCrop(height=352, width=1216)(make_results(img, depth))
    assert res['kb_crop_offset'] == offset
    assert res['uncropped_shape'] == shape
    assert res['img'].shape == (352, 1216, 3)
    assert res['gt_depth_map'].shape == (352, 1216)
    assert res['img_shape'] == res['ori_shape'] == (352, 1216)
    top, left = offset
    np.testing.assert_array_equal(res['img'], img[top:top + 352, left:left + 1216])


def test_kb_crop_too_small():
    img = np.zeros((300, 1242, 3), np.uint8)
    results = make_results(img, np.zeros((300, 1242), np.float32))
    results['img_path'] = '/data/kitti/too_small.png'
    with pytest.raises(ValueError, match='too_small.png'):
        KBCrop()(results)
    with pytest.raises(ValueError, match='smaller than the crop'):
        KBCrop()(make_results(np.zeros((375, 1000, 3), np.uint8),
                              np.zeros((375, 1000), np.float32)))


# --------------------------------------------------------------------------- (c) rotation


def test_rotate_fills_zero_and_keeps_depth_values():
    np.random.seed(5)
    img, depth = unique_scene(240, 320, invalid_frac=0.0)
    img = np.maximum(img, 1)  # no zero pixel before rotation
    assert depth.min() > 0
    res = DepthRandomRotate(max_degree=10.0)(make_results(img, depth.copy()))
    assert abs(res['rotate_angle']) > 1.0
    out_depth, out_img = res['gt_depth_map'], res['img']
    assert out_depth.dtype == np.float32 and out_img.dtype == np.uint8
    for y, x in [(0, 0), (0, -1), (-1, 0), (-1, -1)]:
        assert out_depth[y, x] == 0
        assert np.all(out_img[y, x] == 0)
    assert np.isin(out_depth, np.append(depth.ravel(), 0)).all()  # nearest: no new values
    assert (out_depth > 0).mean() > 0.8


def test_rotate_prob_zero_and_determinism():
    img, depth = piecewise_scene(120, 160)
    res = DepthRandomRotate(prob=0.0)(make_results(img.copy(), depth.copy()))
    assert res['rotate_angle'] == 0.0
    np.testing.assert_array_equal(res['img'], img)
    np.testing.assert_array_equal(res['gt_depth_map'], depth)

    angles = []
    for _ in range(2):
        np.random.seed(11)
        angles.append(DepthRandomRotate(max_degree=1.0)(make_results(img, depth))['rotate_angle'])
    assert angles[0] == angles[1] and 0 < abs(angles[0]) <= 1.0


def test_rotate_bad_args():
    with pytest.raises(ValueError, match='depth_interpolation'):
        DepthRandomRotate(depth_interpolation='linear')
    with pytest.raises(ValueError, match='prob'):
        DepthRandomRotate(prob=2.0)


# --------------------------------------------------------------------------- (d) colour aug


def test_color_aug_prob_zero_unchanged():
    img, depth = piecewise_scene(60, 80)
    res = DepthColorAug(prob=0.0)(make_results(img.copy(), depth))
    assert res['img'].dtype == np.float32
    np.testing.assert_array_equal(res['img'], img.astype(np.float32))


def test_color_aug_applied():
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, size=(60, 80, 3)).astype(np.uint8)
    outs = []
    for _ in range(2):
        np.random.seed(7)
        aug = DepthColorAug(prob=1.0, brightness_range=(0.75, 1.25))
        outs.append(aug(dict(img=img.copy()))['img'])
    out = outs[0]
    assert out.dtype == np.float32 and out.shape == img.shape
    assert out.min() >= 0.0 and out.max() <= 255.0
    assert not np.allclose(out, img.astype(np.float32))
    np.testing.assert_array_equal(outs[0], outs[1])  # seeded -> reproducible
    # strong brightening saturates at 255 instead of overflowing
    bright = DepthColorAug(prob=1.0, brightness_range=(3.0, 3.0))(dict(img=img.copy()))['img']
    assert bright.max() == 255.0 and bright.dtype == np.float32


@pytest.mark.parametrize('kwargs,name', [
    (dict(gamma_range=(1.1, 0.9)), 'gamma_range'),
    (dict(brightness_range=(0.0, 1.1)), 'brightness_range'),
    (dict(color_range=(-1.0, 1.0)), 'color_range'),
    (dict(color_range=(0.9, 1.0, 1.1)), 'color_range'),
    (dict(prob=1.5), 'prob'),
])
def test_color_aug_bad_range(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DepthColorAug(**kwargs)


# --------------------------------------------------------------------------- (e) NYU border


def test_nyu_border_crop_exact_box():
    img, depth = unique_scene(480, 640)
    res = NYUBorderCrop()(make_results(img, depth))
    np.testing.assert_array_equal(res['img'], img[45:472, 43:608])
    np.testing.assert_array_equal(res['gt_depth_map'], depth[45:472, 43:608])
    assert res['img_shape'] == (427, 565)
    assert res['border_crop_box'] == (43, 45, 608, 472)


def test_nyu_border_crop_scaled_box():
    img, depth = unique_scene(240, 320)
    res = NYUBorderCrop()(make_results(img, depth))
    # 43/2=21.5 -> 22, 45/2=22.5 -> 23, 608/2=304, 472/2=236 (halves round up)
    assert res['border_crop_box'] == (22, 23, 304, 236)
    np.testing.assert_array_equal(res['img'], img[23:236, 22:304])
    np.testing.assert_array_equal(res['gt_depth_map'], depth[23:236, 22:304])
    assert res['img_shape'] == (213, 282)


# --------------------------------------------------------------------------- (f) loading


def test_load_depth_map(tmp_path):
    raw = np.random.RandomState(0).randint(0, 10000, size=(24, 32)).astype(np.uint16)
    path = str(tmp_path / 'depth.png')
    assert cv2.imwrite(path, raw)
    res = LoadDepthMap(depth_rescale_factor=1 / 1000)(dict(depth_map_path=path, seg_fields=[]))
    depth = res['gt_depth_map']
    assert depth.dtype == np.float32 and depth.shape == (24, 32)
    np.testing.assert_allclose(depth, raw / 1000.0, rtol=1e-6)
    assert res['seg_fields'] == ['gt_depth_map']
    assert res['depth_rescale_factor'] == pytest.approx(1e-3)
    # missing seg_fields is created
    res = LoadDepthMap()(dict(depth_map_path=path))
    assert res['seg_fields'] == ['gt_depth_map']
    np.testing.assert_array_equal(res['gt_depth_map'], raw.astype(np.float32))
    # to_float32=False keeps the stored dtype (mmseg's in-place multiply fails here)
    res = LoadDepthMap(to_float32=False)(dict(depth_map_path=path))
    assert res['gt_depth_map'].dtype == np.uint16


def test_load_depth_map_missing_file(tmp_path):
    path = str(tmp_path / 'nope.png')
    with pytest.raises(FileNotFoundError) as info:
        LoadDepthMap()(dict(depth_map_path=path, seg_fields=[]))
    assert path in str(info.value) and 'depth_map_path' in str(info.value)


def test_load_depth_map_corrupt_file(tmp_path):
    path = str(tmp_path / 'corrupt.png')
    with open(path, 'wb') as f:
        f.write(b'\x89PNG garbage bytes, not an image' * 3)
    with pytest.raises(ValueError) as info:
        LoadDepthMap()(dict(depth_map_path=path, seg_fields=[]))
    assert 'corrupt or unreadable depth PNG' in str(info.value) and path in str(info.value)
    empty = str(tmp_path / 'empty.png')
    open(empty, 'wb').close()
    with pytest.raises(ValueError, match='corrupt or unreadable'):
        LoadDepthMap()(dict(depth_map_path=empty, seg_fields=[]))


def test_load_depth_map_3d(tmp_path):
    path = str(tmp_path / 'color.png')
    assert cv2.imwrite(path, np.ones((8, 8, 3), np.uint16))
    with pytest.raises(ValueError) as info:
        LoadDepthMap()(dict(depth_map_path=path, seg_fields=[]))
    assert path in str(info.value) and '2-D' in str(info.value)


def test_load_depth_map_missing_key():
    with pytest.raises(KeyError, match='depth_map_path'):
        LoadDepthMap()(dict(seg_fields=[]))


# --------------------------------------------------------------------------- (g) registry / repr


@pytest.mark.parametrize('cls', [LoadDepthMap, KBCrop, DepthRandomRotate, DepthColorAug,
                                 NYUBorderCrop])
def test_registered_and_repr(cls):
    import mmdepth_dgr.datasets.transforms as transforms
    assert cls.__name__ in transforms.__all__
    assert TRANSFORMS.get(cls.__name__) is cls
    obj = TRANSFORMS.build(dict(type=cls.__name__))
    assert isinstance(obj, cls)
    text = repr(obj)
    assert text.startswith(cls.__name__ + '(') and text.endswith(')')
