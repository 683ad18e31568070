"""Per-image numbers of the probe study: the GT boundary map and the affinity of kept pixels."""
import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmdepth_dgr.analysis.probe.evaluation import _affinity, boundary_map


def test_boundary_map_prefers_the_renderer_edges_then_the_gt_rule():
    gt = np.full((8, 10), 2.0, dtype=np.float32)
    gt[:, 5:] = 4.0  # one depth step between columns 4 and 5
    sample = SegDataSample()
    rule = boundary_map(sample, gt)
    assert rule.dtype == bool and rule.any() and not rule[:, :3].any() and not rule[:, 7:].any()
    edges = np.zeros((1, 8, 10), dtype=np.int64)
    edges[0, 0, 0] = 1
    sample.gt_edge_map = PixelData(data=torch.from_numpy(edges))
    assert np.array_equal(boundary_map(sample, gt), edges[0].astype(bool))
    assert boundary_map(SegDataSample(), None) is None


def test_affinity_of_kept_pixels():
    weight = np.zeros((4, 4))
    weight[:, 0] = 1.0  # the "edge" column: a quarter of the frame
    kept = np.zeros((4, 4))
    kept[:, :2] = 1  # half the kept pixels on the edge column
    assert _affinity(kept, weight) == 2.0  # 0.5 / 0.25
    assert _affinity(np.ones((4, 4)), weight) == 1.0  # keeping everything is indifferent
    assert _affinity(np.zeros((4, 4)), weight) is None  # nothing kept: undefined
    assert _affinity(kept, None) is None
