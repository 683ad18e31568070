"""Boundary metrics against transcriptions of their published definitions (iBims-1 DBE, Depth
Pro boundary F1) on hand-made scenes and real NYU frames; the continuity metric on known cases;
the GT-edge rule."""
import cv2
import numpy as np
import pytest
from scipy import ndimage
from skimage import feature

from mmdepth_dgr.evaluation.functional import (
    BOUNDARY_LOWER_BETTER,
    BOUNDARY_METRICS,
    boundary_f1,
    canny_depth_edges,
    chamfer_errors,
    continuity_errors,
    depth_boundary_errors,
    directional_precision_recall,
    gt_edges_from_depth,
    gt_smooth_pairs,
    image_boundary_metrics,
    inverse_depth,
    neighbour_jumps,
)
from mmdepth_dgr.testing import REAL_SAMPLES

# ------------------------------------------------------------------------------------------
# Transcriptions of the published definitions, independent of the implementation under test
# ------------------------------------------------------------------------------------------


def ibims_canny(pred, low=0.15, high=0.3):
    """iBims-1: zeros become NaN, min-max over the rest (float32), canny with sigma sqrt(2)."""
    norm = pred.astype(np.float32)
    norm[norm == 0] = np.nan
    norm -= np.nanmin(norm)
    norm /= np.nanmax(norm)
    return feature.canny(norm, sigma=np.sqrt(2), low_threshold=low, high_threshold=high)


def ibims_dbe(gt_edges, pred, low=0.15, high=0.3, theta=10.0):
    """iBims-1 ``compute_depth_boundary_error``: truncated chamfer accuracy / completeness."""
    gt_edges = gt_edges.astype(int)
    if gt_edges.sum() == 0:
        return np.nan, np.nan
    est = ibims_canny(pred, low, high).astype(int)
    dist_gt = ndimage.distance_transform_edt(1 - gt_edges)
    dist_est = ndimage.distance_transform_edt(1 - est)
    near = est * (dist_gt < theta)
    if near.sum() == 0:
        return theta, theta
    acc = (dist_gt * near).sum() / near.sum()
    to_gt = np.minimum(dist_gt * est, theta)
    to_est = np.minimum(dist_est * gt_edges, theta)
    return acc, (to_gt + to_est).sum() / (est.sum() + gt_edges.sum())


def brute_force_chamfer(pred_edges, gt_edges, theta=10.0):
    """The same chamfer numbers with distances from all edge-pixel pairs (no distance map)."""
    p = np.argwhere(pred_edges).astype(float)
    g = np.argwhere(gt_edges).astype(float)
    dist = np.sqrt(((p[:, None] - g[None]) ** 2).sum(-1))
    to_gt, to_pred = dist.min(1), dist.min(0)
    if not (to_gt < theta).any():
        return theta, theta
    acc = to_gt[to_gt < theta].mean()
    comp = (np.minimum(to_gt, theta).sum() + np.minimum(to_pred, theta).sum()) / (len(p) + len(g))
    return acc, comp


def depth_pro_f1(pred, gt, t_min=1.05, t_max=1.25, n=10):
    """Depth Pro ``SI_boundary_F1`` (vectorised, as published)."""
    def fgbg(d, t):
        return (d[:, :-1] / d[:, 1:] > t, d[:-1, :] / d[1:, :] > t,
                d[:, 1:] / d[:, :-1] > t, d[1:, :] / d[:-1, :] > t)

    def f1(pr, g, t):
        hits = [np.count_nonzero(a & b) for a, b in zip(fgbg(pr, t), fgbg(g, t), strict=True)]
        r = 0.25 * sum(h / max(np.count_nonzero(b), 1) for h, b in zip(hits, fgbg(g, t),
                                                                       strict=True))
        p = 0.25 * sum(h / max(np.count_nonzero(a), 1) for h, a in zip(hits, fgbg(pr, t),
                                                                       strict=True))
        return 0.0 if r + p == 0 else 2 * r * p / (r + p)

    ts = np.linspace(t_min, t_max, n)
    inv_p, inv_g = 1 / np.clip(pred, 1e-6, None), 1 / np.clip(gt, 1e-6, None)
    return float(sum(f1(inv_p, inv_g, t) * t / ts.sum() for t in ts))


def loop_f1(pred, gt, valid=None, t_min=1.05, t_max=1.25, n=10):
    """Depth Pro's F1 with a loop over every pixel and its four neighbours (small maps); with
    ``valid``, a pair counts only when both of its pixels are valid."""
    h, w = gt.shape
    valid = np.ones((h, w), bool) if valid is None else valid
    inv_p, inv_g = 1 / np.clip(pred, 1e-6, None), 1 / np.clip(gt, 1e-6, None)
    ts = np.linspace(t_min, t_max, n)
    total = 0.0
    for t in ts:
        counts = {d: [0, 0, 0] for d in ((0, -1), (-1, 0), (0, 1), (1, 0))}  # pred, gt, both
        for y in range(h):
            for x in range(w):
                for (dy, dx), c in counts.items():
                    qy, qx = y + dy, x + dx
                    if not (0 <= qy < h and 0 <= qx < w) or not (valid[y, x] and valid[qy, qx]):
                        continue
                    # the neighbour q is nearer than p by more than t: a contour towards q
                    in_p = inv_p[qy, qx] / inv_p[y, x] > t
                    in_g = inv_g[qy, qx] / inv_g[y, x] > t
                    c[0] += in_p
                    c[1] += in_g
                    c[2] += in_p and in_g
        p = np.mean([c[2] / max(c[0], 1) for c in counts.values()])
        r = np.mean([c[2] / max(c[1], 1) for c in counts.values()])
        total += (0.0 if p + r == 0 else 2 * p * r / (p + r)) * t / ts.sum()
    return total


# ------------------------------------------------------------------------------------------
# Scenes
# ------------------------------------------------------------------------------------------


def box_scene(dy=0, dx=0, shape=(64, 80), near=2.0, far=4.0):
    """A near square (24 px, at row 20, col 24, moved by dy, dx) in front of a far wall."""
    depth = np.full(shape, far)
    depth[20 + dy:44 + dy, 24 + dx:48 + dx] = near
    return depth


def slanted_plane(shape=(40, 60)):
    """A plane whose neighbour depth ratios stay below 1.01 (no contour at 1.05)."""
    y, x = np.mgrid[:shape[0], :shape[1]]
    return 2.0 + 0.02 * x + 0.01 * y


@pytest.fixture(scope='module')
def nyu_frames():
    """The real NYU frames: name -> (GT depth in m with 0 holes, dense GT with the holes
    filled by the nearest valid depth, valid mask)."""
    files = sorted((REAL_SAMPLES / 'nyu').glob('sync_depth_*.png'))
    if not files:
        pytest.skip(f'no NYU frames under {REAL_SAMPLES / "nyu"}')
    frames = {}
    for path in files:
        gt = cv2.imread(str(path), cv2.IMREAD_UNCHANGED).astype(np.float64) / 1000.0
        valid = gt > 0
        nearest = ndimage.distance_transform_edt(~valid, return_distances=False,
                                                 return_indices=True)
        frames[path.stem] = (gt, gt[tuple(nearest)], valid)
    return frames


PERTURBATIONS = {
    'exact': lambda d: d,
    'noise': lambda d: d * np.random.default_rng(0).uniform(0.95, 1.05, d.shape),
    'blur': lambda d: ndimage.gaussian_filter(d, 3),
    'shift': lambda d: np.roll(d, (2, 3), axis=(0, 1)),
}


# ------------------------------------------------------------------------------------------
# iBims-1 depth boundary errors
# ------------------------------------------------------------------------------------------


def test_metric_names():
    assert BOUNDARY_METRICS == ('dbe_acc', 'dbe_comp', 'boundary_f1', 'spurious_jump_rate',
                                'smooth_log_grad_error')
    assert set(BOUNDARY_LOWER_BETTER) == set(BOUNDARY_METRICS) - {'boundary_f1'}


@pytest.mark.parametrize('k', [0, 1, 2, 3, 5])
def test_dbe_of_a_shifted_box(k):
    gt_edges = ibims_canny(box_scene())
    pred = box_scene(dy=k, dx=k)
    acc, comp = depth_boundary_errors(pred, gt_edges)
    assert (acc, comp) == pytest.approx(ibims_dbe(gt_edges, pred), abs=1e-6)
    assert abs(acc - k) < 1  # every edge moved by k rows and k columns
    if k == 0:
        assert acc == 0 and comp == 0


def test_dbe_is_invariant_to_affine_depth_changes():
    """Min-max normalisation. A blurred edge can sit at a canny threshold, where float32
    rounding of the normalised depth decides: a power-of-2 scale is exact there."""
    gt_edges = ibims_canny(box_scene())
    blurred = ndimage.gaussian_filter(box_scene(dy=2, dx=1), 1.0)
    ref = depth_boundary_errors(blurred, gt_edges)
    assert ref[0] > 0
    assert depth_boundary_errors(blurred * 4.0, gt_edges) == ref
    assert depth_boundary_errors(blurred * 0.25 + 0.5, gt_edges) == ref
    step = box_scene(dy=2, dx=1)
    ref = depth_boundary_errors(step, gt_edges)
    assert depth_boundary_errors(step * 3.7 + 1.3, gt_edges) == pytest.approx(ref, abs=1e-6)
    assert ref == pytest.approx(ibims_dbe(gt_edges, step * 3.7 + 1.3), abs=1e-6)


def test_dbe_without_gt_edges_or_predicted_edges():
    acc, comp = depth_boundary_errors(box_scene(), np.zeros((64, 80), int))
    assert np.isnan(acc) and np.isnan(comp)
    gt_edges = ibims_canny(box_scene())
    assert depth_boundary_errors(np.full((64, 80), 3.0), gt_edges) == (10.0, 10.0)
    assert depth_boundary_errors(np.full((64, 80), 3.0), gt_edges, theta=4.0) == (4.0, 4.0)
    # predicted edges all farther than theta from the GT edges
    far_edges = np.zeros((64, 80), bool)
    far_edges[2, 70:78] = True
    assert depth_boundary_errors(box_scene(), far_edges, theta=5.0) == (5.0, 5.0)


def test_chamfer_errors_against_brute_force_distances():
    rng = np.random.default_rng(2)
    for _ in range(5):
        pred_e, gt_e = rng.random((30, 40)) < 0.03, rng.random((30, 40)) < 0.03
        assert chamfer_errors(pred_e, gt_e, 4.0) == pytest.approx(
            brute_force_chamfer(pred_e, gt_e, 4.0), abs=1e-9)


@pytest.mark.parametrize('perturbation', sorted(PERTURBATIONS))
def test_dbe_on_real_nyu_frames(nyu_frames, perturbation):
    for gt, dense, valid in nyu_frames.values():
        gt_edges = gt_edges_from_depth(gt, valid)
        pred = PERTURBATIONS[perturbation](dense)
        ours = depth_boundary_errors(pred, gt_edges)
        assert ours == pytest.approx(ibims_dbe(gt_edges, pred), abs=1e-6)
        assert ours == depth_boundary_errors(pred * 0.5, gt_edges)
        if perturbation in ('blur', 'shift'):
            assert ours[1] > depth_boundary_errors(dense, gt_edges)[1]


def test_canny_mask_instead_of_nan(nyu_frames):
    """Dense predictions: the same edges as iBims-1's NaN convention. With missing pixels the
    NaN spreads over the Gaussian: no edge within 8 px of a hole, which the mask keeps."""
    dense = box_scene()
    assert np.array_equal(canny_depth_edges(dense), ibims_canny(dense))
    for gt, _, valid in nyu_frames.values():
        near_hole = ndimage.distance_transform_edt(valid) <= 8
        assert not ibims_canny(gt)[near_hole].any()
        assert canny_depth_edges(gt)[near_hole & valid].any()
        assert not canny_depth_edges(gt)[~valid].any()


# ------------------------------------------------------------------------------------------
# Depth Pro boundary F1
# ------------------------------------------------------------------------------------------


def test_f1_of_perfect_prediction_with_contours_in_all_directions():
    gt = box_scene()
    assert boundary_f1(gt, gt) == 1.0
    assert loop_f1(gt, gt) == pytest.approx(1.0, abs=1e-12)
    per_direction = directional_precision_recall(inverse_depth(gt), inverse_depth(gt), 1.05)
    assert all(pr == (1.0, 1.0) for pr in per_direction.values())


def test_f1_with_gt_contours_in_one_direction_only():
    gt = np.full((10, 12), 4.0)
    gt[:, :6] = 2.0  # near half on the left: only the "left" direction has contours
    per_direction = directional_precision_recall(inverse_depth(gt), inverse_depth(gt), 1.05)
    assert per_direction == dict(left=(1.0, 1.0), top=(0.0, 0.0), right=(0.0, 0.0),
                                 bottom=(0.0, 0.0))
    assert boundary_f1(gt, gt) == pytest.approx(0.25)  # p = r = 1/4
    assert boundary_f1(gt, gt) == pytest.approx(depth_pro_f1(gt, gt), abs=1e-12)
    flat = np.full((10, 12), 3.0)
    assert boundary_f1(flat, flat) == 0.0


@pytest.mark.parametrize('case', ['box', 'shifted', 'blurred', 'noisy'])
def test_f1_agrees_with_both_transcriptions(case):
    gt = box_scene(shape=(52, 60))
    rng = np.random.default_rng(4)
    pred = dict(box=gt, shifted=np.roll(gt, 1, axis=1),
                blurred=ndimage.gaussian_filter(gt, 1.5),
                noisy=gt * rng.uniform(0.9, 1.1, gt.shape))[case]
    ours = boundary_f1(pred, gt)
    assert ours == pytest.approx(depth_pro_f1(pred, gt), abs=1e-6)
    assert ours == pytest.approx(loop_f1(pred, gt), abs=1e-6)
    assert (ours == 1.0) == (case == 'box')


def test_f1_with_sparse_ground_truth():
    """valid: pairs with a pixel without GT count on neither map (published: zeros count)."""
    dense = box_scene(shape=(52, 60))
    rng = np.random.default_rng(5)
    valid = rng.random(dense.shape) < 0.7
    gt = np.where(valid, dense, 0.0)
    assert boundary_f1(dense, gt) < 0.5  # holes are contours of the GT only
    assert boundary_f1(dense, gt, valid=valid) == 1.0
    pred = ndimage.gaussian_filter(dense, 1.0)
    assert boundary_f1(pred, gt, valid=valid) == pytest.approx(loop_f1(pred, gt, valid), abs=1e-6)
    assert boundary_f1(pred, dense, valid=np.ones_like(valid)) == boundary_f1(pred, dense)


@pytest.mark.parametrize('perturbation', sorted(PERTURBATIONS))
def test_f1_on_real_nyu_frames(nyu_frames, perturbation):
    for gt, dense, valid in nyu_frames.values():
        pred = PERTURBATIONS[perturbation](dense)
        ours = boundary_f1(pred, dense)
        assert ours == pytest.approx(depth_pro_f1(pred, dense), abs=1e-6)
        assert boundary_f1(pred * 2.0, dense) == ours  # ratios: exact for a power of 2
        assert boundary_f1(pred * 1.1, dense) == pytest.approx(ours, abs=1e-3)  # ties at t
        assert (ours == 1.0) == (perturbation == 'exact')  # GT contours in all directions
        window = (slice(200, 240), slice(300, 350))
        assert boundary_f1(pred[window], gt[window], valid=valid[window]) == pytest.approx(
            loop_f1(pred[window], gt[window], valid[window]), abs=1e-6)


# ------------------------------------------------------------------------------------------
# Continuity
# ------------------------------------------------------------------------------------------


def test_continuity_of_a_smooth_plane():
    gt = slanted_plane()
    assert not any(m.any() for m in neighbour_jumps(gt, 1.05).values())
    for pred in (gt, gt * 3.0):
        out = continuity_errors(pred, gt)
        assert out['spurious_jump_rate'] == 0
        assert out['smooth_log_grad_error'] == pytest.approx(0, abs=1e-12)
        assert out['n_smooth_pairs'] == 40 * 59 + 39 * 60


@pytest.mark.parametrize('step', [1.3, 1.15])
def test_continuity_counts_exactly_the_spurious_step(step):
    gt = slanted_plane()
    pred = gt.copy()
    pred[:, 30:] *= step  # a jump between columns 29 and 30 the GT does not have
    smooth = gt_smooth_pairs(gt)
    jumps = neighbour_jumps(pred, 1.05)
    spurious = jumps['horizontal'] & smooth['horizontal']
    assert np.array_equal(np.argwhere(spurious)[:, 1], np.full(40, 29))  # one pair per row
    assert not (jumps['vertical'] & smooth['vertical']).any()
    ratios = pred[:, 30] / pred[:, 29]
    ts = np.linspace(1.05, 1.25, 10)
    n_pairs = 40 * 59 + 39 * 60
    expected = sum(t / ts.sum() * np.count_nonzero(ratios > t) for t in ts) / n_pairs
    out = continuity_errors(pred, gt)
    assert out['spurious_jump_rate'] == pytest.approx(expected, rel=1e-12)
    assert 0 < out['spurious_jump_rate'] < 40 / n_pairs * (1 + 1e-9)
    assert (out['spurious_jump_rate'] == pytest.approx(40 / n_pairs)) == (step > 1.25)
    assert out['smooth_log_grad_error'] == pytest.approx(40 * np.log(step) / n_pairs)
    assert continuity_errors(pred * 5.0, gt)['spurious_jump_rate'] == pytest.approx(
        out['spurious_jump_rate'])


def test_continuity_ignores_the_margin_around_gt_contours():
    gt = slanted_plane()
    gt[:, 30:] *= 2.0  # a real step between columns 29 and 30
    smooth = gt_smooth_pairs(gt, k=2)  # columns 27..32 are within 2 px of the contour
    cols = np.r_[0:27, 33:60]
    assert smooth['vertical'].sum() == 39 * len(cols)
    assert smooth['horizontal'].sum() == 40 * (26 + 26)
    moved = gt.copy()
    moved[:, 28:30] *= 2.0  # the step two columns early: inside the margin
    out = continuity_errors(moved, gt, k=2)
    assert out['spurious_jump_rate'] == 0 and out['n_smooth_pairs'] == 40 * 52 + 39 * 54
    assert continuity_errors(moved, gt, k=0)['spurious_jump_rate'] > 0


def test_continuity_with_missing_ground_truth():
    gt = slanted_plane()
    valid = np.ones(gt.shape, bool)
    valid[:, 30] = False  # the step of the prediction lies on the hole: pairs not counted
    pred = gt.copy()
    pred[:, 30:] *= 1.3
    out = continuity_errors(pred, np.where(valid, gt, 0), valid)
    assert out['spurious_jump_rate'] == 0 and out['n_smooth_pairs'] == 40 * 57 + 39 * 59
    none = continuity_errors(pred, gt, np.zeros(gt.shape, bool))
    assert np.isnan(none['spurious_jump_rate']) and none['n_smooth_pairs'] == 0


# ------------------------------------------------------------------------------------------
# GT edges from depth and the per-image helper
# ------------------------------------------------------------------------------------------


def test_gt_edges_from_depth_are_thin_and_on_the_near_side():
    gt = np.full((6, 10), 4.0)
    gt[:, :5] = 2.0
    valid = np.ones(gt.shape, bool)
    expected = np.zeros(gt.shape, bool)
    expected[:, 4] = True
    assert np.array_equal(gt_edges_from_depth(gt, valid), expected)
    assert np.array_equal(gt_edges_from_depth(gt[:, ::-1], valid), expected[:, ::-1])
    valid[2, 5] = False  # the far partner has no GT: no edge in that row
    expected[2, 4] = False
    assert np.array_equal(gt_edges_from_depth(np.where(valid, gt, 0), valid), expected)
    assert not gt_edges_from_depth(slanted_plane(), np.ones((40, 60), bool)).any()
    assert gt_edges_from_depth(gt * np.r_[1, 1, 1, 1, 1, 1.05, 1, 1, 1, 1], valid).sum() == 5


def test_image_boundary_metrics_combines_the_functions():
    gt = box_scene()
    pred = ndimage.gaussian_filter(box_scene(dy=1, dx=2), 1.0)
    out = image_boundary_metrics(gt, pred, 1e-3, 10.0)
    valid = np.ones(gt.shape, bool)
    edges = gt_edges_from_depth(gt, valid)
    assert (out['dbe_acc'], out['dbe_comp']) == depth_boundary_errors(pred, edges)
    assert out['n_gt_edge'] == edges.sum() == 4 * 24 - 4
    assert out['boundary_f1'] == boundary_f1(pred, gt, valid=valid)
    cont = continuity_errors(pred, gt, valid)
    assert out['spurious_jump_rate'] == cont['spurious_jump_rate']
    assert out['smooth_log_grad_error'] == cont['smooth_log_grad_error']
    # the prediction is clamped to the caps first, and GT edges can be given
    capped = image_boundary_metrics(gt, pred * 10, 1e-3, 10.0)
    assert capped['boundary_f1'] == boundary_f1(np.clip(pred * 10, 1e-3, 10.0), gt, valid=valid)
    moved_edges = np.roll(edges, 3, axis=1)
    given = image_boundary_metrics(gt, pred, 1e-3, 10.0, gt_edges=moved_edges.astype(np.uint8))
    assert given['dbe_acc'] == depth_boundary_errors(pred, moved_edges)[0] != out['dbe_acc']
    flat = image_boundary_metrics(np.full((20, 20), 2.0), np.full((20, 20), 2.0), 1e-3, 10.0)
    assert np.isnan(flat['dbe_acc']) and np.isnan(flat['boundary_f1'])
    assert flat['spurious_jump_rate'] == 0 and flat['n_gt_edge'] == 0


def _step_behind_a_hole():
    """A GT step between columns 29 | 30 whose pixels 29, 30 have no GT (a sensor shadow),
    and a prediction whose step comes 2 px late (31 | 32)."""
    gt = slanted_plane()
    gt[:, 30:] *= 2.0
    valid = np.ones(gt.shape, bool)
    valid[:, 29:31] = False
    pred = slanted_plane()
    pred[:, 32:] *= 2.0
    return np.where(valid, gt, 0.0), pred, valid


def test_continuity_gives_holes_of_dense_gt_the_contour_margin():
    gt, pred, valid = _step_behind_a_hole()
    # without the margin the hidden contour's late prediction is a spurious jump
    assert continuity_errors(pred, gt, valid)['spurious_jump_rate'] > 0
    out = continuity_errors(pred, gt, valid, unknown=~valid)
    assert out['spurious_jump_rate'] == 0
    # pixels 27..32 are within 2 px of the hole: no horizontal pair touching them is smooth
    smooth = gt_smooth_pairs(gt, valid, k=2, unknown=~valid)
    assert not smooth['horizontal'][:, 26:33].any() and smooth['horizontal'][:, 25].all()
    # the per-image helper applies it to dense GT (here 95% valid) ...
    dense = image_boundary_metrics(gt, pred, 1e-3, 10.0)
    assert dense['spurious_jump_rate'] == 0
    # ... but not to sparse GT, where every pixel borders a hole
    sparse = np.zeros(gt.shape, bool)
    sparse[::3] = True
    sparse &= valid
    helper = image_boundary_metrics(np.where(sparse, gt, 0.0), pred, 1e-3, 10.0)
    direct = continuity_errors(pred, np.where(sparse, gt, 0.0), sparse)
    assert helper['spurious_jump_rate'] == direct['spurious_jump_rate'] > 0


def test_dbe_runs_on_the_unclamped_prediction_as_the_official_script():
    gt = box_scene()
    edges = gt_edges_from_depth(gt, np.ones(gt.shape, bool))
    pred = box_scene()
    pred[:, :60] = np.where(pred[:, :60] > 3, 15.0, pred[:, :60])
    pred[:, 60:] = 30.0  # a far step at column 60 that a 10 m clamp would erase
    out = image_boundary_metrics(gt, pred, 1e-3, 10.0, gt_edges=edges)
    raw = depth_boundary_errors(pred, edges)
    clipped = depth_boundary_errors(np.clip(pred, 1e-3, 10.0), edges)
    assert (out['dbe_acc'], out['dbe_comp']) == raw
    assert raw[1] > clipped[1]  # the far step's edges count against completeness
