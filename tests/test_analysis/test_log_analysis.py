"""log_analysis: parsing mmengine's scalars.json (the lines of a tiny training run, written by
hand here) and plotting the curves."""
import json

import cv2
import numpy as np
import pytest
from matplotlib.figure import Figure

from mmdepth_dgr.analysis.log_analysis import (
    check_keys,
    curve_labels,
    find_scalars_file,
    load_scalars,
    log_label,
    plot_curves,
)

#: Lines as mmengine 0.10 writes them for 4 iterations, validation every 2 (shortened keys).
RECORDS = [
    {'base_lr': 6e-05, 'lr': 6e-05, 'data_time': 0.004, 'loss': 0.728, 'decode.loss_hu': 0.728,
     'time': 0.67, 'iter': 1, 'step': 1},
    {'base_lr': 7.1e-05, 'lr': 7.1e-05, 'data_time': 0.005, 'loss': 0.626,
     'decode.loss_hu': 0.626, 'time': 0.38, 'iter': 2, 'step': 2},
    {'d1': 0.378, 'abs_rel': 0.872, 'rmse': 2.052, 'data_time': 0.0012, 'time': 0.0154,
     'step': 2},
    {'base_lr': 8.2e-05, 'lr': 8.2e-05, 'data_time': 0.0054, 'loss': 0.634,
     'decode.loss_hu': 0.634, 'time': 0.28, 'iter': 3, 'step': 3},
    {'base_lr': 9.3e-05, 'lr': 9.3e-05, 'data_time': 0.0053, 'loss': 0.567,
     'decode.loss_hu': 0.567, 'time': 0.22, 'iter': 4, 'step': 4},
    {'d1': 0.382, 'abs_rel': 0.898, 'rmse': 2.105, 'data_time': 0.0014, 'time': 0.0158,
     'step': 4},
]


def _write_log(root, records=RECORDS, timestamp='20240101_000000'):
    path = root / timestamp / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))
    return path


def test_load_scalars_equals_the_json(tmp_path):
    scalars = load_scalars(_write_log(tmp_path))
    assert scalars['loss'] == [(1, 0.728), (2, 0.626), (3, 0.634), (4, 0.567)]
    assert scalars['lr'] == [(r['step'], r['lr']) for r in RECORDS if 'lr' in r]
    assert scalars['abs_rel'] == [(2, 0.872), (4, 0.898)]
    assert scalars['d1'] == [(2, 0.378), (4, 0.382)]
    # validation timings are kept apart from the training ones
    assert scalars['time'] == [(1, 0.67), (2, 0.38), (3, 0.28), (4, 0.22)]
    assert scalars['val/time'] == [(2, 0.0154), (4, 0.0158)]
    assert 'step' not in scalars and 'iter' not in scalars


def test_work_dir_resolves_to_its_newest_run(tmp_path):
    _write_log(tmp_path, RECORDS[:2], '20240101_000000')
    newest = _write_log(tmp_path, RECORDS, '20240102_000000')
    assert find_scalars_file(tmp_path) == str(newest)
    assert load_scalars(tmp_path)['abs_rel'] == [(2, 0.872), (4, 0.898)]
    assert log_label(newest) == f'{tmp_path.name}/20240102_000000'
    assert log_label(tmp_path / 'my_run.json') == 'my_run'
    with pytest.raises(FileNotFoundError, match='no <timestamp>/vis_data/scalars.json under'):
        find_scalars_file(tmp_path / '20240101_000000')


def test_bad_logs_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='log file not found: .*missing.json'):
        load_scalars(tmp_path / 'missing.json')
    empty = tmp_path / 'empty.json'
    empty.write_text('\n')
    with pytest.raises(ValueError, match='empty.json: empty log'):
        load_scalars(empty)
    corrupt = tmp_path / 'corrupt.json'
    corrupt.write_text(json.dumps(RECORDS[0]) + '\n{"loss": 0.5, "st')  # killed mid-line
    with pytest.raises(ValueError, match='corrupt.json:2: not a JSON line'):
        load_scalars(corrupt)
    other = tmp_path / 'other.json'
    other.write_text('[1, 2, 3]\n')
    with pytest.raises(ValueError, match='other.json:1: expected a JSON object with an integer'):
        load_scalars(other)


def test_missing_key_lists_the_available_ones(tmp_path):
    scalars = load_scalars(_write_log(tmp_path))
    with pytest.raises(ValueError, match=r"key 'abs_rell' is not in run\.json; available keys: "
                                         r'abs_rel, base_lr, d1, data_time, decode\.loss_hu, '
                                         r'loss, lr, rmse, time, val/data_time, val/time'):
        check_keys([scalars], ['loss', 'abs_rell'], ['run.json'])
    with pytest.raises(ValueError, match='no key to plot'):
        check_keys([scalars], [], ['run.json'])


def test_legend_entries_are_log_major():
    assert curve_labels(['a', 'b'], ['loss', 'd1']) == ['a_loss', 'a_d1', 'b_loss', 'b_d1']
    assert curve_labels(['a'], ['loss'], ['mine']) == ['mine']
    with pytest.raises(ValueError, match=r'2 log\(s\) x 2 key\(s\) = 4, got 3'):
        curve_labels(['a', 'b'], ['loss', 'd1'], ['x', 'y', 'z'])


def test_plot_curves_overlays_logs_and_saves_a_png(tmp_path):
    first = load_scalars(_write_log(tmp_path / 'a'))
    nan_loss = [dict(r, loss=float('nan')) if r.get('iter') == 3 else r for r in RECORDS]
    second = load_scalars(_write_log(tmp_path / 'b', nan_loss))
    out = tmp_path / 'plots' / 'curves.png'
    fig = plot_curves([first, second], ['loss', 'abs_rel'], names=['a', 'b'], title='tiny',
                      out=out)
    assert isinstance(fig, Figure)
    loss_ax, metric_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ['a_loss', 'b_loss']
    np.testing.assert_array_equal(loss_ax.get_lines()[0].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(loss_ax.get_lines()[0].get_ydata(), [0.728, 0.626, 0.634,
                                                                        0.567])
    np.testing.assert_array_equal(loss_ax.get_lines()[1].get_xdata(), [1, 2, 4])  # NaN left out
    np.testing.assert_array_equal(metric_ax.get_lines()[1].get_ydata(), [0.872, 0.898])
    assert metric_ax.get_ylabel() == 'abs_rel' and fig.get_suptitle() == 'tiny'
    image = cv2.imread(str(out))
    assert image is not None and image.shape == (600, 800, 3)  # 8 x 3 in per key at 100 dpi
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 10  # something is drawn
