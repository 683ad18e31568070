"""The parity check's library part (converters/parity.py) and its command line, on CPU.

No official repository is needed: a fake "official" package written to a tmp folder builds
this project's own small model (so a correct conversion is the identity and the figures
must be exactly 0), and converters that break one tensor or drop one key show that the
check sees such errors.
"""
import importlib.util
import sys
import textwrap

import pytest
import torch
import torch.nn as nn

from mmdepth_dgr.models.converters import parity
from mmdepth_dgr.models.converters.parity import (
    ParitySpec,
    load_official_module,
    max_differences,
    parity_table,
    perturb_model,
    run_parity,
)
from mmdepth_dgr.testing import REPO_ROOT

CONFIG = 'configs/multiscale_depth/multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py'

FAKE_OFFICIAL = '''
"""A stand-in for an official repository: builds this project's model of a config."""
from mmdepth_dgr.testing import build_depth_model


def build(config):
    return build_depth_model(config)
'''


@pytest.fixture
def fake_repo(tmp_path):
    pkg = tmp_path / 'fake_official' / 'fakenet'
    pkg.mkdir(parents=True)
    (pkg / '__init__.py').write_text('')
    (pkg / 'model.py').write_text(textwrap.dedent(FAKE_OFFICIAL))
    yield tmp_path / 'fake_official'
    for name in [n for n in sys.modules if n == 'fakenet' or n.startswith('fakenet.')]:
        del sys.modules[name]
    parity._LOADED.pop(str((tmp_path / 'fake_official').resolve()), None)
    if str((tmp_path / 'fake_official').resolve()) in sys.path:
        sys.path.remove(str((tmp_path / 'fake_official').resolve()))


def _spec(convert=dict, strict=True) -> ParitySpec:
    def build(repo_dir):
        return load_official_module(repo_dir, 'fakenet.model').build(REPO_ROOT / CONFIG)

    def forward(model, x):
        return parity.our_forward(model, x)

    return ParitySpec(name='fake', config=CONFIG, build_official=build, convert=convert,
                      official_forward=forward,
                      head_modules=('decode_head.conv_depth', 'decode_head.conv_depth'),
                      input_size=(64, 96), strict=strict)


def test_identity_conversion_is_exact(fake_repo):
    result = run_parity(_spec(), fake_repo, dtype=torch.float64)
    assert result.head_abs == result.full_abs == 0.0 and result.full_rel == 0.0
    assert result.official_params == result.our_params > 0
    assert result.missing == [] and result.unexpected == []
    assert result.dtype == 'float64' and result.input_size == (64, 96)
    text = result.format()
    assert 'max rel diff 0.000e+00' in text and f'{result.our_params:,}' in text
    table = parity_table([result], {'fake': 'abcdef0123'})
    assert '| fake | abcdef0 | float64 | 64x96 |' in table


def test_a_wrong_tensor_shows_at_head_and_full_resolution(fake_repo):
    def convert(state):
        state = dict(state)
        key = next(k for k in state if k.startswith('decode_head.') and k.endswith('weight')
                   and state[k].dim() == 4)
        state[key] = state[key] * 1.01
        return state

    result = run_parity(_spec(convert), fake_repo, dtype=torch.float64)
    assert result.head_rel > 1e-6 and result.full_rel > 1e-6


def test_a_missing_key_fails_strict_loading(fake_repo):
    def drop_one(state):
        return {k: v for i, (k, v) in enumerate(state.items()) if i != 0}

    with pytest.raises(RuntimeError, match='Missing key'):
        run_parity(_spec(drop_one), fake_repo)
    result = run_parity(_spec(drop_one, strict=False), fake_repo)
    assert len(result.missing) == 1


def test_float32_differs_from_float64_only_by_rounding(fake_repo):
    result = run_parity(_spec(), fake_repo, dtype=torch.float32)
    assert result.dtype == 'float32' and result.full_rel < 1e-6


def test_max_differences():
    ref = torch.tensor([0.0, 2.0, -4.0])
    assert max_differences(ref + torch.tensor([0.0, 0.1, 0.0]), ref) == pytest.approx(
        (0.1, 0.025))
    assert max_differences(torch.zeros(2), torch.zeros(2)) == (0.0, 0.0)
    assert max_differences(torch.ones(2), torch.zeros(2)) == (1.0, float('inf'))
    with pytest.raises(ValueError, match='differ'):
        max_differences(torch.zeros(2), torch.zeros(3))


def test_perturb_model_changes_every_constant():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.GroupNorm(2, 4),
                          nn.LayerNorm(4), nn.Linear(4, 4))
    token = nn.Parameter(torch.zeros(1, 3))
    model.register_parameter('token', token)
    conv_weight = model[0].weight.detach().clone()
    perturb_model(model, torch.Generator().manual_seed(0))
    bn = model[1]
    assert not torch.equal(bn.running_mean, torch.zeros(4))
    assert ((bn.running_var >= 0.5) & (bn.running_var <= 1.5)).all()
    for norm in model[1:4]:
        assert len(set(norm.weight.tolist())) == 4 and len(set(norm.bias.tolist())) == 4
    assert len(set(token.flatten().tolist())) == 3
    assert torch.equal(model[0].weight, conv_weight)  # random weights are left as they are


def test_official_modules_of_two_checkouts_do_not_clash(tmp_path):
    for repo, value in (('a', 1), ('b', 2)):
        (tmp_path / repo).mkdir()
        (tmp_path / repo / 'clashutils.py').write_text(f'VALUE = {value}\n')
    try:
        assert load_official_module(tmp_path / 'a', 'clashutils').VALUE == 1
        assert load_official_module(tmp_path / 'b', 'clashutils').VALUE == 2
        assert str((tmp_path / 'a').resolve()) not in sys.path
    finally:
        for repo in ('a', 'b'):
            root = str((tmp_path / repo).resolve())
            parity._LOADED.pop(root, None)
            if root in sys.path:
                sys.path.remove(root)
        sys.modules.pop('clashutils', None)
    with pytest.raises(FileNotFoundError):
        load_official_module(tmp_path / 'missing', 'x')


def test_cli_prints_the_figures(fake_repo, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location(
        'check_parity', REPO_ROOT / 'tools/model_converters/check_parity.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    monkeypatch.setitem(cli.SPECS, 'fake', _spec())
    assert cli.main([str(fake_repo), 'fake', '--dtype', 'float64', '--commit', '1234567']) == 0
    out = capsys.readouterr().out
    assert 'commit 1234567' in out and 'full resolution: max abs diff 0.000e+00' in out
    monkeypatch.setitem(cli.SPECS, 'fake', _spec(lambda s: dict(list(s.items())[1:])))
    assert cli.main([str(fake_repo), 'fake']) == 1
