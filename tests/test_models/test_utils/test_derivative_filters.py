"""Fixed derivative filters of DGR (Sec. 3.2): Laplacian and third-order stencils, depthwise use."""
import pytest
import torch

from mmdepth_dgr.models.utils import depthwise_derivatives, laplacian_kernel, third_order_kernel


def _grid(h=12, w=14):
    y, x = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                          torch.arange(w, dtype=torch.float64), indexing='ij')
    return x - 5.3, y - 4.1  # off-centre so no term vanishes by symmetry


def _derivs(*fields):
    f = torch.stack(fields)[None]  # (1, C, H, W), one polynomial per channel
    return depthwise_derivatives(f)


@pytest.mark.parametrize('name,fn,expected', [
    ('x^2', lambda x, y: x**2, 2.0),
    ('y^2', lambda x, y: y**2, 2.0),
    ('x^2+y^2', lambda x, y: x**2 + y**2, 4.0),
    ('3x^2-xy+2', lambda x, y: 3 * x**2 - x * y + 2, 6.0),
    ('linear', lambda x, y: 2 * x - 3 * y + 1, 0.0),
    ('constant', lambda x, y: torch.full_like(x, 7.0), 0.0),
])
def test_laplacian_on_polynomials(name, fn, expected):
    x, y = _grid()
    lap, _ = _derivs(fn(x, y))
    interior = lap[0, 0, 1:-1, 1:-1]
    assert torch.allclose(interior, torch.full_like(interior, expected), atol=1e-9), name


def test_laplacian_is_exact_on_cubics():
    x, y = _grid()
    lap, _ = _derivs(x**3 + y**3)
    assert torch.allclose(lap[0, 0, 1:-1, 1:-1], (6 * x + 6 * y)[1:-1, 1:-1], atol=1e-9)


@pytest.mark.parametrize('name,fn,expected', [
    ('x^3', lambda x, y: x**3, 6.0),
    ('y^3', lambda x, y: y**3, 6.0),
    ('x^3+2y^3-x^2', lambda x, y: x**3 + 2 * y**3 - x**2, 18.0),
    ('x^2', lambda x, y: x**2, 0.0),
    ('quadratic', lambda x, y: 2 * x**2 - 3 * x * y + y**2 - x + 4, 0.0),
    ('linear', lambda x, y: 2 * x - 3 * y + 1, 0.0),
    ('x^2 y (mixed, not in H)', lambda x, y: x**2 * y, 0.0),
])
def test_third_order_on_polynomials(name, fn, expected):
    x, y = _grid()
    _, third = _derivs(fn(x, y))
    interior = third[0, 0, 2:-2, 2:-2]
    assert torch.allclose(interior, torch.full_like(interior, expected), atol=1e-9), name


def test_third_order_is_exact_on_quartics():
    x, y = _grid()
    _, third = _derivs(x**4)
    assert torch.allclose(third[0, 0, 2:-2, 2:-2], (24 * x)[2:-2, 2:-2], atol=1e-9)


def test_kernels_and_borders():
    lap, third = laplacian_kernel(), third_order_kernel()
    assert lap.shape == (3, 3) and lap.sum() == 0
    assert third.shape == (5, 5) and third.sum() == 0
    assert torch.equal(third.flip(0, 1), -third)  # odd: centred, no half-pixel shift
    assert torch.equal(third, third.t())  # same stencil along x and y
    # replicate padding: constants give 0 everywhere, borders included
    d2, d3 = depthwise_derivatives(torch.full((2, 3, 5, 7), 4.0))
    assert d2.abs().max() == 0 and d3.abs().max() == 0
    # channels are independent (depthwise) and 1x1 maps work
    x, y = _grid()
    d2, d3 = _derivs(x**2, y**3)
    assert torch.allclose(d2[0, 0, 1:-1, 1:-1], torch.tensor(2.0, dtype=torch.float64))
    assert torch.allclose(d3[0, 1, 2:-2, 2:-2], torch.tensor(6.0, dtype=torch.float64))
    assert depthwise_derivatives(torch.randn(1, 4, 1, 1))[1].shape == (1, 4, 1, 1)
    with pytest.raises(ValueError, match='expected \\(B, C, H, W\\)'):
        depthwise_derivatives(torch.randn(3, 4, 4))
    with pytest.raises(ValueError, match='lap_weight has shape'):
        depthwise_derivatives(torch.randn(1, 2, 4, 4), lap_weight=torch.zeros(3, 1, 3, 3))
