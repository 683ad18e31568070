"""Own RGB-D data end to end: tools/train.py and tools/test.py with the CustomDepthDataset config
on a folder pair (rgb/ + depth/, matched by name) made from the generated NYU-like frames, and a
bad tree stopped by the tool with the files named."""
import csv
import json
import shutil
import sys
from pathlib import Path

import cv2
import pytest

from mmdepth_dgr.testing import REPO_ROOT, run_in_repo, tool_train_options

CONFIG = (REPO_ROOT / 'configs' / 'multiscale_depth'
          / 'multiscale-depth_mit-b0_1xb8-20k_custom-416x544.py')
#: The config's ImageNet weights cannot be downloaded here (and need not be, for a smoke run).
OFFLINE = ['model.backbone.init_cfg=None']
pytestmark = pytest.mark.slow


def folder_pairs(bts_root: Path, out: Path) -> Path:
    """The frames of a generated NYU-like tree as ``{train,val}/{rgb,depth}/<scene>/<i>.jpg|png``
    (the config's default folder layout), train from ``sync``, val from the test split."""
    for split, prefix, ann in (('train', 'sync', 'nyu_train.txt'),
                               ('val', 'official_splits/test', 'nyu_test.txt')):
        for line in (bts_root / 'splits' / ann).read_text().splitlines():
            rgb, depth = (p.lstrip('/') for p in line.split()[:2])
            scene, name = rgb.split('/')
            index = name[len('rgb_'):-len('.jpg')]
            for kind, rel, ext in (('rgb', rgb, '.jpg'), ('depth', depth, '.png')):
                dst = out / split / kind / scene / f'{index}{ext}'
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(bts_root / prefix / rel, dst)
    return out


@pytest.fixture(scope='module')
def custom_root(nyu_train_root, tmp_path_factory) -> Path:
    """8 training and 4 validation pairs of 48x64 frames."""
    return folder_pairs(nyu_train_root, tmp_path_factory.mktemp('custom') / 'data')


def test_train_then_test_on_a_folder_pair(tmp_path, custom_root):
    assert len(list((custom_root / 'train' / 'rgb').rglob('*.jpg'))) == 8
    assert len(list((custom_root / 'val' / 'depth').rglob('*.png'))) == 4
    work = tmp_path / 'work'
    proc = run_in_repo([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work,
                        *tool_train_options(custom_root, 2), *OFFLINE])
    log = proc.stdout + proc.stderr
    assert 'Iter(train) [2/2]' in log
    assert 'Depth metrics over 4 images (crop=None, depth in (0.001, 10.0) m)' in log
    assert (work / 'iter_2.pth').exists()

    out = tmp_path / 'test'
    run_in_repo([sys.executable, 'tools/test.py', CONFIG, work / 'iter_2.pth',
                 '--work-dir', out, '--out', out / 'pred', '--metrics-out', out / 'metrics.json',
                 *tool_train_options(custom_root, 2), *OFFLINE])
    metrics = json.loads((out / 'metrics.json').read_text())
    assert {'abs_rel', 'rmse', 'd1', 'silog'} <= set(metrics)
    assert 0 < metrics['abs_rel'] < float('inf') and 0 <= metrics['d1'] <= 1
    with open(out / 'pred' / 'per_image_metrics.csv') as f:
        names = sorted(row['name'] for row in csv.DictReader(f))
    expected = sorted(f'{p.parent.name}__{p.stem}'
                      for p in (custom_root / 'val' / 'rgb').rglob('*.jpg'))
    assert names == expected
    assert sorted(p.stem for p in (out / 'pred').glob('*.png')) == expected


def test_train_stops_on_a_size_mismatch_naming_both_files(tmp_path, custom_root):
    root = tmp_path / 'data'  # the same tree, one depth map cut to 40 of its 48 rows
    shutil.copytree(custom_root, root)
    depth = next((root / 'train' / 'depth').rglob('*.png'))
    image = root / 'train' / 'rgb' / depth.parent.name / f'{depth.stem}.jpg'
    cv2.imwrite(str(depth), cv2.imread(str(depth), cv2.IMREAD_UNCHANGED)[:40])
    proc = run_in_repo([sys.executable, 'tools/train.py', CONFIG, '--work-dir', tmp_path / 'w',
                        *tool_train_options(root, 2), *OFFLINE], check=False)
    assert proc.returncode != 0
    err = proc.stdout + proc.stderr
    assert 'depth map of size (40, 64) does not match its image of size (48, 64)' in err
    assert f'image {image}, depth {depth}' in err
    assert not (tmp_path / 'w' / 'iter_2.pth').exists()


def _browse(monkeypatch, capsys, *args):
    """tools/analysis_tools/browse_dataset.py's main() in this process: (status, out, err)."""
    import importlib.util
    tool = REPO_ROOT / 'tools' / 'analysis_tools' / 'browse_dataset.py'
    spec = importlib.util.spec_from_file_location('browse_dataset_tool', tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, 'argv', ['browse_dataset.py', *[str(a) for a in args]])
    status = module.main()
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_browse_dataset_output_of_the_readme(tmp_path, custom_root, monkeypatch, capsys):
    """README step 3: browse_dataset.py on the README's my_rgbd.py writes the pictures, and
    names the unmatched image when a depth map is missing."""
    import re
    readme = (REPO_ROOT / 'README.md').read_text()
    block = next(b for b in re.findall(r'```python\n(.*?)```', readme, re.S)
                 if b.startswith('# work_dirs/my_rgbd.py'))
    config = tmp_path / 'my_rgbd.py'
    config.write_text(block)
    root = tmp_path / 'data'
    shutil.copytree(custom_root, root)
    out = tmp_path / 'browse'
    args = [config, '--output-dir', out, '--not-show', '--max-samples', '4', '--seed', '0',
            '--cfg-options', f'train_dataloader.dataset.data_root={root}']
    status, stdout, _ = _browse(monkeypatch, capsys, *args)
    assert status == 0
    assert stdout.splitlines()[-1] == f'4 pictures written to {out}'
    assert len(list(out.rglob('*.png'))) == 4
    depth = sorted((root / 'train' / 'depth').rglob('*.png'))[0]
    depth.unlink()
    rel = f'{depth.parent.name}/{depth.stem}.jpg'
    status, _, stderr = _browse(monkeypatch, capsys, *args)
    assert status == 2
    assert stderr.strip() == (
        f'browse_dataset.py: CustomDepthDataset: unmatched files: 1 image(s) in '
        f'{root}/train/rgb have no depth map of the same name in {root}/train/depth: {rel} '
        '(files pair by their path below the folder without extension, e.g. room1/0001.jpg '
        '<-> room1/0001.png)')
