"""Benchmark the Optimal Transport Depth Loss against its peers and inside a training step.

python tools/analysis_tools/benchmark_otdl.py [--threads 1] [--repeats 5] [--out table.md]
    [--sections peers pot full step] [--small] [--device cpu|cuda]
    [--spatial-sizes 1x64 1x128 4x512] [--scalings 0.5 0.9 0.99] [--kernel-sizes 4x512]
    [--depth-shapes 4x416x544] [--alone-shapes 4x416x544]
    [--compare-size 64] [--full-shape 4 416 544] [--step-shape 1 416 544]

Sections (all by default; see mmdepth_dgr/analysis/benchmark_otdl.py):
  peers  the peer table: spatial mode vs GeomLoss's grid solver (forward, forward+backward,
         GeomLoss at each --scalings), depth mode vs POT ot.wasserstein_1d and vs a bare
         torch.sort, the spatial mode alone at the training size; interleaved rounds,
         medians with bootstrap intervals;
  pot    depth mode vs ot.emd2, spatial mode vs ot.sinkhorn2 (dense cost);
  full   time and memory of both modes at --full-shape;
  step   OTDL's share of a Swin-T training step.
The 4x512x512 GeomLoss rows and the training-size rows take long on a CPU: develop with
e.g. --sections peers --spatial-sizes 1x16 1x32 --depth-shapes 1x64x64 --alone-shapes 1x32x48.
Prints Markdown; exit status 0 whatever the verdicts (they are in the tables).
"""
import argparse
import sys
from typing import List, Tuple

import torch

from mmdepth_dgr.analysis.benchmark_otdl import (
    SWIN_T_CONFIG,
    default_device,
    format_otdl_benchmark,
    format_peer_table,
    run_otdl_benchmark,
    run_peer_benchmark,
)

SMALL = dict(compare_size=24, full_shape=(2, 64, 80), step_shape=(1, 64, 96),
             spatial_sizes=[(1, 16), (1, 32)], depth_shapes=[(1, 64, 64)],
             alone_shapes=[(1, 32, 48)], kernel_sizes=[(1, 64)])
SECTIONS = ('peers', 'pot', 'full', 'step')


def _shape(text: str) -> Tuple[int, ...]:
    """``'4x512'`` or ``'4x416x544'`` -> a tuple of ints."""
    try:
        return tuple(int(x) for x in text.lower().split('x'))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f'expected BxS or BxHxW, got {text!r}') from err


def parse_args() -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed (interleaved) rounds per measurement')
    parser.add_argument('--warmup', type=int, default=1, help='untimed rounds first')
    parser.add_argument('--out', help='also write the tables (Markdown) to this file')
    parser.add_argument('--device', default=None, help='cpu or cuda (default: cuda if available)')
    parser.add_argument('--sections', nargs='+', default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument('--small', action='store_true',
                        help='quick run at small sizes (peers at 1x16, 1x32, depth 1x64x64, '
                        'alone 1x32x48; 24x24 POT comparisons, 2x64x80, step at 64x96)')
    parser.add_argument('--spatial-sizes', type=_shape, nargs='*',
                        default=[(1, 64), (1, 128), (4, 512)], metavar='BxS',
                        help='batch x side of the GeomLoss comparisons (side: power of two)')
    parser.add_argument('--scalings', type=float, nargs='+', default=[0.5, 0.9, 0.99],
                        help="GeomLoss epsilon-scaling ratios (0.5: its default; 0.99 comes "
                        'within ~1e-3 of the converged value)')
    parser.add_argument('--kernel-sizes', type=_shape, nargs='*', default=[(4, 512)],
                        metavar='BxS', help='batch x side of the one-kernel-pass rows '
                        '(windowed vs full vs GeomLoss KeOps)')
    parser.add_argument('--spatial-max-iter', type=int, default=100,
                        help="OTDL's iteration cap in the GeomLoss comparisons")
    parser.add_argument('--spatial-tol', type=float, default=1e-3,
                        help="OTDL's marginal-error tolerance in the GeomLoss comparisons")
    parser.add_argument('--depth-shapes', type=_shape, nargs='*', default=[(4, 416, 544)],
                        metavar='BxHxW', help='shapes of the depth-mode peer rows')
    parser.add_argument('--alone-shapes', type=_shape, nargs='*', default=[(4, 416, 544)],
                        metavar='BxHxW', help='shapes of the spatial mode alone (defaults)')
    parser.add_argument('--passes', nargs='+', default=['fwd', 'fwd+bwd'],
                        choices=['fwd', 'fwd+bwd'])
    parser.add_argument('--compare-size', type=int, default=64,
                        help='image side of the comparisons with ot.emd2 / ot.sinkhorn2')
    parser.add_argument('--full-shape', type=int, nargs=3, default=(4, 416, 544),
                        metavar=('B', 'H', 'W'), help='shape of the time/memory measurement')
    parser.add_argument('--step-shape', type=int, nargs=3, default=(1, 416, 544),
                        metavar=('B', 'H', 'W'), help='input shape of the training step')
    parser.add_argument('--step-modes', nargs='+', default=['depth', 'spatial'],
                        choices=['depth', 'spatial'], help='OTDL modes of the step rows')
    parser.add_argument('--config', default=SWIN_T_CONFIG, help='model of the training step')
    parser.add_argument('--step-rounds', type=int, default=12,
                        help='interleaved rounds (step + OTDL call) of the training-step share')
    parser.add_argument('--threads', type=int, default=None, help='torch.set_num_threads')
    args = parser.parse_args()
    for shape in args.spatial_sizes + args.kernel_sizes:
        if len(shape) != 2:
            parser.error(f'--spatial-sizes/--kernel-sizes take BxS, got {shape}')
    for shape in args.depth_shapes + args.alone_shapes:
        if len(shape) != 3:
            parser.error(f'--depth-shapes/--alone-shapes take BxHxW, got {shape}')
    return args


def main() -> int:
    """Entry point; returns the exit status."""
    args = parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    sizes = dict(compare_size=args.compare_size, full_shape=tuple(args.full_shape),
                 step_shape=tuple(args.step_shape), spatial_sizes=args.spatial_sizes,
                 depth_shapes=args.depth_shapes, alone_shapes=args.alone_shapes,
                 kernel_sizes=args.kernel_sizes)
    if args.small:
        sizes.update(SMALL)
    device = args.device or default_device()
    print(f'device: {device}', flush=True)
    parts: List[str] = []
    if 'peers' in args.sections:
        peers = run_peer_benchmark(sizes['spatial_sizes'], args.scalings, sizes['depth_shapes'],
                                   sizes['alone_shapes'], args.repeats, args.warmup, device,
                                   args.passes, args.spatial_max_iter, args.spatial_tol,
                                   sizes['kernel_sizes'])
        parts.append(format_peer_table(peers['peers'], device, peers['threads']))
        print(parts[-1], flush=True)
    old = [s for s in ('pot', 'full', 'step') if s in args.sections]
    if old:
        result = run_otdl_benchmark(repeats=args.repeats, device=device, config=args.config,
                                    step_modes=args.step_modes,
                                    compare_size=sizes['compare_size'],
                                    full_shape=sizes['full_shape'],
                                    step_shape=sizes['step_shape'], sections=old,
                                    step_rounds=args.step_rounds)
        parts.append(format_otdl_benchmark(result))
        print(parts[-1], flush=True)
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            f.write('\n'.join(parts) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
