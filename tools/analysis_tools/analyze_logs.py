"""Plot training curves of mmengine scalar logs (several runs overlaid), as mmseg's analyze_logs.

python tools/analysis_tools/analyze_logs.py WORK_DIR/TIMESTAMP/vis_data/scalars.json [...] \
    --keys loss abs_rel [--legend A_loss A_abs_rel ...] [--title T] --out curves.png

A work dir may be given instead of a file (its newest run's scalars.json is read).
"""
import argparse

from mmdepth_dgr.analysis.log_analysis import (
    check_keys,
    load_scalars,
    log_label,
    plot_curves,
)


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('json_logs', nargs='+',
                        help='scalars.json files (<work_dir>/<timestamp>/vis_data/) or work dirs')
    parser.add_argument('--keys', nargs='+', default=['loss'],
                        help='keys to plot, e.g. loss lr abs_rel rmse d1 (default: loss)')
    parser.add_argument('--legend', nargs='+',
                        help='one entry per log and key, log-major (default: <run>_<key>)')
    parser.add_argument('--title', help='figure title')
    parser.add_argument('--out', required=True, help='output PNG file')
    return parser


def main() -> None:
    """Entry point."""
    parser = build_parser()
    args = parser.parse_args()
    try:
        logs = [load_scalars(path) for path in args.json_logs]
        check_keys(logs, args.keys, args.json_logs)
        plot_curves(logs, args.keys, names=[log_label(p) for p in args.json_logs],
                    legend=args.legend, title=args.title, out=args.out)
    except (OSError, ValueError) as err:
        parser.error(str(err))
    print(f'saved curves of {", ".join(args.keys)} to {args.out}')


if __name__ == '__main__':
    main()
