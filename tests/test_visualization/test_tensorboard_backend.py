"""TensorBoard: the switch documented in configs/_base_/default_runtime.py reaches the visualizer,
a training run writes loss / metric scalars to an event file, and DepthLocalVisualizer pictures
reach TensorBoard (read back with tensorboard's EventAccumulator)."""
import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import DictAction
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mmdepth_dgr.engine import load_config
from mmdepth_dgr.testing import REPO_ROOT, TOOL_TEST_CONFIGS, run_in_repo, tool_train_options
from mmdepth_dgr.visualization import DepthLocalVisualizer

CONFIG = TOOL_TEST_CONFIGS['nyu']
#: The command-line switch documented in configs/_base_/default_runtime.py.
TB_OPTION = 'visualizer.vis_backends.0.type=TensorboardVisBackend'
LOCAL, TENSORBOARD = dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')


def _cli_options(*options: str) -> dict:
    """``--cfg-options`` as the tools parse them (mmengine's DictAction)."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


def _events(root: Path) -> EventAccumulator:
    """The single TensorBoard event file under ``root``, loaded in full."""
    files = sorted(root.rglob('events.out.tfevents.*'))
    assert len(files) == 1, f'expected one event file under {root}, found {files}'
    events = EventAccumulator(str(files[0]), size_guidance={'scalars': 0, 'images': 0})
    events.Reload()
    return events


def test_runtime_documents_the_tested_switch():
    text = (REPO_ROOT / 'configs' / '_base_' / 'default_runtime.py').read_text()
    assert f'--cfg-options {TB_OPTION}' in text
    assert "dict(type='WandbVisBackend', init_kwargs=" in text


def test_which_overrides_reach_the_visualizer(tmp_path):
    default = load_config(str(CONFIG))
    assert default.visualizer.vis_backends == [LOCAL]
    # the documented command-line switch: the one backend becomes TensorBoard
    cfg = load_config(str(CONFIG), _cli_options(TB_OPTION))
    assert cfg.visualizer.vis_backends == [TENSORBOARD]
    # a list of dicts on the command line arrives as strings: not a usable backend list
    as_list = _cli_options("visualizer.vis_backends=[dict(type='LocalVisBackend'),"
                           "dict(type='TensorboardVisBackend')]")
    assert as_list['visualizer.vis_backends'] == ["dict(type='LocalVisBackend')",
                                                  "dict(type='TensorboardVisBackend')"]
    # the top-level variable was copied into `visualizer` when the base was read
    cfg = load_config(str(CONFIG), {'vis_backends': [LOCAL, TENSORBOARD]})
    assert cfg.visualizer.vis_backends == [LOCAL]
    # both backends: a config override of visualizer's list, or the list from Python
    child = tmp_path / 'with_tensorboard.py'
    child.write_text(f"_base_ = ['{CONFIG}']\nvisualizer = dict(vis_backends=["
                     "dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])\n")
    cfg = load_config(str(child))
    assert cfg.visualizer.vis_backends == [LOCAL, TENSORBOARD]
    assert cfg.visualizer.type == 'DepthLocalVisualizer'  # the rest of the base is kept
    cfg = load_config(str(CONFIG), {'visualizer.vis_backends': [LOCAL, TENSORBOARD]})
    assert cfg.visualizer.vis_backends == [LOCAL, TENSORBOARD]


@pytest.mark.slow
def test_training_writes_tensorboard_scalars(tmp_path, nyu_train_root):
    work = tmp_path / 'work'
    run_in_repo([sys.executable, 'tools/train.py', str(CONFIG), '--work-dir', str(work),
                 *tool_train_options(nyu_train_root, 4), 'train_cfg.val_interval=2', TB_OPTION])
    events = _events(work)
    assert events.Scalars('loss')[0].value > 0
    assert [e.step for e in events.Scalars('loss')] == [1, 2, 3, 4]  # logger interval 1
    assert [e.step for e in events.Scalars('abs_rel')] == [2, 4]  # validation every 2
    assert {'lr', 'rmse', 'd1'} <= set(events.Tags()['scalars'])
    assert not list(work.rglob('scalars.json'))  # the switch replaces the local backend


def test_visualizer_picture_reaches_tensorboard(tmp_path):
    vis = DepthLocalVisualizer(name=f'tensorboard_{tmp_path.name}', save_dir=str(tmp_path),
                               vis_backends=[TENSORBOARD])
    sample = SegDataSample()
    depth = torch.linspace(1.0, 5.0, 12 * 16).reshape(1, 12, 16)
    sample.pred_depth_map = PixelData(data=depth)
    sample.gt_depth_map = PixelData(data=depth * 1.1)
    image = np.random.RandomState(0).randint(0, 256, (12, 16, 3)).astype(np.uint8)
    vis.add_datasample('val_frame', image, sample, step=3)
    drawn = vis.get_image()
    vis.close()  # flushes the event file
    events = _events(tmp_path)
    assert events.Tags()['images'] == ['val_frame']
    (record, ) = events.Images('val_frame')
    assert record.step == 3 and (record.height, record.width) == drawn.shape[:2]
    assert drawn.shape[0] == 12 and drawn.shape[1] >= 3 * 16  # RGB | GT | prediction | ...
    picture = cv2.imdecode(np.frombuffer(record.encoded_image_string, np.uint8),
                           cv2.IMREAD_COLOR)[..., ::-1]
    np.testing.assert_array_equal(picture, drawn)  # PNG in TensorBoard: lossless
