"""Compare evaluated runs in one Markdown table.

python tools/analysis_tools/compare_runs.py NAME=CONFIG=METRICS_JSON [...] [--out table.md]
"""
import argparse
from pathlib import Path

from mmdepth_dgr.analysis.compare_runs import comparison_table, load_metrics, parse_run


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('runs', nargs='+', help='NAME=CONFIG=METRICS_JSON per run')
    parser.add_argument('--out', help='also write the table to this Markdown file')
    args = parser.parse_args()
    runs = []
    for spec in args.runs:
        name, config, path = parse_run(spec)
        runs.append((name, config, load_metrics(path)))
    table = comparison_table(runs)
    print(table)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(table)


if __name__ == '__main__':
    main()
