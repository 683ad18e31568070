"""tools/analysis_tools/get_flops.py on the DGR ablation config."""
import importlib.util
import sys

from mmdepth_dgr.testing import REPO_ROOT

PAIR = {p: (REPO_ROOT / 'configs/dgr'
            / f'multiscale-depth-dgr-{p}_mit-b0_2xb4-2k_synthetic-nyu-96x128.py')
        for p in ('neck', 'backbone')}


def test_get_flops_cli(capsys, monkeypatch):
    spec = importlib.util.spec_from_file_location('get_flops',
                                                  REPO_ROOT / 'tools/analysis_tools/get_flops.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, 'argv', ['get_flops.py', str(PAIR['backbone']), '--shape', '32',
                                      '64'])
    assert module.main() == 0
    text = capsys.readouterr().out
    assert 'Input 32x64: params' in text and 'DGR blocks' in text
