"""Cost of DGR: params and FLOPs on Swin-L, train-step time on Swin-T, with and without DGR.

python tools/analysis_tools/benchmark_dgr.py [--shape 416 544] [--repeats 5] [--warmup 2]
    [--device cpu] [--time-metric auto|cpu|wall] [--threads N] [--rank R] [--reduction K]
    [--count-instructions [--count-shape H W] [--count-reps K] [--count-runs 2]
     [--count-jobs J]] [--out table.md] [--json result.json]

Prints a Markdown table with PASS/FAIL per goal (params +<=3 %, FLOPs +<=5 %,
train step +<=10 %); the step overhead is the median of the per-round paired
ratios with a 95 % interval, and with --count-instructions also the exact ratio
of callgrind instruction counts (valgrind needed). Exits with 1 when a decisive
goal of the neck placement fails (the time goal when its interval resolves 1 %,
else the instruction goal).
"""
import argparse
import json
import sys

from mmdepth_dgr.analysis import benchmark_dgr, format_benchmark
from mmdepth_dgr.analysis.benchmark_dgr import SWIN_L_CONFIG, SWIN_T_CONFIG


def parse_args() -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--complexity-config', default=SWIN_L_CONFIG,
                        help='model for params/FLOPs')
    parser.add_argument('--timing-config', default=SWIN_T_CONFIG, help='model for step time')
    parser.add_argument('--shape', type=int, nargs=2, default=[416, 544], metavar=('H', 'W'))
    parser.add_argument('--repeats', type=int, default=5, help='timed train steps per variant')
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps per variant')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--rank', type=int, help='DGRNeck rank (default: DGRNeck default)')
    parser.add_argument('--reduction', type=int, help='DGRNeck reduction (default: its default)')
    parser.add_argument('--time-metric', default='auto', choices=['auto', 'cpu', 'wall'],
                        help='step time judged: process CPU time or wall clock (auto: cpu on '
                        'a CPU device, wall on CUDA)')
    parser.add_argument('--threads', type=int,
                        help='torch threads during the timing; default 1 on CPU (process CPU '
                        'time then measures the work, without OpenMP spin-waits on a shared '
                        'machine), unchanged on CUDA')
    parser.add_argument('--placements', nargs='+', default=['neck', 'backbone'],
                        choices=['neck', 'backbone'])
    parser.add_argument('--count-instructions', action='store_true',
                        help='also count the train step of each variant under valgrind '
                        '--tool=callgrind (exact, load-independent)')
    parser.add_argument('--count-shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='input of the counts (default --shape; callgrind runs ~50x '
                        'slower than native)')
    parser.add_argument('--count-reps', type=int, default=1,
                        help='k: per-step count = (total of 2k steps - total of k) / k')
    parser.add_argument('--count-runs', type=int, default=1,
                        help='runs of each counting child (2 shows that the totals repeat)')
    parser.add_argument('--count-jobs', type=int, default=1,
                        help='counting children at the same time')
    parser.add_argument('--out', help='write the Markdown table here')
    parser.add_argument('--json', help='write the raw result (JSON) here')
    return parser.parse_args()


def main() -> int:
    """Entry point; returns the exit status."""
    args = parse_args()
    import mmdepth_dgr  # noqa: F401  (registers the project's modules)
    threads = args.threads
    if threads is None and args.device == 'cpu':
        threads = 1
    dgr = {k: v for k, v in (('rank', args.rank), ('reduction', args.reduction))
           if v is not None}
    result = benchmark_dgr(args.complexity_config, args.timing_config, shape=args.shape,
                           repeats=args.repeats, warmup=args.warmup, device=args.device,
                           dgr=dgr, placements=args.placements, time_metric=args.time_metric,
                           threads=threads, count_instructions=args.count_instructions,
                           count_shape=args.count_shape, count_reps=args.count_reps,
                           count_runs=args.count_runs, count_jobs=args.count_jobs)
    table = format_benchmark(result)
    print(table)
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            f.write(table + '\n')
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(result, f, indent=2)
    failed = [g['name'] for g in result['goals']
              if g['placement'] == 'neck' and g['decisive'] and not g['passed']]
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
