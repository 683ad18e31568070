"""The inference benchmark library: the summary on known numbers, the overhead, the interleaved
rounds, the prediction-shape check and a tiny run of the synthetic MiT-b0 model on the CPU."""
import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import save_checkpoint, weights_to_cpu
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmdepth_dgr.analysis import inference_benchmark as ib
from mmdepth_dgr.apis import init_model
from mmdepth_dgr.testing import REPO_ROOT, build_depth_model

#: The README's main job: the synthetic MiT-b0 NYU config (BN, no pretrained weights).
CONFIG = str(REPO_ROOT / 'configs' / 'multiscale_depth'
             / 'multiscale-depth_mit-b0_2xb4-2k_synthetic-nyu-96x128.py')
SUMMARY_KEYS = {'n', 'median', 'q1', 'q3', 'iqr', 'min', 'max', 'mean', 'images_per_s'}

pytestmark = pytest.mark.usefixtures('single_thread')


def _pred(shape) -> SegDataSample:
    sample = SegDataSample()
    sample.pred_depth_map = PixelData(data=torch.ones(shape))
    return sample


def test_summarise_odd_count_known_numbers():
    s = ib.summarise([5.0, 1.0, 3.0, 2.0, 4.0])
    assert set(s) == SUMMARY_KEYS
    assert s['n'] == 5
    assert s['median'] == 3.0 and s['q1'] == 2.0 and s['q3'] == 4.0 and s['iqr'] == 2.0
    assert s['min'] == 1.0 and s['max'] == 5.0 and s['mean'] == 3.0
    assert s['images_per_s'] == pytest.approx(1 / 3)


def test_summarise_even_count_matches_numpy_percentiles_and_batch():
    times = [0.1, 0.4, 0.2, 0.3]
    s = ib.summarise(times, batch_size=4)
    q1, med, q3 = np.percentile(times, [25, 50, 75])
    assert s['median'] == pytest.approx(med) == pytest.approx(0.25)
    assert s['q1'] == pytest.approx(q1) and s['q3'] == pytest.approx(q3)
    assert s['iqr'] == pytest.approx(q3 - q1) == pytest.approx(0.15)
    assert s['images_per_s'] == pytest.approx(4 / 0.25)


def test_summarise_single_value_and_errors():
    s = ib.summarise([0.5])
    assert s['median'] == s['min'] == s['max'] == s['q1'] == s['q3'] == 0.5
    assert s['iqr'] == 0.0 and s['images_per_s'] == 2.0
    with pytest.raises(ValueError, match='no timings'):
        ib.summarise([])
    with pytest.raises(ValueError, match='finite and >= 0'):
        ib.summarise([0.1, -0.1])
    with pytest.raises(ValueError, match='finite and >= 0'):
        ib.summarise([0.1, float('nan')])
    with pytest.raises(ValueError, match='batch_size'):
        ib.summarise([0.1], batch_size=0)


def test_overhead_known_numbers():
    times = {'inference_model': {'wall': [2.0, 4.0, 6.0], 'cpu': [1.1, 1.1, 1.1]},
             'forward': {'wall': [1.0, 2.0, 2.0], 'cpu': [1.0, 1.0, 1.0]}}
    wall = ib.overhead(times, 'wall')
    assert wall['ratio'] == pytest.approx(2.0) and wall['percent'] == pytest.approx(100.0)
    assert wall['paired_ratio'] == pytest.approx(2.0)  # median of 2, 2, 3
    cpu = ib.overhead(times, 'cpu')
    assert cpu['ratio'] == pytest.approx(1.1) and cpu['percent'] == pytest.approx(10.0)


def test_random_image_is_seeded_uint8():
    a = ib.random_image(5, 7, seed=1)
    assert a.shape == (5, 7, 3) and a.dtype == np.uint8
    assert np.array_equal(a, ib.random_image(5, 7, seed=1))
    assert not np.array_equal(a, ib.random_image(5, 7, seed=2))
    with pytest.raises(ValueError, match='>= 1'):
        ib.random_image(0, 7)


def test_check_prediction_shapes():
    ib.check_prediction_shapes([_pred((1, 4, 6)), _pred((1, 4, 6))], (4, 6), 'forward')
    with pytest.raises(RuntimeError, match=r'forward: prediction 1 has shape \(1, 4, 5\)'):
        ib.check_prediction_shapes([_pred((1, 4, 6)), _pred((1, 4, 5))], (4, 6), 'forward')


def test_time_rounds_rotates_and_drops_warmup():
    calls = []
    fns = {'a': lambda: calls.append('a'), 'b': lambda: calls.append('b')}
    times = ib.time_rounds(fns, repeat=3, warmup=1, progress=False)
    assert calls == ['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']
    assert set(times) == {'a', 'b'}
    for name in 'ab':
        assert set(times[name]) == {'wall', 'cpu'}
        assert len(times[name]['wall']) == len(times[name]['cpu']) == 3
        assert all(t >= 0 for t in times[name]['wall'])
    with pytest.raises(ValueError, match='repeat >= 1'):
        ib.time_rounds(fns, repeat=0, warmup=0)


def test_benchmark_inference_tiny_random_weights():
    before = torch.get_num_threads()
    result = ib.benchmark_inference(CONFIG, shape=(40, 56), repeat=2, warmup=1, batch_size=2,
                                    threads=before + 1, progress=False)
    assert torch.get_num_threads() == before  # restored
    assert result['random_weights'] is True and result['checkpoint'] is None
    assert result['shape'] == [40, 56] and result['output_shape'] == [1, 40, 56]
    assert result['threads'] == before + 1 and result['judged_metric'] == 'cpu'
    for name in ib.TIMED_PATHS:
        for metric in ib.TIME_METRICS:
            s = result[name][metric]
            assert set(s) == SUMMARY_KEYS and s['n'] == 2
            assert s['median'] > 0 and s['min'] <= s['median'] <= s['max']
            assert s['images_per_s'] == pytest.approx(2 / s['median'])
            assert len(result['times'][name][metric]) == 2
    for metric in ib.TIME_METRICS:
        assert result['overhead'][metric]['ratio'] > 0
    table = ib.format_inference_benchmark(result)
    assert '| inference_model | cpu (judged) |' in table and '| forward | wall |' in table
    assert 'overhead of inference_model over forward, cpu (judged): ratio' in table


def test_benchmark_paths_predict_the_same_depth():
    """The bare forward runs the very batch inference_model builds (same prediction)."""
    with pytest.warns(UserWarning, match='no checkpoint'):
        model = init_model(CONFIG, None, device='cpu')
    images = [ib.random_image(40, 56, seed=3)]
    fns = ib.timed_paths(model, images)
    api, forward = fns['inference_model'](), fns['forward']()
    assert api[0].pred_depth_map.data.shape == (1, 40, 56)
    torch.testing.assert_close(api[0].pred_depth_map.data, forward[0].pred_depth_map.data)


def test_benchmark_inference_checks_the_output_shape(monkeypatch):
    monkeypatch.setattr(ib, 'inference_model', lambda model, imgs: [_pred((1, 8, 8))] * len(imgs))
    with pytest.raises(RuntimeError, match=r'inference_model: prediction 0 has shape'):
        ib.benchmark_inference(CONFIG, shape=(40, 56), repeat=1, warmup=0, progress=False)


def test_benchmark_inference_with_checkpoint(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / 'random.pth'
    save_checkpoint(dict(state_dict=weights_to_cpu(build_depth_model(CONFIG).state_dict())),
                    str(path))
    result = ib.benchmark_inference(CONFIG, str(path), shape=(32, 32), repeat=1, warmup=0,
                                    progress=False)
    assert result['random_weights'] is False and result['checkpoint'] == str(path)
    assert result['forward']['cpu']['median'] > 0
    with pytest.raises(FileNotFoundError, match='checkpoint file not found'):
        ib.benchmark_inference(CONFIG, str(tmp_path / 'missing.pth'), shape=(32, 32),
                               repeat=1, warmup=0, progress=False)


@pytest.mark.parametrize('kwargs, match', [
    (dict(shape=(0, 32)), 'shape'),
    (dict(batch_size=0), 'batch_size'),
    (dict(repeat=0), 'repeat'),
    (dict(warmup=-1), 'warmup'),
    (dict(threads=0), 'threads'),
    (dict(device='cuda:0'), 'CUDA is not available'),
])
def test_benchmark_inference_argument_errors(monkeypatch, kwargs, match):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(ValueError, match=match):
        ib.benchmark_inference(CONFIG, **{'shape': (32, 32), **kwargs})
