"""Training curves from mmengine's scalar logs (``tools/analysis_tools/analyze_logs.py``).

mmengine's ``LocalVisBackend`` writes ``<work_dir>/<timestamp>/vis_data/scalars.json`` (and the
same lines to ``<timestamp>.json`` next to it): one JSON object per line,

* a training line every ``default_hooks.logger.interval`` iterations:
  ``{"base_lr": ..., "lr": ..., "data_time": ..., "loss": ..., "decode.loss_hu": ...,
  "time": ..., "iter": 10, "step": 10}``;
* a validation line after each validation: ``{"d1": ..., "abs_rel": ..., "rmse": ...,
  "data_time": ..., "time": ..., "step": 10}`` (the metric keys of the evaluator, no
  ``"iter"``), ``step`` being the training iteration it was run at.

:func:`load_scalars` turns such a file into per-key ``(step, value)`` series; in validation
lines, ``time`` and ``data_time`` become ``val/time`` and ``val/data_time`` so that they do not
mix with the training timings. :func:`plot_curves` draws one panel per key with every log
overlaid.
"""
import json
import math
import os
import os.path as osp
from collections import defaultdict
from glob import escape, glob
from typing import Dict, List, Optional, Sequence, Tuple, Union

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

PathLike = Union[str, os.PathLike]
Series = List[Tuple[int, float]]
Scalars = Dict[str, Series]

#: Counters of a line, not plotted (``step`` is the x axis).
META_KEYS = ('step', 'iter', 'epoch')
#: Keys of training lines that validation lines also carry (timings of the validation loop).
VAL_TIMING_KEYS = ('time', 'data_time')
#: Prefix of :data:`VAL_TIMING_KEYS` in validation lines.
VAL_PREFIX = 'val/'
#: Curves with at most this many points get markers (validation metrics are sparse).
MARKER_MAX_POINTS = 50


def find_scalars_file(path: PathLike) -> str:
    """The scalar log of a run: ``path`` itself, or the newest one of a work dir.

    Args:
        path (str | PathLike): A ``scalars.json`` (or ``<timestamp>.json``) file, or a work dir
            holding ``<timestamp>/vis_data/scalars.json`` (the latest timestamp is taken).

    Returns:
        str: The log file.

    Raises:
        FileNotFoundError: ``path`` does not exist, or a directory without a scalar log.
    """
    path = os.fspath(path)
    if osp.isfile(path):
        return path
    if osp.isdir(path):
        found = sorted(glob(osp.join(escape(path), '*', 'vis_data', 'scalars.json')))
        if found:
            return found[-1]
        raise FileNotFoundError(f'no <timestamp>/vis_data/scalars.json under {path}')
    raise FileNotFoundError(f'log file not found: {path}')


def parse_scalar_line(line: str, where: str) -> Optional[dict]:
    """One line of a scalar log as a dict; None for a blank line.

    Args:
        line (str): The line.
        where (str): ``<file>:<line number>`` for the error messages.

    Returns:
        dict | None: The record.

    Raises:
        ValueError: The line is not a JSON object with an integer ``step``.
    """
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f'{where}: not a JSON line ({err.msg}); is this a corrupt or '
                         'truncated scalars.json?') from None
    if not isinstance(record, dict) or not isinstance(record.get('step'), int):
        raise ValueError(f'{where}: expected a JSON object with an integer "step" (an mmengine '
                         f'scalars.json line), got {line.strip()[:80]!r}')
    return record


def record_scalars(record: dict) -> Dict[str, float]:
    """The plottable values of one record: numbers other than :data:`META_KEYS`, keyed as in
    :func:`load_scalars` (``val/`` prefix for the timings of validation lines).

    Args:
        record (dict): A parsed line.

    Returns:
        dict[str, float]: Key -> value.
    """
    is_val = 'iter' not in record and 'epoch' not in record
    values = {}
    for key, value in record.items():
        if key in META_KEYS or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if is_val and key in VAL_TIMING_KEYS:
            key = VAL_PREFIX + key
        values[key] = float(value)
    return values


def load_scalars(path: PathLike) -> Scalars:
    """Read an mmengine scalar log into per-key series.

    Args:
        path (str | PathLike): ``scalars.json`` / ``<timestamp>.json``, or a work dir
            (:func:`find_scalars_file`).

    Returns:
        dict[str, list[tuple[int, float]]]: Key -> ``(step, value)`` in file order.

    Raises:
        FileNotFoundError: No such file (named in the message).
        ValueError: The file is empty or holds a line that is not a scalar record (the file
            and the line number are named).
    """
    name = find_scalars_file(path)
    series: Dict[str, Series] = defaultdict(list)
    with open(name, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            record = parse_scalar_line(line, f'{name}:{number}')
            if record is None:
                continue
            for key, value in record_scalars(record).items():
                series[key].append((record['step'], value))
    if not series:
        raise ValueError(f'{name}: empty log (no scalar lines); did the run log any '
                         'iteration?')
    return dict(series)


def log_label(path: PathLike) -> str:
    """A short name of a log for legends: ``<work dir>/<timestamp>`` for
    ``<work dir>/<timestamp>/vis_data/*.json``, the file stem otherwise.

    Args:
        path (str | PathLike): The log file.

    Returns:
        str: The label.
    """
    path = osp.abspath(os.fspath(path))
    vis_data = osp.dirname(path)
    if osp.basename(vis_data) == 'vis_data':
        run = osp.dirname(vis_data)
        return f'{osp.basename(osp.dirname(run))}/{osp.basename(run)}'
    return osp.splitext(osp.basename(path))[0]


def check_keys(logs: Sequence[Scalars], keys: Sequence[str], names: Sequence[str]) -> None:
    """Make sure every log has every key.

    Args:
        logs (Sequence[dict]): Loaded logs (:func:`load_scalars`).
        keys (Sequence[str]): Keys to plot.
        names (Sequence[str]): Log names for the message (paths).

    Raises:
        ValueError: A key a log lacks, naming the key, the log and its available keys.
    """
    if not keys:
        raise ValueError('no key to plot: give at least one of --keys')
    for log, name in zip(logs, names, strict=True):
        for key in keys:
            if key not in log:
                raise ValueError(f'key {key!r} is not in {name}; available keys: '
                                 f'{", ".join(sorted(log))}')


def curve_labels(names: Sequence[str], keys: Sequence[str],
                 legend: Optional[Sequence[str]] = None) -> List[str]:
    """One legend entry per (log, key), logs first as in mmseg's analyze_logs.

    Args:
        names (Sequence[str]): Log labels (:func:`log_label`).
        keys (Sequence[str]): Plotted keys.
        legend (Sequence[str], optional): Given entries, ``len(names) * len(keys)`` of them in
            the order ``log 1 key 1, log 1 key 2, ..., log 2 key 1, ...``.

    Returns:
        list[str]: The entries (``<log>_<key>`` by default).

    Raises:
        ValueError: ``legend`` has the wrong length.
    """
    if legend is None:
        return [f'{name}_{key}' for name in names for key in keys]
    expected = len(names) * len(keys)
    if len(legend) != expected:
        raise ValueError(f'--legend needs one entry per log and key: {len(names)} log(s) x '
                         f'{len(keys)} key(s) = {expected}, got {len(legend)}')
    return list(legend)


def plot_curves(logs: Sequence[Scalars], keys: Sequence[str],
                names: Optional[Sequence[str]] = None, legend: Optional[Sequence[str]] = None,
                title: Optional[str] = None, out: Optional[PathLike] = None) -> Figure:
    """Plot ``keys`` against the step, one panel per key, every log overlaid.

    Drawn off-screen (Agg; no display needed). Non-finite values (a NaN loss) are left out.

    Args:
        logs (Sequence[dict]): Loaded logs (:func:`load_scalars`).
        keys (Sequence[str]): Keys to plot, e.g. ``['loss', 'abs_rel']``.
        names (Sequence[str], optional): A name per log for the default legend and the
            messages. Defaults to ``log0, log1, ...``.
        legend (Sequence[str], optional): Legend entries (:func:`curve_labels`).
        title (str, optional): Figure title.
        out (str | PathLike, optional): Save the figure here as PNG (folder created).

    Returns:
        Figure: The matplotlib figure.

    Raises:
        ValueError: A missing key (:func:`check_keys`) or a legend of the wrong length.
    """
    names = list(names) if names is not None else [f'log{i}' for i in range(len(logs))]
    check_keys(logs, keys, names)
    labels = curve_labels(names, keys, legend)
    fig = Figure(figsize=(8.0, 3.0 * len(keys)), dpi=100, layout='constrained')
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(keys), 1, sharex=True, squeeze=False)[:, 0]
    for j, (ax, key) in enumerate(zip(axes, keys, strict=True)):
        for i, log in enumerate(logs):
            points = [(s, v) for s, v in log[key] if math.isfinite(v)]
            steps = [s for s, _ in points]
            values = [v for _, v in points]
            marker = 'o' if len(points) <= MARKER_MAX_POINTS else None
            ax.plot(steps, values, label=labels[i * len(keys) + j], marker=marker,
                    linewidth=1.0, markersize=3)
        ax.set_ylabel(key)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize='small')
    axes[-1].set_xlabel('iteration (step)')
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    if out is not None:
        out = os.fspath(out)
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        fig.savefig(out, format='png')
    return fig
