"""AtomicCheckpointHook, NonFiniteLossHook and the auto-resume checkpoint choice, on a toy runner.

The toy runner trains a one-parameter model for a few iterations on CPU in well under a second,
with the project's hooks as the configs use them; "a kill" between two steps of a save is an
exception raised there (the process state after it is what a kill leaves on disk).
"""
import os
import os.path as osp
import uuid
import zipfile
from pathlib import Path
from typing import List, Optional

import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.runner import Runner

import mmdepth_dgr.engine.resume as engine_resume
from mmdepth_dgr.engine import (
    AtomicCheckpointHook,
    NonFiniteLossError,
    NonFiniteLossHook,
    train_config,
)
from mmdepth_dgr.engine.hooks import checkpoint_problem
from mmdepth_dgr.engine.resume import IncompleteCheckpointError, find_resume_checkpoint
from mmdepth_dgr.testing import REPO_ROOT

CONFIG = (REPO_ROOT / 'configs' / 'multiscale_depth'
          / 'multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py')


class ToyModel(BaseModel):
    """``loss_fit`` of one weight, plus ``loss_aux``; non-finite from iteration ``nan_at`` on
    (``nan_weights``: a finite loss, but a NaN parameter from that iteration on)."""

    def __init__(self, nan_at: Optional[int] = None, nan_weights: bool = False) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))
        self.unused = torch.nn.Parameter(torch.zeros(1))
        self.nan_at, self.nan_weights, self.calls = nan_at, nan_weights, 0

    def forward(self, x, data_samples=None, mode='tensor'):
        self.calls += 1
        pred = self.weight * x
        if mode != 'loss':
            return [dict(pred=p) for p in pred]
        fit = ((pred - 2.0) ** 2).mean()
        bad = self.nan_at is not None and self.calls >= self.nan_at
        if bad and self.nan_weights:
            with torch.no_grad():
                self.unused.fill_(float('nan'))
        elif bad:
            fit = fit * float('nan')
        return dict(loss_fit=fit, loss_aux=0.1 * fit.detach(), acc=torch.tensor(float('nan')))


class ToyMetric(BaseMetric):
    """``err``: a fixed sequence of values, one per evaluation (smaller is better)."""

    def __init__(self, values: List[float]) -> None:
        super().__init__()
        self.values = list(values)

    def process(self, data_batch, data_samples) -> None:
        self.results.append(0)

    def compute_metrics(self, results) -> dict:
        return dict(err=self.values.pop(0))


def _loader() -> dict:
    return dict(dataset=[dict(x=torch.ones(1))] * 4, batch_size=1, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='default_collate'))


def _runner(work_dir: Path, max_iters: int = 2, model: Optional[ToyModel] = None,
            checkpoint: Optional[dict] = None, custom_hooks: Optional[list] = None,
            val_values: Optional[List[float]] = None, **kwargs) -> Runner:
    ckpt_cfg = dict(type='AtomicCheckpointHook', interval=1, by_epoch=False, max_keep_ckpts=1)
    ckpt_cfg.update(checkpoint or {})
    val = {}
    if val_values is not None:
        val = dict(val_dataloader=_loader(), val_cfg=dict(),
                   val_evaluator=dict(type=ToyMetric, values=val_values))
    return Runner(
        model=model or ToyModel(), work_dir=str(work_dir), train_dataloader=_loader(),
        train_cfg=dict(by_epoch=False, max_iters=max_iters,
                       val_interval=1 if val_values is not None else max_iters + 1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=ckpt_cfg, logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=custom_hooks, default_scope='mmseg',
        experiment_name=f'toy_{uuid.uuid4().hex}', **val, **kwargs)


def _last_checkpoint(work_dir: Path) -> str:
    return (work_dir / 'last_checkpoint').read_text()


def _fail_replace(monkeypatch, suffix: str) -> None:
    """``os.replace`` raises when its target ends with ``suffix`` (a kill just before it)."""
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if str(dst).endswith(suffix):
            raise OSError(f'simulated kill before renaming {src}')
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, 'replace', replace)


# --- AtomicCheckpointHook -------------------------------------------------------------------

def test_checkpoints_of_a_complete_run(tmp_path):
    _runner(tmp_path, max_iters=3).train()
    assert sorted(p.name for p in tmp_path.glob('*.pth*')) == ['iter_3.pth']  # max_keep_ckpts=1
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'iter_3.pth')
    assert checkpoint_problem(str(tmp_path / 'iter_3.pth')) is None
    assert not list(tmp_path.glob('*.tmp'))
    assert torch.load(tmp_path / 'iter_3.pth', weights_only=True)['meta']['iter'] == 3


def test_kill_before_the_rename_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    """The reported case: the old hook deleted iter_1.pth before writing iter_2.pth."""
    _fail_replace(monkeypatch, 'iter_2.pth')
    with pytest.raises(OSError, match='simulated kill'):
        _runner(tmp_path).train()
    assert not (tmp_path / 'iter_2.pth').exists()
    assert checkpoint_problem(str(tmp_path / 'iter_1.pth')) is None
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'iter_1.pth')
    assert (tmp_path / 'iter_2.pth.tmp').exists()  # the unfinished save, never the final name
    assert find_resume_checkpoint(str(tmp_path))[0] == str(tmp_path / 'iter_1.pth')


def test_kill_while_writing_last_checkpoint_leaves_no_half_written_marker(tmp_path,
                                                                          monkeypatch):
    """``last_checkpoint`` is replaced atomically: never empty or truncated."""
    _fail_replace(monkeypatch, 'last_checkpoint')
    with pytest.raises(OSError, match='simulated kill'):
        _runner(tmp_path, max_iters=1).train()
    assert checkpoint_problem(str(tmp_path / 'iter_1.pth')) is None  # renamed into place
    assert not (tmp_path / 'last_checkpoint').exists()  # not a truncated one
    assert find_resume_checkpoint(str(tmp_path))[0] == str(tmp_path / 'iter_1.pth')


def test_old_checkpoint_is_removed_only_after_last_checkpoint_moved(tmp_path, monkeypatch):
    _runner(tmp_path, max_iters=1).train()
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'iter_1.pth')
    _fail_replace(monkeypatch, 'last_checkpoint')
    with pytest.raises(OSError, match='simulated kill'):
        _runner(tmp_path, max_iters=2, resume=True, load_from=str(tmp_path / 'iter_1.pth')
                ).train()
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'iter_1.pth')
    assert checkpoint_problem(str(tmp_path / 'iter_1.pth')) is None  # still there
    assert checkpoint_problem(str(tmp_path / 'iter_2.pth')) is None


def test_unfinished_save_is_cleared_by_the_next_run(tmp_path, monkeypatch):
    _fail_replace(monkeypatch, 'iter_2.pth')
    with pytest.raises(OSError):
        _runner(tmp_path).train()
    monkeypatch.undo()
    assert (tmp_path / 'iter_2.pth.tmp').exists()
    _runner(tmp_path, max_iters=2, resume=True, load_from=str(tmp_path / 'iter_1.pth')).train()
    assert sorted(p.name for p in tmp_path.glob('iter_*')) == ['iter_2.pth']


def test_previous_best_checkpoint_is_removed_after_the_new_one(tmp_path, monkeypatch):
    """mmengine removes the previous best before writing the new one."""
    best = dict(save_best='err', rule='less', max_keep_ckpts=-1)
    _fail_replace(monkeypatch, 'best_err_iter_2.pth')
    with pytest.raises(OSError, match='simulated kill'):
        _runner(tmp_path, max_iters=2, checkpoint=best, val_values=[2.0, 1.0]).train()
    assert checkpoint_problem(str(tmp_path / 'best_err_iter_1.pth')) is None
    assert not (tmp_path / 'best_err_iter_2.pth').exists()
    monkeypatch.undo()
    _runner(tmp_path / 'ok', max_iters=2, checkpoint=best, val_values=[2.0, 1.0]).train()
    assert sorted(p.name for p in (tmp_path / 'ok').glob('best_*')) == ['best_err_iter_2.pth']


def test_unknown_checkpoint_argument_fails_when_the_hook_is_built(tmp_path):
    """mmengine's hook forwards ``intervl`` to save_checkpoint: a TypeError at the first save,
    after the whole schedule."""
    with pytest.raises(TypeError, match=r"'intervl' \(did you mean 'interval'\?\)"):
        AtomicCheckpointHook(intervl=1)
    model = ToyModel()
    with pytest.raises(TypeError, match='intervl'):
        _runner(tmp_path, model=model, checkpoint=dict(intervl=1)).train()
    assert model.calls == 0  # refused before the first iteration
    assert not list(tmp_path.glob('iter_*'))
    hook = AtomicCheckpointHook(interval=5, by_epoch=False, max_keep_ckpts=2)
    assert (hook.interval, hook.max_keep_ckpts) == (5, 2)


# --- checkpoint completeness and the auto-resume choice -------------------------------------

def _save(path: Path, step: int) -> Path:
    torch.save(dict(meta=dict(iter=step), state_dict=dict(w=torch.full((256, ), step))), path)
    return path


def test_checkpoint_problem_names_truncated_and_corrupt_files(tmp_path):
    good = _save(tmp_path / 'good.pth', 1)
    assert checkpoint_problem(str(good)) is None
    data = good.read_bytes()
    (tmp_path / 'cut.pth').write_bytes(data[:len(data) // 2])
    assert 'truncated' in checkpoint_problem(str(tmp_path / 'cut.pth'))
    (tmp_path / 'empty.pth').write_bytes(b'')
    assert checkpoint_problem(str(tmp_path / 'empty.pth')) == 'empty file'
    with zipfile.ZipFile(good) as archive:  # flip a byte inside the stored tensor data
        info = next(i for i in archive.infolist() if i.file_size >= 1024)
    offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 100
    corrupt = bytearray(data)
    corrupt[offset] ^= 0xFF
    (tmp_path / 'bad.pth').write_bytes(bytes(corrupt))
    assert 'CRC' in checkpoint_problem(str(tmp_path / 'bad.pth'))


def test_auto_resume_skips_a_truncated_checkpoint(tmp_path, monkeypatch):
    """mmengine's non-atomic save leaves a truncated file under its final name."""
    work = tmp_path / 'work'
    work.mkdir()
    _save(work / 'iter_2.pth', 2)
    full = _save(tmp_path / 'full.pth', 4).read_bytes()
    (work / 'iter_4.pth').write_bytes(full[:len(full) // 3])
    (work / 'last_checkpoint').write_text(str(work / 'iter_4.pth'))
    logged = []
    monkeypatch.setattr(engine_resume, 'print_log', lambda msg, **kw: logged.append(msg))
    cfg = train_config(str(CONFIG), work_dir=str(work), resume='auto')
    assert cfg.resume is True and cfg.load_from == str(work / 'iter_2.pth')
    assert any('skipping' in m and 'iter_4.pth' in m and 'truncated' in m for m in logged)
    assert any('resuming from' in m and 'iter_2.pth' in m for m in logged)
    with pytest.raises(IncompleteCheckpointError, match=r'iter_4\.pth is incomplete or corrupt'):
        train_config(str(CONFIG), work_dir=str(work), resume=str(work / 'iter_4.pth'))


def test_auto_resume_when_last_checkpoint_names_a_deleted_file(tmp_path, monkeypatch):
    """The reported case: ``last_checkpoint`` -> deleted iter_2.pth, iter_4.pth truncated:
    mmengine's auto-resume raised FileNotFoundError; now a fresh start, saying why."""
    work = tmp_path / 'work'
    work.mkdir()
    full = _save(tmp_path / 'full.pth', 4).read_bytes()
    (work / 'iter_4.pth').write_bytes(full[:100])
    (work / 'last_checkpoint').write_text(str(work / 'iter_2.pth'))
    logged = []
    monkeypatch.setattr(engine_resume, 'print_log', lambda msg, **kw: logged.append(msg))
    cfg = train_config(str(CONFIG), work_dir=str(work), resume='auto')
    assert cfg.resume is False and cfg.load_from is None
    assert any('iter_2.pth' in m and 'missing' in m for m in logged)
    assert any('no complete checkpoint' in m for m in logged)


def test_auto_resume_takes_the_newest_complete_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(engine_resume, 'print_log', lambda *a, **k: None)
    for step in (2, 10, 4):
        _save(tmp_path / f'iter_{step}.pth', step)
    (tmp_path / 'iter_12.pth.tmp').write_bytes(b'PK\x03\x04partial')
    found, skipped = find_resume_checkpoint(str(tmp_path))
    assert found == str(tmp_path / 'iter_10.pth')  # by number, not by name order
    assert [osp.basename(p) for p, _ in skipped] == ['iter_12.pth.tmp']
    cfg = train_config(str(CONFIG), work_dir=str(tmp_path), resume='auto')
    assert cfg.load_from == str(tmp_path / 'iter_10.pth')


# --- NonFiniteLossHook ------------------------------------------------------------------------

def test_non_finite_loss_stops_training(tmp_path):
    model = ToyModel(nan_at=3)
    with pytest.raises(NonFiniteLossError) as err:
        _runner(tmp_path, max_iters=5, model=model,
                custom_hooks=[dict(type='NonFiniteLossHook')]).train()
    message = str(err.value)
    assert 'iteration 3' in message
    assert 'loss_fit=nan' in message and 'loss=nan' in message
    assert 'acc' not in message  # not a loss
    assert f'Last checkpoint saved before it: {tmp_path / "iter_2.pth"}' in message
    assert model.calls == 3
    assert not (tmp_path / 'iter_3.pth').exists()  # stopped before the checkpoint hook
    assert checkpoint_problem(str(tmp_path / 'iter_2.pth')) is None


def test_non_finite_loss_at_the_first_iteration_names_no_checkpoint(tmp_path):
    with pytest.raises(NonFiniteLossError, match='iteration 1 .*No checkpoint was saved'):
        _runner(tmp_path, model=ToyModel(nan_at=1), custom_hooks=[NonFiniteLossHook()]).train()


def test_without_the_hook_training_goes_on_with_nan(tmp_path):
    """What the hook prevents (and what ``custom_hooks = []`` turns back on)."""
    _runner(tmp_path, max_iters=3, model=ToyModel(nan_at=2), custom_hooks=[]).train()
    state = torch.load(tmp_path / 'iter_3.pth', weights_only=True)['state_dict']
    assert torch.isnan(state['weight']).all()


def test_non_finite_weights_are_never_saved(tmp_path):
    """A finite loss, NaN parameters: the checkpoint of that iteration is refused."""
    match = r'non-finite parameters at iteration 2 \(unused\)'
    with pytest.raises(NonFiniteLossError, match=match):
        _runner(tmp_path, max_iters=3, model=ToyModel(nan_at=2, nan_weights=True),
                custom_hooks=[NonFiniteLossHook()]).train()
    assert not (tmp_path / 'iter_2.pth').exists()
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'iter_1.pth')
    assert checkpoint_problem(str(tmp_path / 'iter_1.pth')) is None


def test_default_runtime_turns_the_hooks_on():
    runtime = Config.fromfile(str(REPO_ROOT / 'configs' / '_base_' / 'default_runtime.py'))
    assert runtime.custom_hooks == [dict(type='NonFiniteLossHook')]
    cfg = Config.fromfile(str(CONFIG))
    assert cfg.custom_hooks == [dict(type='NonFiniteLossHook')]
    assert cfg.default_hooks.checkpoint.type == 'AtomicCheckpointHook'
