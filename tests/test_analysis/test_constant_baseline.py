"""The constant (mean training depth) predictor as a sanity baseline."""

from mmengine.config import Config

from mmdepth_dgr.analysis import compare_with_constant, evaluate_constant, mean_train_depth
from mmdepth_dgr.synthetic import generate_nyu
from mmdepth_dgr.testing import REPO_ROOT


def test_constant_baseline_on_synthetic_data(tmp_path):
    generate_nyu(tmp_path, num_train=4, num_test=2, height=48, width=64, seed=1)
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'multiscale_depth'
                              / 'multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py'))
    for key in ('train_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = str(tmp_path)
    depth = mean_train_depth(cfg)
    assert 0.5 < depth < 10
    metrics = evaluate_constant(cfg, depth)
    assert 0 < metrics['abs_rel'] < 1.5
    better = dict(metrics, abs_rel=metrics['abs_rel'] / 4)
    table = compare_with_constant(better, metrics, depth)
    assert 'abs_rel ratio (model / constant): 0.250' in table
