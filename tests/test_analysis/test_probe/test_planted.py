"""Planted networks: ordinary DepthEstimators whose output depends on the support pixels only."""
import numpy as np
import pytest
import torch
from mmseg.models.segmentors import DepthEstimator
from mmseg.registry import MODELS

from mmdepth_dgr.analysis.probe.planted import (
    layout_edges,
    planted_depth_config,
    planted_images,
    planted_support,
    scene_layout,
)
from mmdepth_dgr.analysis.probe.validation import PLANTED_SUPPORTS

SHAPE = (48, 64)
SUPPORTS = dict(PLANTED_SUPPORTS, disc=dict(type='disc', center=(0.5, 0.5), radius=0.3),
                random=dict(type='random', fraction=0.1, seed=3))


def _network(spec):
    model = MODELS.build(planted_depth_config(spec))
    model.init_weights()  # no learnt weight: changes nothing
    return model.eval()


def _normalised(model, images):
    return model.data_preprocessor(dict(inputs=images), False)['inputs']


def _depth(model, x):
    hw = tuple(x.shape[-2:])
    metas = [dict(img_shape=hw, pad_shape=hw, ori_shape=hw)] * x.shape[0]
    return model.encode_decode(x, metas)


@pytest.mark.parametrize('name', sorted(SUPPORTS))
def test_output_depends_exactly_on_the_support(name):
    spec = SUPPORTS[name]
    model = _network(spec)
    assert isinstance(model, DepthEstimator)
    support = torch.from_numpy(planted_support(spec, SHAPE))
    assert 0 < support.float().mean() < 1
    # gradient support: d(sum of the depth)/d(pixel) is nonzero exactly on S
    x = torch.randn(2, 3, *SHAPE, generator=torch.Generator().manual_seed(0))
    x.requires_grad_(True)
    _depth(model, x).sum().backward()
    used = x.grad.abs().sum(dim=1) > 0
    assert torch.equal(used, support.expand_as(used))
    # changing every pixel off S changes nothing; changing one pixel of S changes its depth
    x = x.detach()
    base = _depth(model, x)
    off = x.clone()
    off[:, :, ~support] = torch.randn_like(off[:, :, ~support]) * 3
    assert torch.equal(_depth(model, off), base)
    ys, xs = torch.nonzero(support, as_tuple=True)
    y, x0 = int(ys[len(ys) // 2]), int(xs[len(xs) // 2])
    on = x.clone()
    on[:, :, y, x0] = on[:, :, y, x0] * 2 + 1
    changed = (_depth(model, on) != base)[:, 0]
    assert changed[:, y, x0].all() and changed.sum() == changed.shape[0]


@pytest.mark.parametrize('name', sorted(SUPPORTS))
def test_removing_the_support_moves_the_depth_far(name):
    """The probe's fill value (0 after normalisation) moves every support pixel's depth by m."""
    spec = SUPPORTS[name]
    model = _network(spec)
    support = torch.from_numpy(planted_support(spec, SHAPE))
    x = _normalised(model, planted_images(4, SHAPE, seed=1))
    with torch.no_grad():
        full = _depth(model, x)
        removed = _depth(model, x * (~support).float())
    delta = (full - removed).abs()[:, 0]
    assert delta[:, support].min() > 3.0  # of the 3.5 m between the middle and near or far
    assert delta[:, ~support].max() == 0


def test_edge_support_is_the_strong_edges_of_the_images():
    labels = scene_layout(SHAPE)
    assert len(np.unique(labels)) == 5
    edges = planted_support(PLANTED_SUPPORTS['edges'], SHAPE)
    assert np.array_equal(edges, layout_edges(labels, 1))
    for img in planted_images(3, SHAPE, seed=2):
        rgb = img.numpy().astype(np.float64)
        # strong steps between 4-neighbours lie inside the band, weak (noise) ones outside it
        for axis in (1, 2):
            step = np.abs(np.diff(rgb, axis=axis)).max(axis=0)
            a = edges[:, 1:] & edges[:, :-1] if axis == 2 else edges[1:] & edges[:-1]
            assert (step > 150).any() and a[step > 150].all()
            assert step[~a].max() < 150
    assert 0.1 < edges.mean() < 0.25


def test_bad_supports_are_refused():
    with pytest.raises(ValueError, match='unknown support type'):
        planted_support(dict(type='blob'), SHAPE)
    with pytest.raises(ValueError, match='rect box'):
        planted_support(dict(type='rect', box=(0.5, 0, 0.2, 1)), SHAPE)
    with pytest.raises(ValueError, match='fraction'):
        planted_support(dict(type='random', fraction=0.0), SHAPE)
    with pytest.raises(ValueError, match='rect box'):
        MODELS.build(planted_depth_config(dict(type='rect', box=(0, 0, 2, 1))))
