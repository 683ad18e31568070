"""Planted-support validation of the sparse-pixel probe (issue 14, part 1).

Trains the study's probe (Eq. 6) on depth networks that read the image on a known pixel set
only (a rectangle, the strong-edge bands of the test images) and prints, per planted network,
the IoU of the binarised mask with that set, the sparsity against the set's area, the removal
gap and the lambda chosen from it (lambda = factor * gap), and the IoU with the other planted
set (which a correct probe does not match)::

    python tools/analysis_tools/probe_validation.py [--iters 600] [--lambda-factor 0.5] \
        [--size 48 64] [--threads 1] [--out table.md] [--scale-invariant] \
        [--mask-sampling bernoulli|soft]

``--scale-invariant`` validates on networks whose output ignores a uniform scaling of the image
(like a patch embedding followed by LayerNorm): there Hu et al.'s soft training mask
(``--mask-sampling soft``) dims the whole image and finds nothing, the default sampled mask
finds the support.

Exits with status 1 unless every planted network reaches IoU >= 0.8 and a sparsity within
0.05 of its support's area.
"""
import argparse
import sys

import torch
from mmengine.logging import MMLogger

from mmdepth_dgr.analysis.probe.validation import (
    DEFAULT_ITERS,
    LAMBDA_FACTOR,
    MAX_SPARSITY_GAP,
    MIN_IOU,
    check_validation,
    format_validation_table,
    run_planted_validation,
)
from mmdepth_dgr.models.utils import MASK_SAMPLING_MODES


def parse_args() -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--iters', type=int, default=DEFAULT_ITERS,
                        help=f'probe iterations per planted network (default {DEFAULT_ITERS})')
    parser.add_argument('--batch-size', type=int, default=4, help='images per iteration')
    parser.add_argument('--lambda-factor', type=float, default=LAMBDA_FACTOR,
                        help=f'lambda = factor * removal gap (default {LAMBDA_FACTOR})')
    parser.add_argument('--size', type=int, nargs=2, default=(48, 64), metavar=('H', 'W'),
                        help='image size, multiples of 16 (default 48 64)')
    parser.add_argument('--threshold', type=float, default=0.5,
                        help='mask binarisation threshold (default 0.5, as the study)')
    parser.add_argument('--seed', type=int, default=0, help='seed of G and of the images')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--out', help='also write the Markdown table to this file')
    parser.add_argument('--scale-invariant', action='store_true',
                        help='planted networks with N(c * I) = N(I)')
    parser.add_argument('--mask-sampling', choices=MASK_SAMPLING_MODES, default='bernoulli',
                        help='training mask of the probe (default bernoulli)')
    return parser.parse_args()


def main() -> None:
    """Entry point."""
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    # mmengine's per-parameter init report would bury the table
    MMLogger.get_instance('mmdepth_dgr.probe_validation', log_level='WARNING')
    rows = run_planted_validation(shape=tuple(args.size), iters=args.iters,
                                  batch_size=args.batch_size, lambda_factor=args.lambda_factor,
                                  threshold=args.threshold, seed=args.seed,
                                  normalize=args.scale_invariant,
                                  mask_sampling=args.mask_sampling)
    table = format_validation_table(rows)
    print(table)
    for row in rows:  # when the binarised mask left the full image (see the README)
        print(f'{row["network"]}: training sparsity by iteration: ' + ', '.join(
            f'{it}: {sp:.2f}' for it, sp in row['history']))
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            f.write(table + '\n')
    problems = check_validation(rows)
    if problems:
        print('FAILED: ' + '; '.join(problems))
        sys.exit(1)
    print(f'passed: every planted support recovered (IoU >= {MIN_IOU}, |sparsity - area| <= '
          f'{MAX_SPARSITY_GAP})')


if __name__ == '__main__':
    main()
