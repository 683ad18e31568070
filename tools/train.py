"""Train a depth model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]``."""
import argparse

from mmdepth_dgr.engine import (
    add_runtime_args,
    finish_distributed,
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
                        help='resume from the latest checkpoint in the work dir, or from '
                        'the checkpoint given')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    return add_runtime_args(parser).parse_args()


def main() -> None:
    """Entry point."""
    args = parse_args()
    cfg = train_config(args.config, work_dir=args.work_dir, resume=args.resume, amp=args.amp,
                       cfg_options=args.cfg_options, launcher=args.launcher)
    init_distributed(cfg)
    train(cfg)
    finish_distributed()


if __name__ == '__main__':
    main()
