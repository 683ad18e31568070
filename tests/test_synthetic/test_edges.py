"""Exact occlusion-boundary maps of the synthetic renderer: hand-built scenes (outline on the
near side, no edge on contact lines, coplanar seams or the horizon), consistency with the
depth on generated frames, the files the generators and their CLI write."""
import sys

import cv2
import numpy as np
import pytest

from mmdepth_dgr import synthetic as syn
from mmdepth_dgr.synthetic.edges import edge_pair_jumps
from mmdepth_dgr.testing import REPO_ROOT, run_in_repo

CLI = REPO_ROOT / 'tools' / 'dataset_converters' / 'make_synthetic.py'
GREY = syn.solid_material(np.full(3, 0.5, np.float32))
WALL = syn.Primitive('plane', ((0, 0, 9), (0, 0, -1)), GREY)
FLOOR = syn.Primitive('plane', ((0, 0, 0), (0, 1, 0)), GREY)


def _render(prims, height=24, width=32, focal=20.0, position=(0, 1, 0), pitch=0.0):
    """Exact depth, primitive ids and edge map of ``prims`` seen by a pinhole camera."""
    black = np.zeros(3, np.float32)
    scene = syn.Scene(tuple(prims), syn.point_light_shader((0, 2, 0), 1.0, 0.2, 3.0),
                      lambda d: np.broadcast_to(black, d.shape).copy())
    cam = syn.Camera(height, width, focal, np.asarray(position, float),
                     syn.look_rotation(0.0, pitch))
    _, depth, hit = syn.render_scene(scene, cam)
    return depth, hit, syn.occlusion_edges(depth, hit)


def _neighbour_mask(mask: np.ndarray) -> np.ndarray:
    """Pixels with a 4-neighbour in ``mask``."""
    out = np.zeros_like(mask)
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    return out


def _check_consistent(depth, hit, edges, threshold=syn.EDGE_REL_DEPTH_JUMP):
    """Every edge pixel is on a primitive and is the nearer side of a 4-neighbour pair across
    primitives whose relative depth jump exceeds ``threshold``."""
    vertical, horizontal = edge_pair_jumps(depth, hit)
    assert edges.dtype == bool and edges.shape == depth.shape
    assert (hit[edges] >= 0).all()
    supported = np.zeros_like(edges)
    big_v, big_h = vertical > threshold, horizontal > threshold
    up_near = depth[:-1] < depth[1:]  # the upper pixel of a vertical pair is nearer
    left_near = depth[:, :-1] < depth[:, 1:]
    supported[:-1] |= big_v & up_near
    supported[1:] |= big_v & ~up_near
    supported[:, :-1] |= big_h & left_near
    supported[:, 1:] |= big_h & ~left_near
    unsupported = edges & ~supported
    assert not unsupported.any(), np.argwhere(unsupported)[:5]


# ---------------------------------------------------------------- hand-built scenes


def test_box_in_front_of_wall_gives_its_outline_on_the_near_side():
    box = syn.Primitive('box', ((-0.5, 0.6, 2.5), (0.5, 1.4, 3.0)), GREY)
    depth, hit, edges = _render([WALL, box])
    on_box = hit == 1
    assert 20 < on_box.sum() < hit.size // 2  # the box is in view, with wall all around
    outline = on_box & _neighbour_mask(hit == 0)
    np.testing.assert_array_equal(edges, outline)
    assert not edges[hit == 0].any()  # the occluded side (the wall) is never marked
    assert on_box[~edges].any()  # thin: the box's inside is not marked
    _check_consistent(depth, hit, edges)


def test_contact_lines_and_coplanar_seams_give_no_edge():
    """Two touching boxes standing on the floor before a wall: the outline against the wall is
    marked, their contact line with the floor and the seam between them
    (same front plane) are not, though the plain relative jump across the contact line is far
    above the threshold at this low resolution (the floor recedes steeply between rows)."""
    left = syn.Primitive('box', ((-1.5, 0.0, 5.0), (0.0, 1.2, 6.0)), GREY)
    right = syn.Primitive('box', ((0.0, 0.0, 5.0), (1.5, 1.2, 6.0)), GREY)
    depth, hit, edges = _render([WALL, FLOOR, left, right], focal=12.0, pitch=0.15)
    boxes = (hit == 2) | (hit == 3)
    vertical, _ = edge_pair_jumps(depth, hit)
    contact = boxes[:-1] & (hit[1:] == 1)  # box pixel right above a floor pixel
    assert contact.sum() >= 6
    assert (vertical[contact] > 3 * syn.EDGE_REL_DEPTH_JUMP).all()  # a plain rule would fire
    assert not edges[:-1][contact].any() and not edges[1:][contact].any()
    seam = (hit[:, :-1] == 2) & (hit[:, 1:] == 3)
    interior_seam = seam & ~_neighbour_mask(~boxes)[:, :-1] & ~_neighbour_mask(~boxes)[:, 1:]
    assert seam.sum() >= 2 and interior_seam.sum() >= 1
    assert not edges[:, :-1][interior_seam].any() and not edges[:, 1:][interior_seam].any()
    top = boxes[1:] & (hit[:-1] == 0)  # box pixel right below the wall behind the boxes
    assert top.sum() >= 6 and edges[1:][top].all()
    _check_consistent(depth, hit, edges)


def test_ground_fading_into_the_sky_is_no_edge_but_a_box_against_it_is():
    depth, hit, edges = _render([FLOOR], pitch=-0.1)
    assert (hit == -1).any() and (hit == 0).any()  # sky above the horizon, ground below
    assert not edges.any()
    box = syn.Primitive('box', ((-0.5, 0.0, 4.0), (0.5, 2.0, 5.0)), GREY)
    depth, hit, edges = _render([FLOOR, box], pitch=-0.1)
    against_sky = (hit == 1) & _neighbour_mask(hit == -1)
    assert against_sky.sum() >= 3 and edges[against_sky].all()
    _check_consistent(depth, hit, edges)


def test_threshold_and_argument_checks():
    box = syn.Primitive('box', ((-0.5, 0.6, 8.0), (0.5, 1.4, 8.5)), GREY)  # 0.5 m before the wall
    depth, hit, _ = _render([WALL, box])
    assert syn.occlusion_edges(depth, hit, threshold=0.05).any()  # 12 % > 5 %
    assert not syn.occlusion_edges(depth, hit, threshold=0.2).any()  # 12 % < 20 %
    with pytest.raises(ValueError, match='one shape'):
        syn.occlusion_edges(depth, hit[:, 1:])
    with pytest.raises(ValueError, match='threshold'):
        syn.occlusion_edges(depth, hit, threshold=-0.1)


# ---------------------------------------------------------------- generated frames


def test_nyu_frames_edges_follow_the_depth_and_leave_the_random_stream_alone():
    for seed in range(3):
        rng = np.random.default_rng(seed)
        room = syn.build_indoor_scene(rng)
        cam = syn.sample_indoor_camera(rng, room, 60, 80, syn.nyu_focal(80))
        state = rng.bit_generator.state
        rgb, depth, edges = syn.render_nyu_frame_with_edges(room, cam, rng)
        rng.bit_generator.state = state
        rgb_old, depth_old = syn.render_nyu_frame(room, cam, rng)
        np.testing.assert_array_equal(rgb, rgb_old)
        np.testing.assert_array_equal(depth, depth_old)
        _, exact, hit = syn.render_scene(room.scene, cam)
        np.testing.assert_array_equal(edges, syn.occlusion_edges(exact, hit))
        assert 0.002 < edges.mean() < 0.2
        _check_consistent(exact, hit, edges)


def test_kitti_frames_edges_are_those_of_the_dense_render():
    street = syn.build_street_scene(np.random.default_rng(1), 4)
    rng = np.random.default_rng(2)
    scene, cam = syn.sample_street_frame(rng, street, 2, 47, 156, syn.kitti_focal(156))
    rgb, sparse, edges = syn.render_kitti_frame_with_edges(scene, cam, rng)
    _, exact, hit = syn.render_scene(scene, cam)
    np.testing.assert_array_equal(edges, syn.occlusion_edges(exact, hit))
    assert edges.any()
    assert (edges & (sparse == 0)).sum() > (edges & (sparse > 0)).sum()  # not only on LiDAR rows
    _check_consistent(exact, hit, edges)


# ---------------------------------------------------------------- files


def _depth_and_edge_files(root, split_file, depth_dir):
    """(depth path, edge path) of every split line with a depth map, and the None lines."""
    pairs, n_none = [], 0
    for line in (root / 'splits' / split_file).read_text().splitlines():
        depth_rel = line.split()[1]
        if depth_rel == 'None':
            n_none += 1
            continue
        depth = root / depth_dir / depth_rel.lstrip('/')
        pairs.append((depth, depth.with_name(depth.stem + '_edges.png')))
    return pairs, n_none


def _check_edge_files(pairs):
    """Each edge map exists, is 8-bit 0/255 of its depth map's size and has edges."""
    for depth_path, edge_path in pairs:
        edges = cv2.imread(str(edge_path), cv2.IMREAD_UNCHANGED)
        depth = cv2.imread(str(depth_path), cv2.IMREAD_UNCHANGED)
        assert edges is not None, edge_path
        assert edges.dtype == np.uint8 and edges.shape == depth.shape
        assert set(np.unique(edges)) == {0, 255}


def test_nyu_tree_edge_maps_next_to_depth_follow_the_written_depth(nyu_eval_root):
    """Where the written depth of an edge pixel and its 4 neighbours is valid, one neighbour is
    over 5 % farther (up to the millimetre rounding: < 0.2 % at depths of 0.5 m and more)."""
    for split_file, depth_dir in (('nyu_train.txt', 'sync'),
                                  ('nyu_test.txt', 'official_splits/test')):
        pairs, n_none = _depth_and_edge_files(nyu_eval_root, split_file, depth_dir)
        assert pairs and n_none == 0
        _check_edge_files(pairs)
        for depth_path, edge_path in pairs:
            assert edge_path.name == depth_path.name.replace('.png', '_edges.png')
            edges = cv2.imread(str(edge_path), cv2.IMREAD_UNCHANGED) > 0
            depth = cv2.imread(str(depth_path), cv2.IMREAD_UNCHANGED).astype(np.float64)
            pad = np.pad(depth, 1)
            neighbours = np.stack([pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]])
            checkable = edges & (depth > 0) & (neighbours > 0).all(axis=0)
            assert checkable.sum() > 10
            farthest = neighbours.max(axis=0)
            rel = farthest[checkable] / depth[checkable] - 1
            assert (rel > syn.EDGE_REL_DEPTH_JUMP - 0.002).all(), rel.min()


def test_kitti_tree_has_edge_maps_for_lines_with_depth_only(tmp_path):
    syn.generate_kitti(tmp_path, 2, 16, height=32, width=104, seed=0, num_drives=1)
    pairs, n_none = _depth_and_edge_files(tmp_path, 'kitti_eigen_test.txt', 'gt')
    assert n_none == 1 and len(pairs) == 15
    _check_edge_files(pairs)
    train, _ = _depth_and_edge_files(tmp_path, 'kitti_eigen_train.txt', 'gt')
    _check_edge_files(train)
    edge_files = sorted(tmp_path.rglob('*_edges.png'))
    assert edge_files == sorted(p for _, p in pairs + train)  # none for the None line


def test_cli_writes_edge_maps(tmp_path):
    """One run (the CLI calls generate_dataset, as the KITTI tree test above)."""
    out = tmp_path / 'nyu'
    proc = run_in_repo([sys.executable, CLI, 'nyu', '--out', str(out), '--num-train', '3',
                        '--num-test', '2', '--height', '32', '--width', '48'],
                       cwd=tmp_path, timeout=None, check=False)
    assert proc.returncode == 0, proc.stderr
    pairs = []
    for split_file, depth_dir in (('nyu_train.txt', 'sync'),
                                  ('nyu_test.txt', 'official_splits/test')):
        pairs += _depth_and_edge_files(out, split_file, depth_dir)[0]
    assert len(pairs) == 5  # 3 train + 2 test frames, all with depth
    _check_edge_files(pairs)
    assert sorted(out.rglob('*_edges.png')) == sorted(p for _, p in pairs)
