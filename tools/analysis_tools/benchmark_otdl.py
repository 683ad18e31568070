"""Benchmark the Optimal Transport Depth Loss against POT and inside a Swin-T training step.

python tools/analysis_tools/benchmark_otdl.py [--repeats 3] [--out table.md] [--small]
    [--device cpu|cuda] [--compare-size 64] [--full-shape 4 416 544]
    [--step-shape 1 416 544] [--step-modes depth spatial]

Prints a Markdown table (see mmdepth_dgr/analysis/benchmark_otdl.py for what is measured);
exit status 0 whatever the verdicts (they are in the table).
"""
import argparse
import sys

import torch

from mmdepth_dgr.analysis.benchmark_otdl import (
    SWIN_T_CONFIG,
    default_device,
    format_otdl_benchmark,
    run_otdl_benchmark,
)

SMALL = dict(compare_size=24, full_shape=(2, 64, 80), step_shape=(1, 64, 96))


def parse_args() -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--repeats', type=int, default=3, help='timed calls per measurement')
    parser.add_argument('--out', help='also write the table (Markdown) to this file')
    parser.add_argument('--device', default=None, help='cpu or cuda (default: cuda if available)')
    parser.add_argument('--small', action='store_true',
                        help='quick run at small sizes (24x24 POT comparisons, 2x64x80, '
                        'step at 64x96)')
    parser.add_argument('--compare-size', type=int, default=64,
                        help='image side of the comparisons with POT')
    parser.add_argument('--full-shape', type=int, nargs=3, default=(4, 416, 544),
                        metavar=('B', 'H', 'W'), help='shape of the time/memory measurement')
    parser.add_argument('--step-shape', type=int, nargs=3, default=(1, 416, 544),
                        metavar=('B', 'H', 'W'), help='input shape of the training step')
    parser.add_argument('--step-modes', nargs='+', default=['depth', 'spatial'],
                        choices=['depth', 'spatial'], help='OTDL modes of the step rows')
    parser.add_argument('--config', default=SWIN_T_CONFIG, help='model of the training step')
    parser.add_argument('--threads', type=int, default=None, help='torch.set_num_threads')
    return parser.parse_args()


def main() -> int:
    """Entry point; returns the exit status."""
    args = parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    sizes = dict(compare_size=args.compare_size, full_shape=tuple(args.full_shape),
                 step_shape=tuple(args.step_shape))
    if args.small:
        sizes.update(SMALL)
    device = args.device or default_device()
    print(f'device: {device}', flush=True)
    result = run_otdl_benchmark(repeats=args.repeats, device=device, config=args.config,
                                step_modes=args.step_modes, **sizes)
    table = format_otdl_benchmark(result)
    print(table)
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            f.write(table + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
