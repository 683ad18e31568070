"""tools/test.py on an inference-only split (every KITTI line ``None``) writes the predictions
and ends with a note instead of failing for want of ground truth."""
import sys

import pytest
import torch

from mmdepth_dgr.testing import (
    TOOL_TEST_CONFIGS,
    as_cli_options,
    build_depth_model,
    dataloader_options,
    run_in_repo,
)

CONFIG = TOOL_TEST_CONFIGS['kitti']
pytestmark = pytest.mark.slow


def test_tools_test_on_split_without_ground_truth(tmp_path, kitti_eval_root):
    lines = (kitti_eval_root / 'splits' / 'kitti_eigen_test.txt').read_text().split('\n')
    fields = [line.split() for line in lines if line.strip()]
    assert len(fields) == 2 and all(f[1] != 'None' for f in fields)  # the tree has GT
    split = tmp_path / 'kitti_inference.txt'  # the same frames, as inference-only lines
    split.write_text(''.join(f'{f[0]} None {f[2]}\n' for f in fields))
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': build_depth_model(CONFIG).state_dict()}, ckpt)
    out = tmp_path / 'pred'
    options = dataloader_options(kitti_eval_root, splits=('test',))
    options['test_dataloader.dataset.ann_file'] = str(split)
    proc = run_in_repo([sys.executable, 'tools/test.py', str(CONFIG), str(ckpt),
                        '--work-dir', str(tmp_path / 'work'), '--out', str(out),
                        '--cfg-options', *as_cli_options(options)], check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    names = sorted(p.name for p in out.glob('*.png'))
    assert names == sorted(f[0].replace('/', '__').replace('.png', '') + '.png' for f in fields)
    assert f'no sample has ground truth: wrote 2 predictions to {out}, no metrics.' in log
    assert 'Depth metrics over' not in log
    assert not (out / 'per_image_metrics.csv').exists()
