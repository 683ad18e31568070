"""Parameter and FLOP counting of the DGR blocks (fixed filters, the outer product's einsum)."""
import torch
from mmengine.analysis import FlopAnalyzer

from mmdepth_dgr.analysis import module_complexity
from mmdepth_dgr.analysis.complexity import einsum_flop_handle, flop_analyzer
from mmdepth_dgr.models.utils import DGRBlock


def test_complexity_counts_fixed_filters_and_outer_product():
    c, h, w, r = 16, 10, 12, 8
    block = DGRBlock(c, rank=r).eval()
    res = module_complexity(block, (torch.randn(1, c, h, w),))
    hw = h * w
    convs = (9 * c + 25 * c           # fixed Laplacian + third-order depthwise filters
             + 9 * 3 * c              # depthwise spatial conv (Eq. 13)
             + 2 * 3 * c * r          # the two low-rank projections
             + r * r * c) * hw        # 1x1 reduction of the outer product (Eq. 14)
    convs += 2 * 3 * c * block.hidden  # channel-attention FCs on the pooled vector (Eq. 12)
    assert res['flops_by_operator']['conv'] == convs
    assert res['flops_by_operator']['einsum'] == r * r * hw  # one multiply per output entry
    m, hid = 3 * c, block.hidden
    assert hid == max(c // 4, 8) == 8
    assert res['params'] == (2 * m * hid + hid + m      # channel attention (Eq. 12)
                             + 9 * m + 2 * m            # depthwise spatial conv + its BN
                             + 2 * (m * r + r) + 2 * m  # projections + norm of M
                             + r * r * c + c)           # 1x1 reduction


def test_einsum_handle_fixes_outer_product_count():
    class Outer(torch.nn.Module):
        def forward(self, u, v):
            return torch.einsum('bihw,bjhw->bijhw', u, v), torch.einsum('bik,bkj->bij', u[..., 0],
                                                                        v[..., 0, :])

    u, v = torch.randn(2, 3, 4, 5), torch.randn(2, 4, 4, 5)
    analyzer = flop_analyzer(Outer(), (u, v))
    # outer: 2*3*4*4*5 products; contraction (2,3,4)x(2,4,5): 2*3*4*5 MACs (mmengine's rule)
    assert analyzer.total() == 2 * 3 * 4 * 4 * 5 + 2 * 3 * 4 * 5
    # the total is the handle's: mmengine's own einsum rule counts the outer product otherwise
    with_handle = FlopAnalyzer(Outer(), (u, v)).set_op_handle('aten::einsum', einsum_flop_handle)
    assert with_handle.total() == analyzer.total() != FlopAnalyzer(Outer(), (u, v)).total()
