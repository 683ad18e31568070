"""Build the KITTI tree the configs read (BTS layout) from the official downloads, and check
split files against it.

Examples::

    # link KITTI raw and the depth benchmark's train/ + val/ drives into data/kitti,
    # then check the Eigen split files
    python tools/dataset_converters/kitti.py --raw /datasets/kitti_raw \\
        --depth-benchmark /datasets/data_depth_annotated --out data/kitti \\
        --check data/kitti/splits/kitti_eigen_train.txt data/kitti/splits/kitti_eigen_test.txt
    # check an existing tree only
    python tools/dataset_converters/kitti.py --out data/kitti \\
        --check data/kitti/splits/kitti_eigen_test.txt

Exit status: 0; 1 when a checked split names a missing image; 2 on bad arguments or paths.
"""
import argparse
import sys

from mmdepth_dgr.datasets.preparation import (
    KITTI_DEPTH_PREFIX,
    KITTI_IMG_PREFIX,
    check_splits,
    link_kitti,
)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse command line arguments (``sys.argv[1:]`` when ``argv`` is None)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--raw', help='KITTI raw root (<date>/<date>_drive_<id>_sync/...)')
    parser.add_argument('--depth-benchmark', help='unpacked data_depth_annotated '
                        '(train/ and val/ drive folders)')
    parser.add_argument('--out', required=True, help='dataset root to write (data/kitti)')
    parser.add_argument('--copy', action='store_true',
                        help='copy the depth maps instead of linking them (raw is linked)')
    parser.add_argument('--check', nargs='+', default=[], metavar='SPLIT',
                        help='split files to check against the tree')
    args = parser.parse_args(argv)
    if (args.raw is None) != (args.depth_benchmark is None):
        parser.error('--raw and --depth-benchmark go together')
    if args.raw is None and not args.check:
        parser.error('nothing to do: give --raw and --depth-benchmark, or --check')
    return args


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    args = parse_args(argv)
    try:
        if args.raw is not None:
            stats = link_kitti(args.raw, args.depth_benchmark, args.out, copy=args.copy)
            print(f'\n{args.out}: raw {"linked" if stats["raw"] else "kept"}; gt drives: '
                  f'{stats["linked"]} linked, {stats["copied"]} copied, '
                  f'{stats["kept"]} already in place')
        return check_splits(args.check, args.out,
                            lambda _: (KITTI_IMG_PREFIX, KITTI_DEPTH_PREFIX))
    except (OSError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
