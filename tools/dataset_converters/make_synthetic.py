"""Write a synthetic NYU-like or KITTI-like depth dataset.

Examples::

    python tools/dataset_converters/make_synthetic.py nyu --out data/synthetic_nyu \\
        --num-train 200 --num-test 50 --height 120 --width 160 --seed 0
    python tools/dataset_converters/make_synthetic.py kitti --out data/synthetic_kitti \\
        --num-train 200 --num-test 50 --height 94 --width 311 --seed 0
"""

import argparse
import time

from mmdepth_dgr.synthetic import KITTI_SPEC, NYU_SPEC, generate_dataset, make_progress_printer

SPECS = {'nyu': NYU_SPEC, 'kitti': KITTI_SPEC}
DEFAULT_SIZE = {'nyu': (480, 640), 'kitti': (375, 1242)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse command line arguments.

    Args:
        argv: Arguments (``sys.argv[1:]`` when ``None``).

    Returns:
        Parsed arguments.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dataset', choices=sorted(SPECS), help='layout to write')
    parser.add_argument('--out', required=True, help='output root directory')
    parser.add_argument('--num-train', type=int, default=200, help='training frames')
    parser.add_argument('--num-test', type=int, default=50, help='test frames')
    parser.add_argument('--height', type=int, default=None,
                        help='image height (default: 480 for nyu, 375 for kitti)')
    parser.add_argument('--width', type=int, default=None,
                        help='image width (default: 640 for nyu, 1242 for kitti)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (>= 0)')
    parser.add_argument('--num-scenes', '--num-drives', dest='num_groups', type=int,
                        default=None,
                        help='scenes (nyu) or drives (kitti) per split (default: automatic)')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    default_h, default_w = DEFAULT_SIZE[args.dataset]
    start = time.perf_counter()
    try:
        result = generate_dataset(
            SPECS[args.dataset], args.out, args.num_train, args.num_test,
            height=default_h if args.height is None else args.height,
            width=default_w if args.width is None else args.width, seed=args.seed,
            num_groups=args.num_groups, progress=make_progress_printer(args.dataset))
    except (TypeError, ValueError) as err:
        raise SystemExit(f'error: {err}') from err
    seconds = time.perf_counter() - start
    rate = 60.0 * result.num_frames / max(seconds, 1e-9)
    print(f'wrote {result.num_frames} frames in {seconds:.1f} s ({rate:.0f} frames/min)')
    print(f'train split: {result.train_split}')
    print(f'test split: {result.test_split}')


if __name__ == '__main__':
    main()
