"""KITTI preparation (``tools/dataset_converters/kitti.py``) and the split check, on stub trees
made from the real BTS split files (``../shared/splits``, read there, never copied)."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmdepth_dgr.datasets.preparation import (
    KITTI_DEPTH_PREFIX,
    KITTI_IMG_PREFIX,
    check_split,
    link_kitti,
    prefixes_from_config,
)
from mmdepth_dgr.testing.paths import REPO_ROOT, SHARED_SPLITS

SPLITS = SHARED_SPLITS
KITTI_TOOL = REPO_ROOT / 'tools' / 'dataset_converters' / 'kitti.py'
CHECK_TOOL = REPO_ROOT / 'tools' / 'dataset_converters' / 'check_split.py'
KITTI_CONFIG = REPO_ROOT / 'configs' / '_base_' / 'datasets' / 'kitti.py'
NYU_CONFIG = REPO_ROOT / 'configs' / '_base_' / 'datasets' / 'nyu.py'
#: Lines of each real split file the stub trees hold.
NUM_LINES = {'kitti_eigen_test.txt': 30, 'kitti_eigen_train.txt': 10}

def load_tool(path, name):
    """Import a tool script as a module (its ``main(argv)`` returns the exit status)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def split_lines(name):
    """The first ``NUM_LINES[name]`` lines of a real split as (rgb, depth or None) pairs."""
    with open(SPLITS / name) as f:
        lines = [line.split() for line in f.readlines()[:NUM_LINES[name]]]
    return [(fields[0], None if fields[1] == 'None' else fields[1]) for fields in lines]


def touch(path):
    """An empty-but-nonzero file (the datasets reject 0-byte files)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(b'x')


@pytest.fixture
def kitti_downloads(tmp_path):
    """Stub official downloads for the split lines: ``raw/`` (KITTI raw) and ``annotated/``
    (data_depth_annotated, drives alternately under ``train/`` and ``val/``), plus a short
    copy of each split file. Returns ``(raw, annotated, {name: split path})``."""
    raw, annotated = tmp_path / 'kitti_raw', tmp_path / 'annotated'
    drives = {}
    splits = {}
    for name in NUM_LINES:
        split = tmp_path / 'splits' / name
        split.parent.mkdir(exist_ok=True)
        with open(SPLITS / name) as f:
            split.write_text(''.join(f.readlines()[:NUM_LINES[name]]))
        splits[name] = str(split)
        for rgb, depth in split_lines(name):
            touch(raw / rgb)
            if depth is not None:
                drive = depth.split('/')[0]
                bench = drives.setdefault(drive, ('train', 'val')[len(drives) % 2])
                touch(annotated / bench / depth)
    assert set(drives.values()) == {'train', 'val'}  # both benchmark folders are merged
    return str(raw), str(annotated), splits


@pytest.fixture
def kitti_tree(kitti_downloads, tmp_path):
    """``(root, splits)`` of a BTS KITTI tree linked from :func:`kitti_downloads`."""
    raw, annotated, splits = kitti_downloads
    root = str(tmp_path / 'kitti')
    link_kitti(raw, annotated, root, progress=False)
    return root, splits


def test_prefixes_are_the_configs():
    assert prefixes_from_config(str(KITTI_CONFIG), 'kitti_eigen_test.txt') == (
        KITTI_IMG_PREFIX, KITTI_DEPTH_PREFIX)
    assert prefixes_from_config(str(KITTI_CONFIG), 'kitti_eigen_train.txt') == (
        KITTI_IMG_PREFIX, KITTI_DEPTH_PREFIX)
    assert prefixes_from_config(str(NYU_CONFIG), 'nyu_test.txt') == (
        'official_splits/test', 'official_splits/test')
    assert prefixes_from_config(str(NYU_CONFIG), 'nyu_train.txt') == ('sync', 'sync')
    with pytest.raises(ValueError, match='--img-prefix'):
        prefixes_from_config(str(NYU_CONFIG), 'other.txt')


@pytest.mark.parametrize('copy', [False, True])
def test_link_builds_the_bts_layout(kitti_downloads, tmp_path, copy, capsys):
    raw, annotated, splits = kitti_downloads
    root = tmp_path / 'kitti'
    tool = load_tool(KITTI_TOOL, 'kitti_tool')
    argv = ['--raw', raw, '--depth-benchmark', annotated, '--out', str(root),
            '--check', *splits.values()] + (['--copy'] if copy else [])
    assert tool.main(argv) == 0
    out = capsys.readouterr().out
    assert (root / 'raw').is_symlink() and osp.realpath(root / 'raw') == osp.realpath(raw)
    drives = sorted(os.listdir(root / 'gt'))
    bench = sorted(os.listdir(osp.join(annotated, 'train')) + os.listdir(osp.join(annotated,
                                                                               'val')))
    assert drives == bench
    assert all((root / 'gt' / d).is_symlink() != copy for d in drives)
    # every depth path of the splits resolves under gt/, every image under raw/
    for name in NUM_LINES:
        for rgb, depth in split_lines(name):
            assert (root / 'raw' / rgb).is_file()
            if depth is not None:
                assert (root / 'gt' / depth).is_file()
    n_none = sum(d is None for _, d in split_lines('kitti_eigen_test.txt'))
    assert (f'kitti_eigen_test.txt: 30 lines: 30 present, 0 missing image, 0 missing depth, '
            f'{n_none} None (no ground truth)') in out
    assert 'kitti_eigen_train.txt: 10 lines: 10 present, 0 missing image, 0 missing depth, ' \
           '0 None' in out
    # re-running keeps everything in place
    assert tool.main(argv) == 0
    assert f'0 linked, 0 copied, {len(drives)} already in place' in capsys.readouterr().out


def test_check_counts_missing_files(kitti_tree, capsys):
    root, splits = kitti_tree
    lines = split_lines('kitti_eigen_test.txt')
    with_depth = [i for i, (_, d) in enumerate(lines) if d is not None]
    without = [i for i, (_, d) in enumerate(lines) if d is None]
    assert len(without) == 5  # the real file's first 30 lines
    img = lambda i: osp.join(root, 'raw', lines[i][0])  # noqa: E731
    depth = lambda i: osp.join(root, 'gt', lines[i][1])  # noqa: E731
    os.remove(img(with_depth[0]))        # image missing, depth present
    os.remove(img(without[0]))           # image missing, no ground truth
    os.remove(img(with_depth[1]))        # image and depth missing: counted in both
    os.remove(depth(with_depth[1]))
    os.remove(depth(with_depth[2]))      # depth missing
    open(depth(with_depth[3]), 'wb').close()  # depth empty (0 bytes) counts as missing

    result = check_split(splits['kitti_eigen_test.txt'], root, 'raw', 'gt')
    assert (result.lines, result.present, result.missing_image, result.missing_depth,
            result.no_gt) == (30, 30 - 5, 3, 3, 5)
    assert result.missing_image_paths == [img(i) for i in sorted(
        [with_depth[0], without[0], with_depth[1]])]
    assert result.missing_depth_paths == [depth(i) for i in with_depth[1:4]]
    assert not result.ok

    tool = load_tool(KITTI_TOOL, 'kitti_tool')
    assert tool.main(['--out', root, '--check', *splits.values()]) == 1
    out = capsys.readouterr().out
    assert ('kitti_eigen_test.txt: 30 lines: 25 present, 3 missing image, 3 missing depth, '
            '5 None (no ground truth)') in out
    assert ('kitti_eigen_train.txt: 10 lines: 10 present, 0 missing image, 0 missing depth, '
            '0 None (no ground truth)') in out
    assert f'  missing image: {img(with_depth[0])}' in out
    assert f'  missing depth: {depth(with_depth[2])}' in out
    # the generic checker with the config's prefixes says the same
    check = load_tool(CHECK_TOOL, 'check_split_tool')
    assert check.main([root, splits['kitti_eigen_test.txt'], '--dataset', 'kitti']) == 1
    assert '25 present, 3 missing image, 3 missing depth, 5 None' in capsys.readouterr().out


def test_check_missing_depth_only_passes(kitti_tree, capsys):
    root, splits = kitti_tree
    lines = [ln for ln in split_lines('kitti_eigen_test.txt') if ln[1] is not None]
    for _, depth in lines[:7]:
        os.remove(osp.join(root, 'gt', depth))
    tool = load_tool(KITTI_TOOL, 'kitti_tool')
    assert tool.main(['--out', root, '--check', splits['kitti_eigen_test.txt']]) == 0
    out = capsys.readouterr().out
    assert '30 lines: 23 present, 0 missing image, 7 missing depth, 5 None' in out
    assert '... and 2 more missing depth files' in out


def test_cli_exit_status(kitti_tree):
    root, splits = kitti_tree
    os.remove(osp.join(root, 'raw', split_lines('kitti_eigen_train.txt')[0][0]))
    proc = subprocess.run([sys.executable, str(KITTI_TOOL), '--out', root, '--check',
                           splits['kitti_eigen_train.txt']], capture_output=True, text=True,
                          cwd=str(REPO_ROOT))
    assert proc.returncode == 1, proc.stderr
    assert '10 lines: 9 present, 1 missing image, 0 missing depth, 0 None' in proc.stdout


def test_errors_name_the_paths(kitti_downloads, tmp_path, capsys):
    raw, annotated, _ = kitti_downloads
    tool = load_tool(KITTI_TOOL, 'kitti_tool')
    out = str(tmp_path / 'kitti')
    missing = str(tmp_path / 'nowhere')
    assert tool.main(['--raw', missing, '--depth-benchmark', annotated, '--out', out]) == 2
    assert f'KITTI raw folder not found (not a directory): {missing}' in capsys.readouterr().err
    assert tool.main(['--raw', raw, '--depth-benchmark', missing, '--out', out]) == 2
    assert f'depth benchmark folder not found (not a directory): {missing}' in \
        capsys.readouterr().err
    assert tool.main(['--raw', raw, '--depth-benchmark', raw, '--out', out]) == 2
    assert f'{raw} has neither train/ nor val/' in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match='split file not found'):
        check_split(str(tmp_path / 'none.txt'), out)
    with pytest.raises(SystemExit):
        tool.main(['--raw', raw, '--out', out])  # --depth-benchmark missing

    # a drive already in gt/ with other content
    drive = sorted(os.listdir(osp.join(annotated, 'train')))[0]
    touch(osp.join(out, 'gt', drive, 'proj_depth', 'other.png'))
    assert tool.main(['--raw', raw, '--depth-benchmark', annotated, '--out', out]) == 2
    err = capsys.readouterr().err
    assert osp.join(out, 'gt', drive) in err and osp.join(annotated, 'train', drive) in err
    assert 'other content' in err

    # a drive in both train/ and val/
    val_drive = sorted(os.listdir(osp.join(annotated, 'val')))[0]
    os.makedirs(osp.join(annotated, 'train', val_drive))
    with pytest.raises(ValueError, match=f'drive {val_drive} is in both'):
        link_kitti(raw, annotated, str(tmp_path / 'kitti2'), progress=False)


def test_check_works_on_nyu(tmp_path, capsys):
    with open(SPLITS / 'nyu_test.txt') as f:
        lines = [line.split()[:2] for line in f.readlines()[:12]]
    split = tmp_path / 'splits' / 'nyu_test.txt'
    split.parent.mkdir()
    split.write_text(''.join(f'{r} {d} 518.8579\n' for r, d in lines))
    test_dir = tmp_path / 'official_splits' / 'test'
    for rgb, depth in lines:
        touch(test_dir / rgb)
        touch(test_dir / depth)
    os.remove(test_dir / lines[3][1])
    check = load_tool(CHECK_TOOL, 'check_split_tool')
    assert check.main([str(tmp_path), str(split), '--dataset', 'nyu']) == 0
    out = capsys.readouterr().out
    assert '12 lines: 11 present, 0 missing image, 1 missing depth, 0 None' in out
    os.remove(test_dir / lines[5][0])
    assert check.main([str(tmp_path), str(split), '--img-prefix', 'official_splits/test',
                       '--depth-prefix', 'official_splits/test']) == 1
    assert '12 lines: 10 present, 1 missing image, 1 missing depth, 0 None' in \
        capsys.readouterr().out
