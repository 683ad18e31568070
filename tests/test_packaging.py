"""The configs ship inside the package the OpenMMLab way, and configs anywhere inherit them.

``setup.py`` puts ``configs/``, ``tools/`` and ``model-index.yml`` into ``mmdepth_dgr/.mim/``
(links to the checkout for the develop install of tools/scripts/setup_env.sh, copies in a
wheel); mmengine reads ``<installed mmdepth_dgr>/.mim/configs/<path>`` for a base
``mmdepth_dgr::<path>`` (``.mim/model-index.yml`` must exist). Checked here:

* ``model-index.yml`` and ``configs/*/metafile.yaml``: every experiment config listed once, the
  metadata agrees with the configs, and the only numbers are the paper's that
  ``configs/dgr/README.md`` maps to configs;
* the develop install: ``mmdepth_dgr::`` bases load and build from a folder outside the checkout;
* a wheel built from a copy of the checkout and installed with ``pip --target``: a subprocess
  that imports the package from there loads and builds an ``mmdepth_dgr::`` config;
* the README's example for other projects.
"""
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from mmengine.config import Config
from mmengine.fileio import load
from mmengine.utils import get_installed_path
from mmseg.registry import MODELS

from mmdepth_dgr.evaluation.functional import DEPTH_METRICS
from mmdepth_dgr.testing import build_depth_model
from mmdepth_dgr.testing.paths import DGR_OTDL_SYNTHETIC_CONFIG, REPO_ROOT

CONFIG_DIR = REPO_ROOT / 'configs'
MODEL_INDEX = REPO_ROOT / 'model-index.yml'
EXPERIMENTS = sorted(p for p in CONFIG_DIR.rglob('*.py')
                     if '_base_' not in p.relative_to(CONFIG_DIR).parts)
#: what setup.py ships as mmdepth_dgr/.mim/<name>
MIM_FILES = ('configs', 'tools', 'model-index.yml')
#: a synthetic config (pretrained weights already off) and the DGR + Eq. 21 one, as ``pkg::`` bases
SYNTHETIC_BASE = 'multiscale_depth/multiscale-depth_mit-b0_2xb4-2k_synthetic-nyu-96x128.py'
DGR_OTDL_BASE = DGR_OTDL_SYNTHETIC_CONFIG.relative_to(CONFIG_DIR).as_posix()
README_EXAMPLE_MARKER = '<!-- example: inherit-from-another-project -->'
DATA = {'NYUDepthDataset': 'NYU-Depth-v2', 'KITTIDepthDataset': 'KITTI',
        'CustomDepthDataset': 'Custom RGB-D'}
#: name parts of a config: ``{method}_{backbone}_{N}xb{B}-...``
GPUS_X_BATCH = re.compile(r'_(\d+)xb(\d+)-')


def _child_config(folder: Path, base: str, body: str = '') -> Path:
    """Write ``folder/child.py`` that inherits ``mmdepth_dgr::<base>`` and adds ``body``."""
    path = folder / 'child.py'
    path.write_text(f"_base_ = ['mmdepth_dgr::{base}']\n{body}")
    return path


def _read_files(cfg: Config) -> List[str]:
    """The config files ``cfg`` was read from (its text names each one), bases first."""
    return [line for line in cfg.text.splitlines() if line.startswith(os.sep)
            and line.endswith('.py')]


def _assert_read_from(read: List[str], child: Path, mim_configs: Path, base: str) -> None:
    """``child`` was read last, after ``base`` and only other files under ``mim_configs``."""
    assert read[-1] == str(child), read
    assert str(mim_configs / base) in read, read
    assert all(p.startswith(str(mim_configs) + os.sep) for p in read[:-1]), read


def _neck_types(model_cfg: dict) -> List[str]:
    """Types of the config's neck and, for a ``SequentialNeck``, of the necks in it."""
    necks = [model_cfg.get('neck')] if model_cfg.get('neck') else []
    necks += [n for neck in necks if neck.type == 'SequentialNeck' for n in neck.necks]
    return [neck.type for neck in necks]


# ---------------------------------------------------------------------------------------------
# model-index.yml and the metafiles
# ---------------------------------------------------------------------------------------------

@functools.cache
def _metafiles() -> Dict[str, dict]:
    """model-index.yml's imports (paths relative to the checkout) -> loaded metafile."""
    index = load(str(MODEL_INDEX))
    return {rel: load(str(REPO_ROOT / rel)) for rel in index['Import']}


def _models() -> List[Tuple[str, dict]]:
    """(metafile, model entry) of every model of every imported metafile, in order."""
    return [(rel, model) for rel, meta in _metafiles().items() for model in meta['Models']]


@functools.cache
def _load(path: Path) -> Config:
    """The config at ``path`` (read once per session)."""
    return Config.fromfile(str(path))


def _named_config(config: str) -> str:
    """The file name with the settings in it: the config's own, or for the kept Table 3 name
    ``dgr/depthformer_dgr_kitti.py`` that of the one config it inherits."""
    name = Path(config).name
    if GPUS_X_BATCH.search(name):
        return name
    (base,) = re.findall(r"^_base_ = \['\./([^'/]+)'\]$", (REPO_ROOT / config).read_text(), re.M)
    return base


def _paper_numbers() -> Dict[str, Tuple[str, Dict[str, float]]]:
    """Config (relative to configs/) -> (dataset, metrics) of configs/dgr/README.md's tables.

    Each row of the Table 2, 3 and 4 sections gives the config cell (links to ``.py`` files)
    followed by Abs Rel, RMS, Log10, δ1 (``-``: none), and for Tables 2-3 the baseline config
    with its numbers in parentheses.
    """
    readme = (CONFIG_DIR / 'dgr' / 'README.md').read_text()
    out: Dict[str, Tuple[str, Dict[str, float]]] = {}

    def add(link: str, dataset: str, values: List[str]) -> None:
        rel = (CONFIG_DIR / 'dgr' / link).resolve().relative_to(CONFIG_DIR).as_posix()
        assert len(values) == 4, (link, values)
        metrics = {k: float(v) for k, v in zip(('abs_rel', 'rmse', 'log10', 'd1'), values,
                                               strict=True) if v != '-'}
        assert out.get(rel, (dataset, metrics)) == (dataset, metrics), rel
        out[rel] = (dataset, metrics)

    for section in re.split(r'\n(?=\*\*Table \d|## )', readme):
        heading = section.splitlines()[0]
        match = re.match(r'(?:\*\*|## )Table (\d)', heading)
        if not match:
            continue
        dataset = 'KITTI' if match.group(1) == '3' else 'NYU-Depth-v2'
        for line in section.splitlines():
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            for i, cell in enumerate(cells[:-4]):
                if '.py](' not in cell or not re.fullmatch(r'[0-9.]+', cells[i + 1]):
                    continue
                for link in re.findall(r'\]\(([^)]+\.py)\)', cell):
                    add(link, dataset, cells[i + 1:i + 5])
                for link, values in re.findall(r'\]\(([^)]+\.py)\) \(([^)]*)\)',
                                               ' '.join(cells[i + 5:])):
                    add(link, dataset, [v.strip() for v in values.split('/')])
    return out


def test_model_index_imports_one_metafile_per_model_folder():
    folders = sorted({p.parent.name for p in EXPERIMENTS})
    index = load(str(MODEL_INDEX))
    assert index['Import'] == [f'configs/{f}/metafile.yaml' for f in folders]
    for rel in index['Import']:
        assert (REPO_ROOT / rel).is_file(), rel


def test_metafiles_list_every_experiment_config_exactly_once():
    configs = [model['Config'] for _, model in _models()]
    assert len(configs) == len(set(configs)), sorted(c for c in configs if configs.count(c) > 1)
    assert sorted(configs) == [f'configs/{p.relative_to(CONFIG_DIR).as_posix()}'
                               for p in EXPERIMENTS]
    for rel, model in _models():
        config = REPO_ROOT / model['Config']
        assert config.is_file(), model['Config']
        assert config.parent == (REPO_ROOT / rel).parent, (rel, model['Config'])
        assert model['Name'] == config.stem


def test_metafile_names_and_collections_are_consistent():
    collections = [c['Name'] for meta in _metafiles().values() for c in meta['Collections']]
    assert len(collections) == len(set(collections)), collections
    names = [model['Name'] for _, model in _models()]
    assert len(names) == len(set(names))
    for rel, meta in _metafiles().items():
        own = {c['Name'] for c in meta['Collections']}
        used = {model['In Collection'] for model in meta['Models']}
        assert used == own, rel
        for collection in meta['Collections']:
            if 'README' in collection:
                assert (REPO_ROOT / collection['README']).is_file(), collection['README']
            trained_on = {model['Metadata']['Training Data'] for model in meta['Models']
                          if model['In Collection'] == collection['Name']}
            assert set(collection['Metadata']['Training Data']) == trained_on, rel


@pytest.mark.parametrize('rel,model', _models(), ids=[m['Name'] for _, m in _models()])
def test_metafile_metadata_describes_the_config(rel, model):
    cfg = _load(REPO_ROOT / model['Config'])
    meta = model['Metadata']
    gpus, batch = map(int, GPUS_X_BATCH.search(_named_config(model['Config'])).groups())
    assert batch == cfg.train_dataloader.batch_size
    assert meta['Batch Size'] == gpus * batch
    assert meta['lr schd'] == cfg.train_cfg.max_iters
    dataset = cfg.train_dataloader.dataset
    synthetic = 'synthetic' in dataset.data_root
    expected_data = DATA[dataset.type]
    if synthetic:
        expected_data = f'Synthetic {expected_data.split("-")[0]}-like'
    assert meta['Training Data'] == expected_data
    assert meta['Training Resources'] == (f'{gpus}x CPU processes' if synthetic
                                          else f'{gpus}x GPUs')
    if 'decode_head' in cfg.model:  # depth networks (not the sparse-pixel probes)
        has_dgr = (cfg.model.backbone.type == 'DGRBackbone'
                   or 'DGRNeck' in _neck_types(cfg.model))
        losses = cfg.model.decode_head.loss_decode
        losses = losses if isinstance(losses, (list, tuple)) else [losses]
        assert ('DGR' in meta['Architecture']) == has_dgr
        assert ('OTDL' in meta['Architecture']) == any(x.type == 'OTDLLoss' for x in losses)
    else:
        assert cfg.model.type == 'SparsePixelProbe'
        assert meta['Architecture'][-1] == 'SparseProbe'
    assert 'Weights' not in model, 'no released checkpoints'


def test_metafile_results_are_the_papers_numbers_for_the_configs_dgr_readme_maps():
    expected = _paper_numbers()
    # Tables 2-3: 12 rows each (6 + DGR, 6 baselines), the alias depthformer_dgr_kitti.py;
    # Table 4: 2 configs more (its MSE + OTDL row is Table 2's PixelFormer + DGR)
    assert len(expected) == 27
    results = {}
    for _, model in _models():
        if 'Results' in model:
            result = model['Results']
            assert result['Task'] == 'Depth Estimation'
            assert result['Dataset'] == model['Metadata']['Training Data']
            assert set(result['Metrics']) <= set(DEPTH_METRICS)
            results[model['Config'].removeprefix('configs/')] = (result['Dataset'],
                                                                 result['Metrics'])
    assert results == expected


# ---------------------------------------------------------------------------------------------
# the develop install (tools/scripts/setup_env.sh)
# ---------------------------------------------------------------------------------------------

def test_develop_install_shows_mmengine_the_checkout():
    path = Path(get_installed_path('mmdepth_dgr'))
    assert path.resolve() == REPO_ROOT / 'mmdepth_dgr', (
        f'mmengine sees mmdepth_dgr at {path}: run tools/scripts/setup_env.sh (a setup.py '
        'develop install with setuptools<80)')
    for name in MIM_FILES:
        link = path / '.mim' / name
        assert link.is_symlink(), f'{link} is not a link to the checkout (re-run setup_env.sh)'
        assert link.resolve() == REPO_ROOT / name


def test_synthetic_base_inherits_and_builds_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    child = _child_config(tmp_path, SYNTHETIC_BASE, 'model = dict(decode_head=dict(channels=32))\n')
    cfg = Config.fromfile(str(child))
    _assert_read_from(_read_files(cfg), child, REPO_ROOT / 'mmdepth_dgr' / '.mim' / 'configs',
                      SYNTHETIC_BASE)
    assert cfg.model.decode_head.channels == 32
    assert cfg.model.backbone.init_cfg is None  # no pretrained download
    model = build_depth_model(cfg)
    assert isinstance(model, MODELS.get(cfg.model.type))
    assert model.decode_head.channels == 32


def test_dgr_otdl_base_inherits_and_builds_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(str(_child_config(tmp_path, DGR_OTDL_BASE)))
    assert _neck_types(cfg.model) == ['DGRNeck']
    model = build_depth_model(cfg)
    assert type(model.neck).__name__ == 'DGRNeck'
    assert [type(loss).__name__ for loss in model.decode_head.loss_decode] == [
        'DepthMSELoss', 'OTDLLoss']


def test_table3_name_inherits_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    child = _child_config(tmp_path, 'dgr/depthformer_dgr_kitti.py')
    cfg = Config.fromfile(str(child))
    _assert_read_from(_read_files(cfg), child, REPO_ROOT / 'mmdepth_dgr' / '.mim' / 'configs',
                      'dgr/depthformer-hahi-dgr_swin-l_4xb4-80k_kitti-352x704.py')
    assert 'DGRNeck' in _neck_types(cfg.model)
    assert cfg.train_dataloader.dataset.type == 'KITTIDepthDataset'


# ---------------------------------------------------------------------------------------------
# a non-editable install of the wheel
# ---------------------------------------------------------------------------------------------

def _copy_sources(dest: Path) -> Path:
    """Copy what setup.py builds from (no .mim, caches, build/ or egg-info) to ``dest``."""
    dest.mkdir()
    ignore = shutil.ignore_patterns('.mim', '__pycache__', '*.pyc', '*.egg-info', 'build')
    for name in ('setup.py', 'README.md', 'pyproject.toml', 'model-index.yml'):
        shutil.copy2(REPO_ROOT / name, dest / name)
    for name in ('mmdepth_dgr', 'configs', 'tools', 'requirements'):
        shutil.copytree(REPO_ROOT / name, dest / name, ignore=ignore)
    return dest


def _build_outputs(folder: Path) -> List[str]:
    """What a setuptools build leaves in ``folder``: build/, dist/, *.egg-info."""
    return sorted(n for n in os.listdir(folder)
                  if n in ('build', 'dist') or n.endswith('.egg-info'))


def _pip(*args: str) -> None:
    """Run this Python's pip; fail with its output's tail on a non-zero exit."""
    proc = subprocess.run([sys.executable, '-m', 'pip', '--disable-pip-version-check', *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.fixture(scope='module')
def wheel_install(tmp_path_factory) -> Dict[str, Path]:
    """The wheel built from a copy of the checkout, and the folder it is installed into."""
    root = tmp_path_factory.mktemp('wheel')
    before = _build_outputs(REPO_ROOT)
    src = _copy_sources(root / 'src')
    _pip('wheel', '--no-deps', '--no-build-isolation', '-q', str(src), '-w', str(root / 'dist'))
    (wheel,) = (root / 'dist').glob('mmdepth_dgr-*.whl')
    _pip('install', '--no-deps', '-q', '--target', str(root / 'site'), str(wheel))
    assert _build_outputs(REPO_ROOT) == before, 'the build left files in the checkout'
    return dict(wheel=wheel, site=root / 'site', root=root)


@pytest.mark.slow
def test_wheel_holds_configs_tools_and_model_index(wheel_install):
    with zipfile.ZipFile(wheel_install['wheel']) as whl:
        names = set(whl.namelist())
        shipped = sorted(n for n in names if n.startswith('mmdepth_dgr/.mim/'))
        expected = sorted(
            f'mmdepth_dgr/.mim/{p.relative_to(REPO_ROOT).as_posix()}'
            for name in MIM_FILES for p in ([REPO_ROOT / name] if name.endswith('.yml')
                                            else (REPO_ROOT / name).rglob('*'))
            if p.is_file() and '__pycache__' not in p.parts and p.suffix != '.pyc')
        assert shipped == expected
        assert 'mmdepth_dgr/.mim/configs/dgr/depthformer_dgr_kitti.py' in shipped
        assert 'mmdepth_dgr/.mim/configs/dgr/metafile.yaml' in shipped
        assert 'mmdepth_dgr/.mim/tools/train.py' in shipped
        for name in shipped:
            assert whl.read(name) == (REPO_ROOT / name.removeprefix('mmdepth_dgr/.mim/')
                                      ).read_bytes(), name
        assert 'mmdepth_dgr/__init__.py' in names


#: run in the wheel's install: where mmdepth_dgr and mmengine's view of it are, and the
#: synthetic base inherited and built (argv: the child config)
_WHEEL_CHECK = '''
import json, sys
import mmdepth_dgr
from mmengine.config import Config
from mmengine.utils import get_installed_path
from mmseg.registry import MODELS
from mmdepth_dgr.testing import build_depth_model
cfg = Config.fromfile(sys.argv[1])
model = build_depth_model(cfg)
print(json.dumps(dict(
    module=mmdepth_dgr.__file__, installed=get_installed_path('mmdepth_dgr'),
    read=[line for line in cfg.text.splitlines() if line.startswith('/') and line.endswith('.py')],
    built=isinstance(model, MODELS.get(cfg.model.type)), channels=model.decode_head.channels)))
'''


@pytest.mark.slow
def test_wheel_install_inherits_and_builds_without_the_checkout(wheel_install):
    site = wheel_install['site']
    run_dir = wheel_install['root'] / 'run'
    run_dir.mkdir()
    child = _child_config(run_dir, SYNTHETIC_BASE, 'model = dict(decode_head=dict(channels=16))\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith('PYTHON')}
    env['PYTHONPATH'] = str(site)  # before site-packages, whose develop link names the checkout
    proc = subprocess.run([sys.executable, '-c', _WHEEL_CHECK, str(child)], cwd=run_dir, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out['module'] == str(site / 'mmdepth_dgr' / '__init__.py')
    assert out['installed'] == str(site / 'mmdepth_dgr')
    _assert_read_from(out['read'], child, site / 'mmdepth_dgr' / '.mim' / 'configs',
                      SYNTHETIC_BASE)
    assert (out['built'], out['channels']) == (True, 16)


# ---------------------------------------------------------------------------------------------
# README.md: using this project from another MM project
# ---------------------------------------------------------------------------------------------

def _readme_example() -> str:
    """The code block after :data:`README_EXAMPLE_MARKER` in README.md."""
    readme = (REPO_ROOT / 'README.md').read_text()
    assert readme.count(README_EXAMPLE_MARKER) == 1
    after = readme.split(README_EXAMPLE_MARKER, 1)[1]
    match = re.match(r'\s*```python\n(.*?)\n```', after, re.S)
    assert match, f'no python code block right after {README_EXAMPLE_MARKER}'
    return match.group(1) + '\n'


def test_readme_example_inherits_and_moves_every_dataloader(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = _readme_example()
    assert "_base_ = ['mmdepth_dgr::" in code
    path = tmp_path / 'my_depth_model.py'
    path.write_text(code)
    cfg = Config.fromfile(str(path))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == '/data/nyu', loader
    assert cfg.test_dataloader.dataset.ann_file == 'splits/nyu_test.txt'
    assert [loss.type for loss in cfg.model.decode_head.loss_decode] == ['ScaleInvariantLoss']
    assert cfg.custom_imports.imports == ['mmdepth_dgr'] and cfg.default_scope == 'mmseg'
    model = build_depth_model(cfg)
    assert [type(loss).__name__ for loss in model.decode_head.loss_decode] == [
        'ScaleInvariantLoss']


def test_overriding_only_val_dataloader_leaves_test_on_the_base_data_root(tmp_path, monkeypatch):
    """Why the README's example sets all three loaders: the base binds test to val early."""
    monkeypatch.chdir(tmp_path)
    code = ''.join(line + '\n' for line in _readme_example().splitlines()
                   if not line.startswith('test_dataloader'))
    path = tmp_path / 'my_depth_model.py'
    path.write_text(code)
    cfg = Config.fromfile(str(path))
    assert cfg.val_dataloader.dataset.data_root == '/data/nyu'
    assert cfg.test_dataloader.dataset.data_root == 'data/nyu'
