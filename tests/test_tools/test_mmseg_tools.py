"""mmsegmentation 1.2.2's own tools and APIs on this project's configs, unchanged.

Only ``custom_imports`` (in the configs) does the work: the tools are the ones shipped inside
the installed mmseg package (``mmseg/.mim/tools``), run from a folder outside the checkout,
on a plain synthetic config and on a DGR + Eq. 21 (MSE + OTDL) config.
"""
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import cv2
import mmseg
import numpy as np
import pytest
import torch

from mmdepth_dgr.testing import (
    DGR_OTDL_SYNTHETIC_CONFIG,
    REAL_SAMPLES,
    TOOL_TEST_CONFIGS,
    run_in_repo,
    tool_train_options,
    torchrun_env,
)

MMSEG_TOOLS = Path(mmseg.__file__).parent / '.mim' / 'tools'
CONFIGS = {'synthetic': TOOL_TEST_CONFIGS['nyu'], 'dgr-otdl': DGR_OTDL_SYNTHETIC_CONFIG}
PHOTO = sorted((REAL_SAMPLES / 'wild').glob('*.jpg'))[0]
pytestmark = pytest.mark.slow


def _mmseg_tool(tool: str, *args, cwd: Path, **env) -> str:
    """Run mmseg's ``tools/<tool>`` in ``cwd``; the log (fails on a non-zero exit)."""
    proc = run_in_repo([sys.executable, MMSEG_TOOLS / tool, *args], cwd=cwd, env=env)
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module', params=sorted(CONFIGS))
def trained(request, tmp_path_factory, nyu_train_root) -> SimpleNamespace:
    """mmseg's train.py for 2 iterations, then ``--resume`` to 3, outside the checkout."""
    config = CONFIGS[request.param]
    tmp = tmp_path_factory.mktemp(f'mmseg_tools_{request.param}')
    work = tmp / 'work'
    first = _mmseg_tool('train.py', config, '--work-dir', work,
                        *tool_train_options(nyu_train_root, 2), cwd=tmp)
    assert (work / 'iter_2.pth').exists()
    resumed = _mmseg_tool('train.py', config, '--work-dir', work, '--resume',
                          *tool_train_options(nyu_train_root, 3), cwd=tmp)
    return SimpleNamespace(name=request.param, config=config, tmp=tmp, work=work,
                           checkpoint=work / 'iter_3.pth', logs=(first, resumed))


def test_train_and_resume(trained):
    first, resumed = trained.logs
    assert 'Iter(train) [2/2]' in first
    assert 'resumed epoch: 0, iter: 2' in resumed
    assert 'Iter(train) [3/3]' in resumed and 'Iter(train) [1/3]' not in resumed
    assert trained.checkpoint.exists()
    assert 'abs_rel' in resumed  # validation at the end of training


def test_test_out_writes_16bit_depth_pngs(trained, nyu_train_root):
    out, vis = trained.tmp / 'out', trained.tmp / 'vis'
    log = _mmseg_tool('test.py', trained.config, trained.checkpoint, '--out', out,
                      '--show-dir', vis, '--work-dir', trained.tmp / 'test_work',
                      *tool_train_options(nyu_train_root, 3),
                      'default_hooks.visualization.interval=1', cwd=trained.tmp)
    assert 'abs_rel' in log
    pngs = sorted(out.rglob('*.png'))
    assert len(pngs) == 4  # the tree's 4 test frames
    for png in pngs:
        depth = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
        assert depth.dtype == np.uint16 and depth.shape == (48, 64)
        # millimetres of a prediction inside the head's (1e-3, 10] m range
        assert depth.min() > 0 and depth.max() <= 10_000
    assert len(list(vis.rglob('*.png'))) == 4


def test_browse_dataset_writes_pictures(trained, nyu_train_root):
    out = trained.tmp / 'browse'
    _mmseg_tool('analysis_tools/browse_dataset.py', trained.config, '--output-dir', out,
                '--not-show', *tool_train_options(nyu_train_root, 3), cwd=trained.tmp)
    pictures = sorted(out.glob('*'))
    # mmseg's tool names each picture after the image's basename, so frames of different
    # scenes with the same file name overwrite each other: one picture per distinct basename
    lines = (nyu_train_root / 'splits' / 'nyu_train.txt').read_text().split('\n')
    basenames = {Path(line.split()[0]).name for line in lines if line.strip()}
    assert [p.name for p in pictures] == sorted(basenames)
    picture = cv2.imread(str(pictures[0]))
    assert picture is not None and picture.shape[1] >= 2 * picture.shape[0]  # image | depth


def test_inference_apis_on_a_photograph(trained):
    """mmseg's init_model / inference_model / MMSegInferencer / show_result_pyplot."""
    from mmseg.apis import MMSegInferencer, inference_model, init_model, show_result_pyplot

    height, width = cv2.imread(str(PHOTO)).shape[:2]
    model = init_model(str(trained.config), str(trained.checkpoint), device='cpu')
    result = inference_model(model, str(PHOTO))
    depth = result.pred_depth_map.data
    assert depth.shape == (1, height, width) and torch.isfinite(depth).all()
    assert (depth > 0).all()

    drawn = show_result_pyplot(model, str(PHOTO), result, show=False,
                               out_file=str(trained.tmp / 'pyplot.png'))
    # mmseg's own SegLocalVisualizer: the image above the colour-mapped depth
    assert drawn.shape == (2 * height, width, 3) and (trained.tmp / 'pyplot.png').exists()

    inferencer = MMSegInferencer(model=str(trained.config), weights=str(trained.checkpoint),
                                 device='cpu')
    outputs = inferencer(str(PHOTO), return_vis=True)
    assert outputs['predictions'].shape == (height, width)
    np.testing.assert_allclose(outputs['predictions'], depth[0].numpy(), rtol=1e-5, atol=1e-6)
    # the config's DepthLocalVisualizer: RGB | prediction
    assert outputs['visualization'].shape == (height, 2 * width, 3)


def test_dist_train_sh_with_two_gloo_processes(tmp_path, nyu_train_root):
    """mmseg's dist_train.sh (torch.distributed.launch, --launcher pytorch), 2 CPU processes.

    The script calls ``python``: this interpreter's folder goes first on ``PATH``.
    """
    config = CONFIGS['synthetic']
    work = tmp_path / 'work'
    proc = run_in_repo(['bash', MMSEG_TOOLS / 'dist_train.sh', config, '2', '--work-dir', work,
                        *tool_train_options(nyu_train_root, 2),
                        'env_cfg.dist_cfg.backend=gloo'],
                       cwd=tmp_path, env=dict(torchrun_env(), PATH=os.pathsep.join(
                           [str(Path(sys.executable).parent), os.environ['PATH']])))
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log
    assert (work / 'iter_2.pth').exists()
    assert 'abs_rel' in log


def test_an_inheriting_config_outside_the_checkout(trained, tmp_path):
    """``_base_ = ['mmdepth_dgr::<config>']`` from another folder, through mmseg's APIs.

    mmengine 0.10.7 resolves ``mmdepth_dgr::`` once the package is imported (it is, here: mmseg's
    own tools do not import it before reading the config).
    """
    from mmseg.apis import inference_model, init_model

    relative = trained.config.relative_to(trained.config.parents[1]).as_posix()
    child = tmp_path / 'my_depth_model.py'
    child.write_text(f"_base_ = ['mmdepth_dgr::{relative}']\n"
                     'model = dict(decode_head=dict(max_depth=8.0))\n')
    model = init_model(str(child), str(trained.checkpoint), device='cpu')
    assert model.decode_head.max_depth == 8.0
    depth = inference_model(model, str(PHOTO)).pred_depth_map.data
    assert depth.shape[1:] == cv2.imread(str(PHOTO)).shape[:2]
    assert float(depth.max()) <= 8.0 + 1e-5  # the child's cap reaches the head
