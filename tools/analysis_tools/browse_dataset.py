"""Draw a split's augmented samples as RGB | ground-truth depth pictures, to check a pipeline.

python tools/analysis_tools/browse_dataset.py CONFIG [--output-dir DIR] [--not-show]
    [--show-interval 2] [--split train|val|test] [--max-samples N] [--seed S]
    [--cfg-options ...]

The pictures are <DIR>/<scene>__<frame>.png (unique across scenes, unlike mmseg's tool,
which names them by basename); see mmdepth_dgr/analysis/browse.py.
"""
import argparse
import sys

from mmengine.config import DictAction

from mmdepth_dgr.analysis.browse import SPLITS, browse_dataset
from mmdepth_dgr.engine import load_config


def parse_args() -> argparse.Namespace:
    """Command line, mmseg's browse_dataset.py options plus --split, --max-samples, --seed."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', help='write the pictures here')
    parser.add_argument('--not-show', action='store_true', help='do not show the pictures')
    parser.add_argument('--show-interval', type=float, default=2,
                        help='seconds each shown picture stays')
    parser.add_argument('--split', default='train',
                        help=f'data loader to browse: one of {", ".join(SPLITS)}')
    parser.add_argument('--max-samples', type=int, help='draw at most this many samples')
    parser.add_argument('--seed', type=int, help='seed of the augmentations')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value (an unknown key is '
                        'an error naming the closest one; prefix + to add a new one)')
    return parser.parse_args()


def main() -> int:
    """Entry point; returns the exit status."""
    args = parse_args()
    import mmdepth_dgr  # noqa: F401  (registers the project's modules)
    cfg = load_config(args.config, args.cfg_options)
    try:
        written = browse_dataset(cfg, args.output_dir, split=args.split,
                                 max_samples=args.max_samples, show=not args.not_show,
                                 wait_time=args.show_interval, seed=args.seed)
    except ValueError as err:
        print(f'browse_dataset.py: {err}', file=sys.stderr)
        return 2
    if args.output_dir is not None:
        print(f'{len(written)} pictures written to {args.output_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
