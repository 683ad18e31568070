"""Extract the official NYU-Depth-v2 train/test split into the BTS layout.

Reads ``nyu_depth_v2_labeled.mat`` frame by frame and ``splits.mat`` and writes
``OUT/official_splits/{test,train}/<scene type>/rgb_%05d.jpg`` + ``sync_depth_%05d.png``
(uint16 millimetres) and ``OUT/splits/nyu_test.txt`` / ``nyu_official_train.txt``, following
BTS's ``extract_official_train_test_set_from_mat.py``. Re-running skips finished frames.

Example::

    python tools/dataset_converters/nyu.py nyu_depth_v2_labeled.mat splits.mat --out data/nyu
"""
import argparse
import sys

from mmdepth_dgr.datasets.preparation.nyu import (
    BTS_JPEG_QUALITY,
    DEPTH_FIELDS,
    SPLITS,
    NYULabeledMatError,
    convert_nyu_official,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse command line arguments.

    Args:
        argv: Arguments (``sys.argv[1:]`` when ``None``).

    Returns:
        Parsed arguments.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('labeled_mat', help='nyu_depth_v2_labeled.mat (MATLAB v7.3)')
    parser.add_argument('splits_mat', help='splits.mat (testNdxs / trainNdxs)')
    parser.add_argument('--out', default='data/nyu', help='dataset root (default: data/nyu)')
    parser.add_argument('--splits', nargs='+', choices=sorted(SPLITS), default=['test', 'train'],
                        help='splits to write (default: test train)')
    parser.add_argument('--depth-field', choices=DEPTH_FIELDS, default='rawDepths',
                        help='depth array to write (default: rawDepths, as BTS)')
    parser.add_argument('--jpeg-quality', type=int, default=BTS_JPEG_QUALITY,
                        help=f'JPEG quality (default: {BTS_JPEG_QUALITY}, as BTS)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the conversion; return the exit status."""
    args = parse_args(argv)
    try:
        summary = convert_nyu_official(args.labeled_mat, args.splits_mat, args.out,
                                       depth_field=args.depth_field,
                                       jpeg_quality=args.jpeg_quality, split_names=args.splits,
                                       progress=not args.no_progress)
    except NYULabeledMatError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    for name, path in summary.split_files.items():
        print(f'{name}: {summary.written[name]} frames written, {summary.skipped[name]} already '
              f'present; split file {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
