"""tools/analysis_tools/browse_dataset.py on the synthetic NYU-like train tree whose scenes share
frame names: one picture per sample with distinct names, RGB | GT of the augmented sample,
--max-samples, and clear errors for a bad split or a config without the split's loader."""
import importlib.util
import sys

import cv2
import numpy as np
import pytest

from mmdepth_dgr.analysis.browse import augmented_samples, build_split_dataset, unique_name
from mmdepth_dgr.engine import load_config
from mmdepth_dgr.testing import (
    REPO_ROOT,
    TOOL_TEST_CONFIGS,
    as_cli_options,
    dataloader_options,
)

TOOL = REPO_ROOT / 'tools' / 'analysis_tools' / 'browse_dataset.py'
CONFIG = TOOL_TEST_CONFIGS['nyu']
#: Rows of a picture below the panels' captions (drawn in the top-left corner).
CAPTION_ROWS = 16

pytestmark = pytest.mark.usefixtures('single_thread')


def _run_tool(monkeypatch, *args) -> int:
    """Run the tool's main() in this process with ``args``; its exit status."""
    spec = importlib.util.spec_from_file_location('browse_dataset_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, 'argv', ['browse_dataset.py', *[str(a) for a in args]])
    return module.main()


def test_one_picture_per_sample_rgb_and_gt(monkeypatch, tmp_path, nyu_multiscene_root):
    options = dataloader_options(nyu_multiscene_root)
    out = tmp_path / 'browse'
    assert _run_tool(monkeypatch, CONFIG, '--output-dir', out, '--not-show', '--seed', '0',
                     '--cfg-options', *as_cli_options(options)) == 0
    pictures = sorted(p.name for p in out.iterdir())
    basenames = {line.split()[0].rsplit('/', 1)[1] for line in
                 (nyu_multiscene_root / 'splits' / 'nyu_train.txt').read_text().splitlines()}
    assert len(basenames) < 8  # frame names repeat across scenes in this tree
    assert len(pictures) == len(set(pictures)) == 8
    # the same augmented samples again (same seed), to compare each picture with its sample
    dataset = build_split_dataset(load_config(str(CONFIG), options), 'train')
    used = set()
    for image, sample in augmented_samples(dataset, 'bgr', seed=0):
        name = unique_name(sample.metainfo, used)
        assert name == sample.metainfo['rel_img_path'][:-4].replace('/', '__')
        picture = cv2.imread(str(out / f'{name}.png'))[..., ::-1]  # RGB
        gt = sample.gt_depth_map.data[0].numpy()
        h, w = gt.shape
        assert picture.shape == (h, 2 * w, 3)  # RGB | GT
        rgb = np.clip(np.round(image), 0, 255).astype(np.uint8)
        assert np.array_equal(picture[CAPTION_ROWS:, :w], rgb[CAPTION_ROWS:])
        panel = picture[:, w:]
        valid = gt > 0
        assert valid.any() and (~valid[CAPTION_ROWS:]).any()  # rotation leaves empty corners
        assert (panel[valid].max(axis=1) > 0).all()  # GT > 0: coloured
        body, body_valid = panel[CAPTION_ROWS:], valid[CAPTION_ROWS:]
        assert (body[~body_valid] == 0).all()  # no GT: black (below the caption)


def test_max_samples_limits(monkeypatch, tmp_path, nyu_multiscene_root):
    out = tmp_path / 'browse'
    assert _run_tool(monkeypatch, CONFIG, '--output-dir', out, '--not-show', '--max-samples',
                     3, '--cfg-options',
                     *as_cli_options(dataloader_options(nyu_multiscene_root))) == 0
    assert len(list(out.iterdir())) == 3


def test_bad_split_is_a_clear_error(monkeypatch, capsys, tmp_path):
    assert _run_tool(monkeypatch, CONFIG, '--output-dir', tmp_path, '--not-show', '--split',
                     'validation') == 2
    assert "unknown split 'validation': choose one of train, val, test" in \
        capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_config_without_the_split_loader(monkeypatch, capsys, tmp_path):
    assert _run_tool(monkeypatch, CONFIG, '--output-dir', tmp_path, '--not-show', '--split',
                     'val', '--cfg-options', 'val_dataloader=None') == 2
    assert 'the config has no val_dataloader with a dataset' in capsys.readouterr().err
