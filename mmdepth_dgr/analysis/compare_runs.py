"""Side-by-side Markdown table of several evaluated runs (``tools/test.py --metrics-out``)."""
import json
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

#: Columns of the comparison table: (metric key, header, lower is better).
COLUMNS: Tuple[Tuple[str, str, bool], ...] = (
    ('abs_rel', 'abs_rel', True),
    ('rmse', 'rmse (m)', True),
    ('d1', 'd1', False),
    ('edge_abs_rel', 'edge abs_rel', True),
    ('edge_rmse', 'edge rmse (m)', True),
)


def parse_run(spec: str) -> Tuple[str, str, Path]:
    """Split a ``NAME=CONFIG=METRICS_JSON`` command-line run description.

    Args:
        spec (str): The description; NAME may not contain ``=``.

    Returns:
        tuple[str, str, Path]: Name, config path and metrics file.

    Raises:
        ValueError: The description does not have three parts.
    """
    parts = spec.split('=')
    if len(parts) != 3 or not all(parts):
        raise ValueError(f'run {spec!r} must be NAME=CONFIG=METRICS_JSON')
    return parts[0], parts[1], Path(parts[2])


def load_metrics(path: Path) -> Dict[str, float]:
    """Read a metrics JSON written by ``tools/test.py --metrics-out``.

    Raises:
        FileNotFoundError: The file does not exist (named in the message).
    """
    if not path.is_file():
        raise FileNotFoundError(f'metrics file not found: {path}')
    return json.loads(path.read_text())


def comparison_table(runs: Sequence[Tuple[str, str, Dict[str, float]]]) -> str:
    """Markdown table of the runs, one row each, the best value of a column in bold.

    Args:
        runs: ``(name, config, metrics)`` per run; a metric a run lacks shows ``-``.

    Returns:
        str: The table, with a header row.
    """
    header = ['run', *[c[1] for c in COLUMNS], 'config']
    lines: List[str] = ['| ' + ' | '.join(header) + ' |',
                        '|' + '---|' * len(header)]
    best = {}
    for key, _, lower in COLUMNS:
        values = [m[key] for _, _, m in runs if key in m]
        if values:
            best[key] = min(values) if lower else max(values)
    for name, config, metrics in runs:
        cells = [name]
        for key, _, _ in COLUMNS:
            if key not in metrics:
                cells.append('-')
                continue
            text = f'{metrics[key]:.4f}'
            cells.append(f'**{text}**' if metrics[key] == best[key] and len(runs) > 1 else text)
        cells.append(f'`{config}`')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
