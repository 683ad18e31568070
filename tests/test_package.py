"""Package-level behaviour: registration, runtime helpers, visualisation, constant baseline."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmdepth_dgr.apis import (
    close_distributed,
    compare_with_constant,
    dist_backend,
    evaluate_constant,
    mean_train_depth,
    prepare_runtime,
)
from mmdepth_dgr.datasets.synthetic import generate_nyu
from mmdepth_dgr.utils import strip_pretrained, sync_bn_to_bn
from mmdepth_dgr.visualization import DepthLocalVisualizer, colorize_depth, depth_panels

REPO = Path(__file__).resolve().parents[1]


def test_import_registers_everything_in_mmseg_registries():
    code = (
        'import mmdepth_dgr\n'
        'from mmseg.registry import DATASETS, METRICS, MODELS, TRANSFORMS, VISUALIZERS\n'
        'names = {DATASETS: ["NYUDepthDataset", "KITTIDepthDataset"],\n'
        '         METRICS: ["DepthEvalMetric"],\n'
        '         MODELS: ["MultiScaleDepthHead", "HuDepthLoss", "ScaleInvariantLoss",\n'
        '                  "DepthMSELoss"],\n'
        '         TRANSFORMS: ["LoadDepthMap", "KBCrop", "DepthRandomRotate", "DepthColorAug",\n'
        '                      "NYUBorderCrop"],\n'
        '         VISUALIZERS: ["DepthLocalVisualizer"]}\n'
        'missing = [n for r, ns in names.items() for n in ns if r.get(n) is None]\n'
        'assert not missing, missing\n'
        'print("registered")\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert 'registered' in proc.stdout


def test_dist_backend_choice(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert dist_backend('auto') == 'gloo' and dist_backend(None) == 'gloo'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert dist_backend('auto') == 'nccl'
    assert dist_backend('gloo') == 'gloo'


def test_prepare_runtime_cpu_ddp_and_work_dir(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='auto'))))
    monkeypatch.setattr('mmdepth_dgr.apis.runner.init_cpu_distributed', lambda *a: None)
    prepare_runtime(cfg, 'configs/x/my_cfg.py', launcher='pytorch')
    assert cfg.work_dir == './work_dirs/my_cfg'
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg['device_ids'] is None


def test_close_distributed_shuts_the_group_down(tmp_path):
    """The tools close the gloo group themselves (a rank aborted at exit otherwise)."""
    close_distributed()  # no group: nothing to do
    torch.distributed.init_process_group('gloo', init_method=f'file://{tmp_path / "store"}',
                                         rank=0, world_size=1)
    try:
        close_distributed()
        assert not torch.distributed.is_initialized()
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


FINISH_SCRIPT = """
import atexit, logging, sys, threading, time
import torch.distributed as dist
from mmdepth_dgr.apis import finish_distributed
out = sys.argv[1]
finish_distributed()  # no group yet: returns
dist.init_process_group('gloo', init_method='file://' + out + '.store', rank=0, world_size=1)
atexit.register(lambda: open(out + '.atexit', 'w').write('ran'))
logger = logging.getLogger('finish')
logger.addHandler(logging.FileHandler(out + '.log'))
logger.warning('logged')
def late():
    time.sleep(0.5)
    open(out + '.thread', 'w').write('joined')
threading.Thread(target=late).start()
print('printed', end='')
finish_distributed(3)
print('not reached')
"""


def test_finish_distributed_ends_the_process_after_the_python_side(tmp_path):
    """A distributed tool leaves through os._exit after atexit, logging, threads, streams."""
    out = str(tmp_path / 'run')
    proc = subprocess.run([sys.executable, '-c', FINISH_SCRIPT, out], capture_output=True,
                          text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == 'printed'
    assert Path(out + '.atexit').read_text() == 'ran'
    assert Path(out + '.log').read_text() == 'logged\n'
    assert Path(out + '.thread').read_text() == 'joined'


def test_config_rewrites():
    cfg = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='x'),
                             norm_cfg=dict(type='SyncBN')),
               head=dict(init_cfg=[dict(type='Normal')], pretrained='url'))
    strip_pretrained(cfg)
    sync_bn_to_bn(cfg)
    assert cfg['backbone']['init_cfg'] is None
    assert cfg['head']['init_cfg'] == [dict(type='Normal')]
    assert cfg['head']['pretrained'] is None
    assert cfg['backbone']['norm_cfg']['type'] == 'BN'


def test_colorize_depth_marks_invalid_and_orders_near_far():
    depth = np.array([[1.0, 5.0, 0.0, np.nan]])
    rgb = colorize_depth(depth, 1.0, 5.0)
    assert rgb.shape == (1, 4, 3) and rgb.dtype == np.uint8
    assert (rgb[0, 2] == 0).all() and (rgb[0, 3] == 0).all()
    assert rgb[0, 0].astype(int).sum() > rgb[0, 1].astype(int).sum()  # near is bright
    with pytest.raises(ValueError, match='unknown colormap'):
        colorize_depth(depth, 0, 1, cmap='jet')


def test_visualizer_writes_four_panels(tmp_path):
    vis = DepthLocalVisualizer(name='test_vis_panels', save_dir=str(tmp_path),
                               vis_backends=[dict(type='LocalVisBackend')])
    sample = SegDataSample()
    sample.pred_depth_map = PixelData(data=torch.full((1, 12, 16), 2.0))
    sample.gt_depth_map = PixelData(data=torch.full((1, 12, 16), 2.5))
    image = np.zeros((12, 16, 3), np.uint8)
    out = tmp_path / 'x.png'
    vis.add_datasample('x', image, sample, out_file=str(out))
    import cv2
    drawn = cv2.imread(str(out))
    assert drawn.shape == (12, 64, 3)
    assert depth_panels(image, np.ones((12, 16))).shape == (12, 32, 3)
    # frames with the same basename in different scenes get different pictures
    for scene in ('office_0001', 'kitchen_0002'):
        sample.set_metainfo(dict(img_path=f'/d/{scene}/rgb_00000.jpg',
                                 rel_img_path=f'{scene}/rgb_00000.jpg'))
        vis.add_datasample('test_rgb_00000.jpg', image, sample)
    names = sorted(p.name for p in tmp_path.rglob('test_*.png'))
    assert names == ['test_kitchen_0002__rgb_00000_0.png', 'test_office_0001__rgb_00000_0.png']


def test_constant_baseline_on_synthetic_data(tmp_path):
    generate_nyu(tmp_path, num_train=4, num_test=2, height=48, width=64, seed=1)
    cfg = Config.fromfile(str(REPO / 'configs' / 'synthetic'
                              / 'segformer-depth_mit-b0_2xb4-1200it_synthetic-nyu.py'))
    for key in ('train_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = str(tmp_path)
    depth = mean_train_depth(cfg)
    assert 0.5 < depth < 10
    metrics = evaluate_constant(cfg, depth)
    assert 0 < metrics['abs_rel'] < 1.5
    better = dict(metrics, abs_rel=metrics['abs_rel'] / 4)
    table = compare_with_constant(better, metrics, depth)
    assert 'abs_rel ratio (model / constant): 0.250' in table


def test_compare_runs_table(tmp_path):
    from mmdepth_dgr.apis.compare_runs import comparison_table, load_metrics, parse_run
    a = tmp_path / 'a.json'
    a.write_text('{"abs_rel": 0.2, "rmse": 0.5, "d1": 0.7, "edge_rmse": 0.9}')
    b = tmp_path / 'b.json'
    b.write_text('{"abs_rel": 0.1, "rmse": 0.6, "d1": 0.8}')
    name, config, path = parse_run(f'+DGR=cfg.py={a}')
    assert (name, config, path) == ('+DGR', 'cfg.py', a)
    table = comparison_table([(name, config, load_metrics(a)), ('base', 'c2.py', load_metrics(b))])
    rows = table.splitlines()
    assert rows[2].startswith('| +DGR | 0.2000 | **0.5000** | 0.7000 | - | **0.9000** |')
    assert rows[3].startswith('| base | **0.1000** | 0.6000 | **0.8000** | - | - |')
    with pytest.raises(ValueError, match='NAME=CONFIG=METRICS_JSON'):
        parse_run('only-a-name')
    with pytest.raises(FileNotFoundError, match='nope.json'):
        load_metrics(tmp_path / 'nope.json')
    proc = subprocess.run([sys.executable, 'tools/analysis/compare_runs.py', f'x=c.py={a}',
                           '--out', str(tmp_path / 't.md')], cwd=REPO, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / 't.md').read_text().startswith('| run | abs_rel')
