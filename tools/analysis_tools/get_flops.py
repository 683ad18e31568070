"""Parameters and FLOPs (MACs) of a config's model, pretrained weights off.

python tools/analysis_tools/get_flops.py CONFIG [--shape H W] [--cfg-options ...]

Counts the tensor-mode forward (backbone, neck, decode head) at batch 1 with
mmengine's FlopAnalyzer; see mmdepth_dgr/analysis/complexity.py for what is counted.
"""
import argparse
import json
import sys

from mmengine.config import DictAction

from mmdepth_dgr.analysis import format_complexity, model_complexity
from mmdepth_dgr.engine import load_config


def parse_args() -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs='+', default=[416, 544],
                        help='input size: H W (or one value for a square)')
    parser.add_argument('--json', action='store_true', help='print the result as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> int:
    """Entry point; returns the exit status."""
    args = parse_args()
    if len(args.shape) == 1:
        shape = (args.shape[0], args.shape[0])
    elif len(args.shape) == 2:
        shape = tuple(args.shape)
    else:
        print(f'--shape takes H W or one size, got {args.shape}', file=sys.stderr)
        return 2
    import mmdepth_dgr  # noqa: F401  (registers the project's modules)
    cfg = load_config(args.config, args.cfg_options)
    result = model_complexity(cfg, shape)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f'{args.config}\n{format_complexity(result)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
