"""Latency and images/s of inference_model, and its overhead over the bare network forward.

python tools/analysis_tools/benchmark.py CONFIG [CHECKPOINT] [--shape H W] [--device cpu]
    [--repeat 20] [--warmup 3] [--batch-size 1] [--threads T] [--seed 0] [--out result.json]
    [--cfg-options ...]

On a seeded random HxWx3 uint8 image, times inference_model (the whole API call) and
model.predict on the same already-preprocessed batch (the network alone), interleaved, after
the warm-up rounds; prints median, IQR, min, max and images/s in wall and process CPU time,
and the overhead ratio of inference_model over the forward (judged on CPU time on a CPU, on
wall time on CUDA). Without CHECKPOINT the weights are random (a note is logged). See
mmdepth_dgr/analysis/inference_benchmark.py.
"""
import argparse
import json
import sys

from mmengine.config import DictAction
from mmengine.logging import MMLogger

from mmdepth_dgr.analysis.inference_benchmark import (
    benchmark_inference,
    format_inference_benchmark,
)


def parse_args() -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file (default: random weights)')
    parser.add_argument('--shape', type=int, nargs=2, default=[480, 640], metavar=('H', 'W'),
                        help='input image size')
    parser.add_argument('--device', default='cpu', help='cpu, cuda or cuda:N')
    parser.add_argument('--repeat', type=int, default=20, help='timed rounds')
    parser.add_argument('--warmup', type=int, default=3, help='untimed rounds first')
    parser.add_argument('--batch-size', type=int, default=1, help='images per call')
    parser.add_argument('--threads', type=int, help='torch threads (default: unchanged)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the image and weights')
    parser.add_argument('--out', help='write the numbers (JSON) here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    return parser.parse_args()


def main() -> int:
    """Entry point; returns the exit status."""
    args = parse_args()
    MMLogger.get_instance('mmdepth_dgr', log_level='INFO')
    try:
        result = benchmark_inference(args.config, args.checkpoint, shape=tuple(args.shape),
                                     device=args.device, repeat=args.repeat,
                                     warmup=args.warmup, batch_size=args.batch_size,
                                     threads=args.threads, cfg_options=args.cfg_options,
                                     seed=args.seed)
    except (ValueError, FileNotFoundError) as err:
        print(f'benchmark.py: {err}', file=sys.stderr)
        return 2
    print(format_inference_benchmark(result))
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
