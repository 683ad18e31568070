"""tools/test.py loads its checkpoint once, weights-only and strictly (or with --non-strict)."""
import sys
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
from mmengine.runner import Runner

import mmdepth_dgr.engine.runner as engine_runner  # test/test_config (not collected)
from mmdepth_dgr.engine.checkpoint import (
    CheckpointMismatchError,
    checkpoint_mismatch,
    format_mismatch,
    load_test_checkpoint,
)
from mmdepth_dgr.testing import (
    REPO_ROOT,
    as_cli_options,
    build_depth_model,
    dataloader_options,
    run_in_repo,
)
from mmdepth_dgr.testing.checkpoints import PAYLOAD_GLOBAL, save_malicious_checkpoint
from mmdepth_dgr.utils.checkpoint import UnsafeCheckpointError

CONFIGS = REPO_ROOT / 'configs' / 'multiscale_depth'
MIT_B0 = CONFIGS / 'multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py'
R50 = CONFIGS / 'multiscale-depth_r50_2xb4-1200it_synthetic-nyu-96x128.py'


# ------------------------------------------------------------------ pure comparison
def test_checkpoint_mismatch_lists_each_kind_in_order():
    model = OrderedDict([('a.weight', torch.zeros(2, 3)), ('b.weight', torch.zeros(4)),
                         ('c.bias', torch.zeros(1)), ('d.weight', torch.zeros(5, 5))])
    ckpt = OrderedDict([('z.extra', torch.zeros(1)), ('a.weight', torch.zeros(3, 2)),
                        ('d.weight', torch.zeros(5, 5)), ('y.extra', torch.zeros(2))])
    assert checkpoint_mismatch(model, ckpt) == dict(
        missing=['b.weight', 'c.bias'], unexpected=['z.extra', 'y.extra'],
        shape_mismatch=[('a.weight', (3, 2), (2, 3))])


def test_checkpoint_mismatch_fits_and_ignores_bn_counters():
    model = {'bn.weight': torch.zeros(3), 'bn.num_batches_tracked': torch.tensor(0)}
    assert checkpoint_mismatch(model, dict(model)) == dict(missing=[], unexpected=[],
                                                            shape_mismatch=[])
    assert checkpoint_mismatch(model, {'bn.weight': torch.ones(3)})['missing'] == []
    assert checkpoint_mismatch(model, {'bn.weight': torch.ones(3)},
                               ignore_missing=())['missing'] == ['bn.num_batches_tracked']
    # an entry that only ends like the counter is not ignored; shapeless values match by key
    assert checkpoint_mismatch({'x_num_batches_tracked': 1, 'y': 2}, {'y': 'any'}) == dict(
        missing=['x_num_batches_tracked'], unexpected=[], shape_mismatch=[])


def test_format_mismatch_gives_counts_and_the_first_names():
    mismatch = dict(missing=[f'm{i}' for i in range(7)], unexpected=['u0'],
                    shape_mismatch=[('s', (1, 2), (2, 1))])
    text = format_mismatch(mismatch, limit=3)
    assert text.splitlines() == [
        '  missing keys (in the model, not in the checkpoint): 7, e.g. m0, m1, m2, ...',
        '  unexpected keys (in the checkpoint, not in the model): 1, e.g. u0',
        '  shape mismatches (checkpoint vs model): 1, e.g. s [1, 2] vs [2, 1]']
    assert format_mismatch(dict(missing=[], unexpected=[], shape_mismatch=[])) == ''


# ------------------------------------------------------------------ loader on a tiny model
def _tiny(width: int = 4) -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, width, 1), nn.BatchNorm2d(width), nn.Conv2d(width, 1, 1))


def test_load_test_checkpoint_strict_refuses_and_loads_nothing(tmp_path):
    other = nn.Sequential(nn.Conv2d(3, 8, 1), nn.BatchNorm2d(8))  # other widths, no 2nd conv
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': other.state_dict(), 'meta': {}}, path)
    model = _tiny()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointMismatchError) as info:
        load_test_checkpoint(model, str(path))
    assert info.value.mismatch['missing'] == ['2.weight', '2.bias']
    assert [k for k, _, _ in info.value.mismatch['shape_mismatch']] == [
        '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var']
    assert str(info.value).startswith(f'{path} does not match the model (strict loading):\n')
    assert '  missing keys (in the model, not in the checkpoint): 2, e.g. 2.weight, 2.bias' \
        in str(info.value)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_load_test_checkpoint_fits_through_prefix_and_non_strict_loads_matching(tmp_path):
    source = _tiny()
    nn.init.constant_(source[2].weight, 3.0)
    path = tmp_path / 'ddp.pth'
    torch.save({'state_dict': {f'module.{k}': v for k, v in source.state_dict().items()}}, path)
    model = _tiny()
    assert load_test_checkpoint(model, str(path))['missing'] == []
    assert torch.equal(model[2].weight, source[2].weight)

    partial = tmp_path / 'partial.pth'
    torch.save({k: v for k, v in source.state_dict().items() if not k.startswith('0.')}
               | {'extra': torch.zeros(1)}, partial)  # a bare state dict
    model = _tiny()
    conv0 = model[0].weight.clone()
    mismatch = load_test_checkpoint(model, str(partial), strict=False)
    assert mismatch['missing'] == ['0.weight', '0.bias'] and mismatch['unexpected'] == ['extra']
    assert torch.equal(model[2].weight, source[2].weight)
    assert torch.equal(model[0].weight, conv0)


def test_load_test_checkpoint_is_weights_only(tmp_path):
    path, marker = tmp_path / 'evil.pth', tmp_path / 'MARKER'
    save_malicious_checkpoint(path, marker)
    with pytest.raises(UnsafeCheckpointError, match=f'refused to unpickle {PAYLOAD_GLOBAL}'):
        load_test_checkpoint(_tiny(), str(path), strict=False)
    assert not marker.exists()


# ------------------------------------------------------------------ the engine's test()
def test_engine_test_loads_the_checkpoint_once_through_the_strict_path(tmp_path, monkeypatch,
                                                                       nyu_train_root):
    ckpt = tmp_path / 'own.pth'
    torch.save({'state_dict': build_depth_model(MIT_B0).state_dict()}, ckpt)
    calls = []

    def spy(model, path, strict=True):
        calls.append((path, strict))
        return load_test_checkpoint(model, path, strict)

    def fail(*args, **kwargs):
        raise AssertionError('mmengine loaded the checkpoint itself')

    monkeypatch.setattr(engine_runner, 'load_test_checkpoint', spy)
    monkeypatch.setattr(Runner, 'load_checkpoint', fail)
    monkeypatch.setattr(Runner, 'resume', fail)
    cfg = engine_runner.test_config(
        str(MIT_B0), str(ckpt), work_dir=str(tmp_path / 'work'),
        cfg_options=dataloader_options(nyu_train_root, splits=('test', )))
    metrics = engine_runner.test(cfg)
    assert calls == [(str(ckpt), True)]
    assert 'abs_rel' in metrics
    assert cfg.load_from == str(ckpt)  # the caller's config is left as it was


# ------------------------------------------------------------------ tools/test.py
@pytest.mark.slow
def test_tools_test_refuses_another_models_checkpoint(tmp_path, nyu_train_root):
    """A MiT-B0 checkpoint given to the ResNet-50 config: listed differences, exit 1;
    ``--non-strict`` evaluates (today's behaviour) and exits 0."""
    model_state = build_depth_model(R50).state_dict()
    ckpt_state = build_depth_model(MIT_B0).state_dict()
    ckpt = tmp_path / 'mit-b0.pth'
    torch.save({'state_dict': ckpt_state}, ckpt)
    missing = [k for k in model_state
               if k not in ckpt_state and not k.endswith('.num_batches_tracked')]
    unexpected = [k for k in ckpt_state if k not in model_state]
    shapes = [k for k in model_state
              if k in ckpt_state and model_state[k].shape != ckpt_state[k].shape]
    assert missing and unexpected and shapes
    cmd = [sys.executable, 'tools/test.py', str(R50), str(ckpt), '--work-dir',
           str(tmp_path / 'work'), '--cfg-options',
           *as_cli_options(dataloader_options(nyu_train_root, splits=('test', )))]

    proc = run_in_repo(cmd, check=False)
    assert proc.returncode == 1, proc.stderr[-3000:]
    err = proc.stderr
    assert f'error: {ckpt} does not match the model (strict loading):' in err
    assert (f'missing keys (in the model, not in the checkpoint): {len(missing)}, e.g. '
            f'{", ".join(missing[:5])}, ...') in err
    assert (f'unexpected keys (in the checkpoint, not in the model): {len(unexpected)}, e.g. '
            f'{", ".join(unexpected[:5])}, ...') in err
    assert f'shape mismatches (checkpoint vs model): {len(shapes)}, e.g. {shapes[0]} ' in err
    assert 'pass --non-strict to evaluate it anyway' in err and 'Traceback' not in err
    assert 'abs_rel' not in proc.stdout + err  # nothing was evaluated

    proc = run_in_repo(cmd + ['--non-strict'], check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert 'does not match the model, loading the matching entries only (non-strict)' in log
    assert log.count(f'Loaded checkpoint {ckpt} (non-strict') == 1
    assert 'Load checkpoint from' not in log  # mmengine's own load_from path is not taken
    assert 'abs_rel' in log
