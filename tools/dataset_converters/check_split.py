"""Check split files against a dataset tree with the path rules of the datasets.

Every line ``rgb_path depth_path [focal]`` names ``ROOT/<img prefix>/<rgb_path>`` and
``ROOT/<depth prefix>/<depth_path>``; the prefixes are the ``data_prefix`` of the dataset's
base config (``--dataset``) or given (``--img-prefix``/``--depth-prefix``). Prints per split
the lines present, missing an image, missing a depth map and without ground truth (``None``).

Examples::

    python tools/dataset_converters/check_split.py data/nyu data/nyu/splits/nyu_test.txt \\
        --dataset nyu
    python tools/dataset_converters/check_split.py data/mine splits/train.txt \\
        --img-prefix rgb --depth-prefix depth

Exit status: 0; 1 when a split names a missing image; 2 on bad arguments or paths.
"""
import argparse
import os.path as osp
import sys

from mmdepth_dgr.datasets.preparation import check_splits, prefixes_from_config

#: The base dataset configs of this checkout.
CONFIG_DIR = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'configs', '_base_',
                      'datasets')
DATASETS = ('nyu', 'kitti')


def parse_args(argv=None) -> argparse.Namespace:
    """Parse command line arguments (``sys.argv[1:]`` when ``argv`` is None)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help='dataset root (data_root of the config)')
    parser.add_argument('splits', nargs='+', metavar='SPLIT', help='split files to check')
    parser.add_argument('--dataset', choices=DATASETS,
                        help='take the prefixes from configs/_base_/datasets/<dataset>.py '
                        '(the dataloader whose ann_file has the split\'s name)')
    parser.add_argument('--img-prefix', help="data_prefix['img_path']")
    parser.add_argument('--depth-prefix', help="data_prefix['depth_map_path']")
    args = parser.parse_args(argv)
    explicit = args.img_prefix is not None or args.depth_prefix is not None
    if args.dataset is not None and explicit:
        parser.error('give --dataset or the prefixes, not both')
    if args.dataset is None and not explicit:
        parser.error('give --dataset, or --img-prefix and --depth-prefix')
    return args


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    args = parse_args(argv)

    def prefixes(split: str):
        if args.dataset is not None:
            return prefixes_from_config(osp.join(CONFIG_DIR, f'{args.dataset}.py'), split)
        return args.img_prefix or '', args.depth_prefix or ''

    try:
        return check_splits(args.splits, args.root, prefixes)
    except (OSError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
