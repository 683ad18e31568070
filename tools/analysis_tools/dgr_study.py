"""The controlled DGR / OTDL study: every variant, several seeds, paired statistics.

Trains and tests baseline, +DGR (neck), +DGR (backbone), MSE (the control of OTDL), +OTDL and
+DGR +OTDL on the generated indoor data (the configs' data root, e.g. data/synthetic_nyu made
by tools/scripts/run_dgr_study.sh), with the same schedule and the same seeds, then writes
table.md, summary.csv, comparisons.csv and differences.png into the work dir::

    python tools/analysis_tools/dgr_study.py [--seeds 0 1 2] [--iters 600] [--work-dir DIR]
        [--variants NAME ...] [--nproc 2] [--no-reuse] [--retest] [--report-only]

Finished runs are reused (checkpoints and per-image CSVs in their folders) unless --no-reuse.
"""
import argparse
import os
from pathlib import Path

from mmdepth_dgr.analysis.dgr_study import VARIANTS, execute, plan_runs
from mmdepth_dgr.analysis.dgr_study.report import write_report


def parse_args() -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/dgr_study', help='output folder')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='seeds of every variant (at least 2; default 0 1 2)')
    parser.add_argument('--iters', type=int, default=600,
                        help='training iterations of every run (default 600)')
    parser.add_argument('--variants', nargs='+', choices=[v for v, _ in VARIANTS],
                        metavar='NAME', help='a subset of the variants (the baseline is '
                        f'always run); default all: {", ".join(v for v, _ in VARIANTS)}')
    parser.add_argument('--nproc', type=int, default=2,
                        help='training processes per run (default 2, the configs\' 2xb4)')
    parser.add_argument('--port', type=int, default=int(os.environ.get('PORT', 29531)),
                        help="torchrun's master port (default $PORT, else 29531)")
    parser.add_argument('--no-reuse', action='store_true',
                        help='train and test again even where a run folder has results')
    parser.add_argument('--retest', action='store_true',
                        help='test every run again (e.g. after a metric changed)')
    parser.add_argument('--report-only', action='store_true',
                        help='only write the tables and the plot from finished runs')
    parser.add_argument('--n-boot', type=int, default=10000, help='bootstrap resamples')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='more --cfg-options for every training and test run')
    return parser.parse_args()


def main() -> None:
    """Entry point."""
    args = parse_args()
    work_dir = Path(args.work_dir)
    runs = plan_runs(work_dir, args.seeds, args.variants)
    if not args.report_only:
        execute(runs, args.iters, nproc=args.nproc, port=args.port, reuse=not args.no_reuse,
                retest=args.retest, extra_options=args.cfg_options,
                log=lambda line: print(line, flush=True))
    print(write_report(runs, work_dir, n_boot=args.n_boot))
    print(f'written: {work_dir}/table.md, summary.csv, comparisons.csv, differences.png')


if __name__ == '__main__':
    main()
