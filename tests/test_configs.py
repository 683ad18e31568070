"""The config tree: its layout and names, the shared fragments, and every config builds and runs.

Layout (mmsegmentation 1.x): one folder per method, model/dataset/schedule/loss fragments in
``configs/_base_``, and every config named ``{method}_{backbone}_{N}xb{B}-{schedule}_{dataset}-
{crop}.py`` after its own settings, except ``dgr/depthformer_dgr_kitti.py`` (the Table 3 name users
run).
"""
import ast
import copy
import functools
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS, RUNNERS
from mmseg.structures import SegDataSample

from mmdepth_dgr.engine import DepthRunner
from mmdepth_dgr.utils import strip_pretrained, sync_bn_to_bn

CONFIG_DIR = Path(__file__).resolve().parents[1] / 'configs'
BASE_DIR = CONFIG_DIR / '_base_'
CONFIGS = sorted(p for p in CONFIG_DIR.rglob('*.py') if '_base_' not in p.parts)
IDS = [str(p.relative_to(CONFIG_DIR)) for p in CONFIGS]
KEPT_NAME = CONFIG_DIR / 'dgr' / 'depthformer_dgr_kitti.py'
KEPT_TARGET = CONFIG_DIR / 'dgr' / 'depthformer-hahi-dgr_swin-l_4xb4-80k_kitti-352x704.py'
LOSS_FRAGMENT = BASE_DIR / 'losses' / 'mse-otdl.py'
SYNTHETIC_LOSS_FRAGMENT = BASE_DIR / 'losses' / 'mse-otdl_synthetic.py'
CPU_FRAGMENT = BASE_DIR / 'cpu_synthetic.py'

#: folder -> the methods whose baselines live there (configs/dgr holds their DGR/OTDL variants)
METHODS = {
    'adabins': {'adabins'},
    'depthformer': {'depthformer-hahi', 'depthformer-transbins'},
    'dpt': {'dpt'},
    'multiscale_depth': {'multiscale-depth'},
    'pixelformer': {'pixelformer'},
    'probe': {'sparse-probe'},
    'swindepth': {'swindepth'},
    'transdepth': {'transdepth'},
}
#: variant suffix of a configs/dgr method -> (adds DGR, depth loss types)
#: ('baseline': the baseline's own loss; 'paper': Eq. 21 for the six models of Tables 2-3)
VARIANTS = {
    'dgr': (True, None),
    'dgr-neck': (True, 'baseline'),
    'dgr-backbone': (True, 'baseline'),
    'otdl': (False, ['DepthMSELoss', 'OTDLLoss']),
    'mse': (False, ['DepthMSELoss']),
    'dgr-otdl': (True, ['DepthMSELoss', 'OTDLLoss']),
    'dgr-mse': (True, ['DepthMSELoss']),
    'dgr-otdl-only': (True, ['OTDLLoss']),
    'dgr-hu-otdl': (True, ['HuDepthLoss', 'OTDLLoss']),
}
NAME = re.compile(
    r'^(?P<method>[a-z0-9]+(?:-[a-z0-9]+)*)_(?P<backbone>[a-z0-9]+(?:-[a-z0-9]+)*)_'
    r'(?P<gpus>\d+)xb(?P<batch>\d+)-(?P<iters>\d+)(?P<unit>k|it)_'
    r'(?P<dataset>(?:synthetic-)?(?:nyu|kitti)|custom)-(?P<height>\d+)x(?P<width>\d+)'
    r'(?:_(?P<testset>ibims|sunrgbd|diode))?\.py$')
#: test-set suffix of a cross-dataset config (trained on one dataset, tested on another)
#: -> (test dataset type, data root)
TEST_SETS = {'ibims': ('IBimsDataset', 'data/ibims'),
             'sunrgbd': ('SUNRGBDDataset', 'data/sunrgbd'),
             'diode': ('DIODEDataset', 'data/diode')}
DATASETS = {  # name part -> (dataset type, data root)
    'nyu': ('NYUDepthDataset', 'data/nyu'),
    'kitti': ('KITTIDepthDataset', 'data/kitti'),
    'synthetic-nyu': ('NYUDepthDataset', 'data/synthetic_nyu'),
    'synthetic-kitti': ('KITTIDepthDataset', 'data/synthetic_kitti'),
    'custom': ('CustomDepthDataset', 'data/custom'),
}
#: frame size of the generated NYU-like data of the jobs (tools/scripts/job_lib.sh); the NYU
#: 416x544 random crop keeps such frames whole, so they are the training crops
SYNTHETIC_NYU_FRAME = (96, 128)


@functools.cache
def _load(path: Path) -> Config:
    return Config.fromfile(str(path))


def _base_files(path: Path) -> list:
    """The config files ``path`` inherits from, transitively (resolved paths)."""
    tree = ast.parse(path.read_text())
    out = []
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == '_base_'):
            value = ast.literal_eval(node.value)
            for rel in [value] if isinstance(value, str) else value:
                base = (path.parent / rel).resolve()
                out += [base] + _base_files(base)
    return out


def _parse(path: Path) -> dict:
    if path == KEPT_NAME:
        path = KEPT_TARGET
    match = NAME.match(path.name)
    assert match, f'{path.name} does not follow {NAME.pattern}'
    return match.groupdict()


def _split_dgr_method(method: str):
    """'pixelformer-dgr-otdl-only' -> ('pixelformer', 'dgr-otdl-only')."""
    for base in sorted(set().union(*METHODS.values()), key=len, reverse=True):
        if method.startswith(base + '-') and method[len(base) + 1:] in VARIANTS:
            return base, method[len(base) + 1:]
    raise AssertionError(f'{method}: not <baseline method>-<one of {sorted(VARIANTS)}>')


def _folder_of(method: str) -> str:
    return next(folder for folder, methods in METHODS.items() if method in methods)


def _loss_types(head) -> list:
    loss = head.loss_decode
    return [item.type for item in (loss if isinstance(loss, (list, tuple)) else [loss])]


def _has_dgr(model) -> bool:
    necks = [model.get('neck')] if model.get('neck') is not None else []
    necks += [n for neck in necks if neck.type == 'SequentialNeck' for n in neck.necks]
    return (model.backbone.type == 'DGRBackbone'
            or any(neck.type == 'DGRNeck' for neck in necks))


def test_config_tree_is_one_folder_per_method():
    dirs = {p.relative_to(CONFIG_DIR).as_posix() for p in CONFIG_DIR.rglob('*')
            if p.is_dir() and '__pycache__' not in p.parts}
    assert dirs == {'_base_', '_base_/datasets', '_base_/losses', '_base_/models',
                    '_base_/schedules', 'dgr', *METHODS}
    assert len(CONFIGS) == 74
    assert all(len(p.relative_to(CONFIG_DIR).parts) == 2 for p in CONFIGS)
    assert sorted(p.name for p in BASE_DIR.glob('*.py')) == ['cpu_synthetic.py',
                                                             'default_runtime.py']
    assert sorted(p.name for p in (BASE_DIR / 'losses').glob('*.py')) == [
        'mse-otdl.py', 'mse-otdl_synthetic.py']


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_name_says_what_it_trains(path):
    """Method and folder, batch, schedule, dataset and crop in the name match the config."""
    name = _parse(path)
    folder = path.parent.name
    if folder == 'dgr':
        base_method, _ = _split_dgr_method(name['method'])
        assert base_method != 'sparse-probe'
    else:
        assert name['method'] in METHODS[folder], (folder, name['method'])
    cfg = _load(path)
    assert cfg.train_dataloader.batch_size == int(name['batch'])
    if cfg.get('auto_scale_lr'):
        assert cfg.auto_scale_lr.base_batch_size == int(name['gpus']) * int(name['batch'])
    iters = cfg.train_cfg.max_iters
    assert (iters // 1000 if name['unit'] == 'k' else iters) == int(name['iters']), iters
    dataset = cfg.train_dataloader.dataset
    assert (dataset.type, dataset.data_root) == DATASETS[name['dataset']]
    test_set = cfg.test_dataloader.dataset
    if name['testset']:
        assert (test_set.type, test_set.data_root) == TEST_SETS[name['testset']]
    else:
        assert test_set.data_root == dataset.data_root
    crop = next(t.crop_size for t in dataset.pipeline if t.type == 'RandomCrop')
    size = (int(name['height']), int(name['width']))
    if name['dataset'] == 'synthetic-nyu':
        assert size == SYNTHETIC_NYU_FRAME and all(c >= s for c, s in zip(crop, size, strict=True))
    else:
        assert tuple(crop) == size


@pytest.mark.parametrize('path', [p for p in CONFIGS if p.parent.name == 'dgr'],
                         ids=[i for i in IDS if i.startswith('dgr/')])
def test_dgr_config_extends_its_baseline_as_named(path):
    """configs/dgr/{model}-{variant}_{rest}.py inherits configs/<folder>/{model}_{rest}.py and
    adds what the variant says (DGR or not; the depth loss; lambda_OTDL of the fragments)."""
    name = _parse(path)
    base_method, variant = _split_dgr_method(name['method'])
    named = KEPT_TARGET if path == KEPT_NAME else path
    baseline = (CONFIG_DIR / _folder_of(base_method)
                / (base_method + named.name[len(name['method']):]))
    assert baseline.is_file(), baseline
    bases = _base_files(path)
    assert baseline in bases
    cfg, base_cfg = _load(path), _load(baseline)
    adds_dgr, losses = VARIANTS[variant]
    if losses is None:  # '-dgr': the paper's "+ DGR" rows use Eq. 21, the plain baselines keep
        losses = ('baseline' if base_method == 'multiscale-depth'
                  else ['DepthMSELoss', 'OTDLLoss'])
    if losses == 'baseline':
        losses = _loss_types(base_cfg.model.decode_head)
    assert _has_dgr(cfg.model) == adds_dgr and not _has_dgr(base_cfg.model)
    assert _loss_types(cfg.model.decode_head) == losses
    if 'OTDLLoss' in losses and variant != 'dgr-otdl-only':
        synthetic = name['dataset'].startswith('synthetic')
        assert (SYNTHETIC_LOSS_FRAGMENT if synthetic else LOSS_FRAGMENT).resolve() in bases
        assert cfg.lambda_otdl == (1.0 if synthetic else 0.1)
        otdl = cfg.model.decode_head.loss_decode[losses.index('OTDLLoss')]
        assert otdl.loss_weight == cfg.lambda_otdl
    elif variant == 'dgr-otdl-only':
        assert cfg.model.decode_head.loss_decode[0].loss_weight == 1.0
    # everything but the model (and the helper variables of the loss fragment) is the baseline's
    for key in set(base_cfg) - {'model'}:
        assert cfg[key] == base_cfg[key], key


def test_kept_table3_name_is_the_hahi_dgr_config():
    assert KEPT_TARGET in _base_files(KEPT_NAME)
    assert _load(KEPT_NAME).to_dict() == _load(KEPT_TARGET).to_dict()
    assert not (CONFIG_DIR / 'dgr' / 'depthformer_dgr_nyu.py').exists()


def _otdl_calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'dict':
            kw = {k.arg: k.value for k in node.keywords}
            if isinstance(kw.get('type'), ast.Constant) and kw['type'].value == 'OTDLLoss':
                yield kw.get('loss_weight')


def test_lambda_otdl_is_written_once():
    """lambda_OTDL of Eq. 21 is a literal only in the loss fragments: 0.1, and 1 once for the
    synthetic comparison; every other OTDL weight is the fragment's variable, or 1 for the
    OTDL-only rows of Table 4."""
    assigned = {}
    for path in sorted(CONFIG_DIR.rglob('*.py')):
        for node in ast.parse(path.read_text()).body:
            if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == 'lambda_otdl'):
                assigned[path] = ast.literal_eval(node.value)
        for weight in _otdl_calls(path):
            if path.name.split('_')[0].endswith('-otdl-only'):
                assert isinstance(weight, ast.Constant) and weight.value == 1.0, path
            else:
                assert path == LOSS_FRAGMENT and isinstance(weight, ast.Name), path
                assert weight.id == 'lambda_otdl'
    assert assigned == {LOSS_FRAGMENT: 0.1, SYNTHETIC_LOSS_FRAGMENT: 1.0}
    users = [p for p in CONFIGS if LOSS_FRAGMENT.resolve() in _base_files(p)]
    # 22 NYU/KITTI configs add it, 5 synthetic ones its lambda-1 override, 3 inherit it
    # (PixelFormer's Table 4 rows and dgr/depthformer_dgr_kitti.py)
    assert len(users) == 30


@pytest.mark.parametrize('path', [p for p in CONFIGS if 'synthetic' in p.name
                                  and p.parent.name != 'probe'],
                         ids=[i for i in IDS if 'synthetic' in i and not i.startswith('probe')])
def test_synthetic_configs_take_the_cpu_fragment(path):
    """The CPU/no-download settings come from _base_/cpu_synthetic.py, not from the configs."""
    assert CPU_FRAGMENT.resolve() in _base_files(path)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'dict':
            kw = {k.arg: k.value for k in node.keywords}
            assert not (isinstance(kw.get('type'), ast.Constant) and kw['type'].value == 'BN')
    cfg = _load(path)
    model = cfg.model
    backbone = model.backbone.backbone if model.backbone.type == 'DGRBackbone' else model.backbone
    assert backbone.init_cfg is None
    assert cfg.norm_cfg == dict(type='BN', requires_grad=True)
    assert model.decode_head.norm_cfg == cfg.norm_cfg and model.decode_head.channels == 64
    if backbone.type == 'ResNet':
        assert backbone.norm_cfg == cfg.norm_cfg
    else:
        assert backbone.drop_path_rate == 0.0


def test_dgr_readme_maps_every_dgr_config():
    readme = (CONFIG_DIR / 'dgr' / 'README.md').read_text()
    for path in (CONFIG_DIR / 'dgr').glob('*.py'):
        assert f'({path.name})' in readme, path.name


def _batch(cfg: Config, size=(64, 96), n=2):
    max_depth = cfg.model.get('decode_head', {}).get('max_depth', 10.0)
    gen = torch.Generator().manual_seed(0)
    inputs = [torch.randint(0, 255, (3, *size), generator=gen, dtype=torch.uint8)
              for _ in range(n)]
    samples = []
    for _ in range(n):
        gt = torch.rand(1, *size, generator=gen) * max_depth
        gt[:, :4] = 0  # some invalid pixels
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size, pad_shape=size))
        sample.gt_depth_map = PixelData(data=gt)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_builds_and_runs(path):
    cfg = _load(path)
    assert cfg.default_scope == 'mmseg'
    assert cfg.custom_imports == dict(imports=['mmdepth_dgr'], allow_failed_imports=False)
    for key in ('train_dataloader', 'test_dataloader', 'test_evaluator', 'optim_wrapper'):
        assert key in cfg, key
    model_cfg = sync_bn_to_bn(strip_pretrained(copy.deepcopy(cfg.model)))
    model = MODELS.build(model_cfg)
    model.init_weights()
    batch = _batch(cfg)
    model.train()
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        out = model(**data, mode='predict')
    pred = out[0].pred_depth_map.data
    assert pred.shape == (1, 64, 96)
    if cfg.model.type == 'SparsePixelProbe':  # mask net G in front of a frozen depth network N
        _check_probe(model, out[0])
        return
    head = cfg.model.decode_head
    assert pred.min() >= head.get('min_depth', 0) - 1e-6
    assert pred.max() <= head.get('max_depth', float('inf')) + 1e-6


def _check_probe(model, sample):
    """N (built from its config, random weights) stayed frozen; the outputs are probe outputs."""
    assert all(not p.requires_grad and p.grad is None for p in model.target.parameters())
    assert all(p.grad is not None for p in model.mask_net.parameters())
    assert set(sample.pred_mask.data.unique().tolist()) <= {0.0, 1.0}
    head = model.target.decode_head
    for key in ('pred_depth_map', 'pred_full_depth_map'):
        depth = sample.get(key).data
        assert depth.shape == (1, 64, 96)
        assert head.min_depth - 1e-6 <= depth.min() and depth.max() <= head.max_depth + 1e-6


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_keeps_real_pretrained_urls_or_says_why(path):
    """Real configs name the published checkpoints; synthetic ones switch them off explicitly."""
    cfg = _load(path)
    model = cfg.model
    if model.type == 'SparsePixelProbe':  # G trains from scratch; its target N follows the rule
        assert model.mask_net.get('init_cfg') is None
        assert Path(model.target).resolve().parent == CONFIG_DIR / 'multiscale_depth'
        model = Config.fromfile(model.target).model
    backbone = model.backbone
    if backbone.type == 'DGRBackbone':  # DGR blocks inside the encoder: the inner one loads
        backbone = backbone.backbone
    init_cfg = backbone.get('init_cfg')
    if 'synthetic' in path.name:
        assert init_cfg is None
    else:
        assert init_cfg['type'] == 'Pretrained'
        assert init_cfg['checkpoint'].startswith(('https://', 'torchvision://'))


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_holds_only_values_mmseg_understands(path):
    """mmseg's own tools read env_cfg and runner_type: a real backend, a registered runner."""
    cfg = _load(path)
    backend = cfg.env_cfg.dist_cfg.backend
    assert backend in ('nccl', 'gloo', 'mpi'), f'{path.name}: dist backend {backend!r}'
    assert RUNNERS.get(cfg.runner_type) is DepthRunner
