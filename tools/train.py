"""Train a depth model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]``.

One training at a time per work dir: the run holds ``<work dir>/.train.lock`` until it ends
(a second run into the same work dir is refused; the lock of a killed run is taken over).
"""
import argparse
import sys

from mmdepth_dgr.engine import (
    WorkDirLockedError,
    add_runtime_args,
    finish_distributed,
    hold_work_dir,
    init_distributed,
    train,
    train_config,
)


def parse_args() -> argparse.Namespace:
    """Command line, the same as mmsegmentation's tools/train.py."""
    parser = argparse.ArgumentParser(description='Train a depth estimator')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--resume', nargs='?', const='auto', default=None,
                        help='resume from the newest complete checkpoint in the work dir '
                        '(truncated ones are skipped with a warning), or from the checkpoint '
                        'given')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    return add_runtime_args(parser).parse_args()


def main() -> None:
    """Entry point."""
    args = parse_args()
    cfg = train_config(args.config, work_dir=args.work_dir, resume=args.resume, amp=args.amp,
                       cfg_options=args.cfg_options, launcher=args.launcher)
    init_distributed(cfg)
    try:
        with hold_work_dir(cfg.work_dir):
            train(cfg)
    except WorkDirLockedError as err:  # every rank gets it: leave cleanly with status 1
        print(f'tools/train.py: {err}', file=sys.stderr)
        finish_distributed(1)
        raise SystemExit(1) from None
    finish_distributed()


if __name__ == '__main__':
    main()
