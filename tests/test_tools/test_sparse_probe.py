"""The sparse-pixel study end to end, tiny: torchrun (2 gloo processes) + the CLI, Table 1 trend."""
import csv
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmdepth_dgr.testing import (
    REPO_ROOT,
    as_cli_options,
    build_depth_model,
    dataloader_options,
    run_in_repo,
    torchrun_env,
)

PROBE_CONFIG = (REPO_ROOT / 'configs' / 'probe' /
                'sparse-probe_mit-b0-vs-r50_2xb2-120it_synthetic-nyu-96x128.py')
pytestmark = pytest.mark.slow


def _random_checkpoint(config: str, path: Path, seed: int) -> Path:
    """A depth network of ``config`` with random weights, saved as an mmengine checkpoint.

    The depth conv gets larger weights than its init (std 0.01), which predicts an almost
    constant depth, so that the network's output depends on its input like a trained one.
    """
    torch.manual_seed(seed)
    model = build_depth_model(config)
    model.init_weights()
    torch.nn.init.normal_(model.decode_head.conv_depth.weight, std=0.3)
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), path)
    return path


def test_sparse_probe_study_tiny(tmp_path, nyu_train_root):
    """Two lambdas far apart: the produced table must show fewer kept pixels for the larger one."""
    data = nyu_train_root
    pair = Config.fromfile(str(PROBE_CONFIG)).probe_pair
    t_ckpt = _random_checkpoint(pair.transformer.config, tmp_path / 't.pth', 0)
    c_ckpt = _random_checkpoint(pair.cnn.config, tmp_path / 'c.pth', 1)
    iters = 6
    options = as_cli_options(dataloader_options(data))
    options += ['train_dataloader.batch_size=2', f'train_cfg.max_iters={iters}',
                f'train_cfg.val_interval={iters}', f'default_hooks.checkpoint.interval={iters}',
                'default_hooks.logger.interval=1',
                # masks start at 0.5 (not 0.88) so that 6 steps can move them across 0.5
                'model.mask_net.init_bias=0.0']
    work = tmp_path / 'study'
    cmd = ['bash', 'tools/torchrun.sh', '2', 'tools/analysis_tools/sparse_probe.py',
           str(PROBE_CONFIG), '--work-dir', str(work), '--lambda-factors', '0.001', '1000',
           '--num-panels', '1',
           '--transformer-ckpt', str(t_ckpt), '--cnn-ckpt', str(c_ckpt), '--check-trend',
           '--cfg-options', *options]
    proc = run_in_repo(cmd, env=torchrun_env(OMP_NUM_THREADS='1'), check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    assert 'Distributed training: True' in log  # every probe trained with 2 gloo processes
    assert 'probe 4/4' in log
    assert 'sparsity trend: falls with lambda for both networks' in log

    with open(work / 'table1.csv', encoding='utf-8') as f:
        rows = list(csv.DictReader(f))
    assert [r['lambda'] for r in rows] == ['original', 'removed', 'dimmed x0.3', '0.001',
                                           '1000.0']
    # lambda = factor x each network's removal gap, measured once and logged
    gaps = re.search(r'removal gaps \(.*\): SegFormer \(MiT-b0\) ([0-9.]+), ResNet-50 ([0-9.]+)',
                     log)
    assert gaps, log[-3000:]
    gap_t, gap_c = float(gaps.group(1)), float(gaps.group(2))
    assert gap_t > 0 and gap_c > 0
    assert float(rows[4]['lambda_t']) == pytest.approx(1000 * gap_t, rel=1e-3)
    assert float(rows[4]['lambda_c']) == pytest.approx(1000 * gap_c, rel=1e-3)
    assert (work / 'probes' / 'cnn_gapx1000').is_dir()
    assert 'Removal gaps:' in (work / 'table1.md').read_text()
    original, removed, dimmed, low, high = rows
    assert dimmed['sparsity_t'] == '' and float(dimmed['rmse_t']) > 0
    assert float(original['sparsity_t']) == float(original['sparsity_c']) == 1.0
    assert float(removed['sparsity_t']) == float(removed['sparsity_c']) == 0.0
    for net in ('t', 'c'):
        assert float(high[f'sparsity_{net}']) < float(low[f'sparsity_{net}']), rows
        assert float(original[f'rmse_{net}']) > 0
        assert float(removed[f'rmse_{net}']) != float(original[f'rmse_{net}'])
        assert 0 <= float(low[f'soft_mean_{net}']) <= 1
    for row in (low, high):
        assert float(row['rmse_t_mask_c']) > 0 and float(row['rmse_c_mask_t']) > 0
        assert 0 <= float(row['matched_sparsity']) <= 1 and float(row['rmse_t_m']) > 0
    assert '| original |' in (work / 'table1.md').read_text()
    assert (work / 'fig5_rmse_vs_sparsity.png').stat().st_size > 0
    assert (work / 'edge_affinity.png').stat().st_size > 0
    panels = sorted(p.name for p in (work / 'panels').glob('*.png'))
    assert len(panels) == 3, panels  # Fig. 3 for each lambda + Fig. 7, for one test image
    assert sum(p.startswith('fig3_') for p in panels) == 2
    assert sum(p.startswith('fig7_') for p in panels) == 1
