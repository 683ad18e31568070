"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--show-dir DIR]``.

The checkpoint is loaded weights-only and strictly: one whose keys or shapes differ from the
model's ends the run (exit status 1) with the differences; ``--non-strict`` loads the matching
entries only and evaluates anyway.
"""
import argparse

from mmdepth_dgr.engine import (
    add_runtime_args,
    dump_metrics,
    enable_tta,
    finish_distributed,
    init_distributed,
    test,
    test_config,
)
from mmdepth_dgr.engine.checkpoint import CheckpointMismatchError
from mmdepth_dgr.utils.checkpoint import UnsafeCheckpointError


def parse_args() -> argparse.Namespace:
    """Command line, the same as mmsegmentation's tools/test.py."""
    parser = argparse.ArgumentParser(description='Test (and evaluate) a depth estimator')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='dir for 16-bit PNG predictions and per-image metrics CSV')
    parser.add_argument('--metrics-out', help='also write the metrics to this JSON file')
    parser.add_argument('--show', action='store_true', help='show prediction pictures')
    parser.add_argument('--show-dir', help='dir to save RGB | GT | prediction | error pictures')
    parser.add_argument('--vis-interval', type=int, default=None,
                        help='draw every N-th test image (default: the hook interval)')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument('--non-strict', action='store_true',
                        help='evaluate a checkpoint whose keys or shapes differ from the model '
                        '(only the matching entries are loaded)')
    parser.add_argument('--tta', action='store_true',
                        help="test-time augmentation: the config's tta_pipeline and tta_model "
                        '(flip averaging of the dataset bases)')
    return add_runtime_args(parser).parse_args()


def main() -> None:
    """Entry point."""
    args = parse_args()
    cfg = test_config(args.config, args.checkpoint, work_dir=args.work_dir,
                      show_dir=args.show_dir, show=args.show, wait_time=args.wait_time,
                      out=args.out, cfg_options=args.cfg_options, launcher=args.launcher,
                      vis_interval=args.vis_interval)
    if args.tta:
        enable_tta(cfg)
    init_distributed(cfg)
    try:
        metrics = test(cfg, strict=not args.non_strict)
    except CheckpointMismatchError as err:
        raise SystemExit(f'error: {err}\npass --non-strict to evaluate it anyway') from None
    except UnsafeCheckpointError as err:
        raise SystemExit(f'error: {err}') from None
    if args.metrics_out:
        dump_metrics(metrics, args.metrics_out)
    finish_distributed()


if __name__ == '__main__':
    main()
