"""Evaluate the constant-mean-depth predictor of a config's data, and compare a model to it.

python tools/analysis_tools/constant_baseline.py CONFIG [--compare METRICS_JSON] [--max-ratio 0.5]
"""
import argparse
import json
import sys

from mmengine.config import DictAction
from mmengine.logging import MMLogger

from mmdepth_dgr.analysis import compare_with_constant, evaluate_constant, mean_train_depth
from mmdepth_dgr.engine import load_config


def parse_args() -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='config whose train set gives the mean and whose test '
                        'set and evaluator are used')
    parser.add_argument('--compare', help='JSON metrics of a trained model (tools/test.py '
                        '--metrics-out) to put next to the constant predictor')
    parser.add_argument('--max-ratio', type=float, default=None,
                        help='exit with status 1 unless model abs_rel <= ratio * constant abs_rel')
    parser.add_argument('--out', help='write the comparison table (Markdown) here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> int:
    """Entry point; returns the exit status."""
    args = parse_args()
    MMLogger.get_instance('mmdepth_dgr', log_level='INFO')
    cfg = load_config(args.config, args.cfg_options)
    depth = mean_train_depth(cfg)
    constant = evaluate_constant(cfg, depth)
    if not args.compare:
        print(json.dumps(dict(constant_depth=depth, **constant), indent=2))
        return 0
    with open(args.compare, encoding='utf-8') as f:
        model = json.load(f)
    table = compare_with_constant(model, constant, depth)
    print(table)
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            f.write(table + '\n')
    ratio = model['abs_rel'] / constant['abs_rel']
    if args.max_ratio is not None and ratio > args.max_ratio:
        print(f'FAILED: abs_rel ratio {ratio:.3f} > {args.max_ratio}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
