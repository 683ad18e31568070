"""Parity recipes (:class:`~.parity.ParitySpec`) for the official code of the six models.

Each recipe imports the official model from a checkout of its repository at run time,
builds it as the official scripts do for the released NYU models (random weights, no
download) and names this project's config, converter and comparison points. The
official repositories (commits checked are on each model-zoo page):

=================  ======================================  ==============================
name               repository (folder imported)            official constructor
=================  ======================================  ==============================
dpt                isl-org/DPT (root)                      ``DPTDepthModel('vitb_rn50_384')``
pixelformer        ashutosh1807/PixelFormer (pixelformer)  ``PixelFormer('large07')``
pixelformer-base   ashutosh1807/PixelFormer (pixelformer)  ``PixelFormer('base07')``
adabins            shariqfarooq123/AdaBins (root)          ``UnetAdaptiveBins.build(256)``
transdepth         ygjwd12345/TransDepth (pytorch)         ``BtsModel`` (ViT encoder)
depthformer-       ashutosh1807/Depthformer (root)         ``UnetAdaptiveBins(mit_b4())``
transbins
depthformer-hahi   zhyever/Monocular-Depth-Estimation-     ``DepthFormerSwin`` +
                   Toolbox (root)                          ``HAHIHeteroNeck`` +
                                                           ``DenseDepthHead`` of its NYU config
=================  ======================================  ==============================

The toolbox of DepthFormer-HAHI is built on mmcv 1.x (``mmcv.runner``, ``mmcv.cnn`` of that
API); its three modules are imported with stand-ins for those names taken from mmcv 2 and
mmengine (:func:`_mmcv1_stand_ins`).

Their third-party dependencies (timm 0.4.5 for DPT, PixelFormer and the ICIP'22 Depthformer,
geffnet for AdaBins, ml-collections for TransDepth) must be importable.
"""
import contextlib
import importlib
import sys
import types
from pathlib import Path
from typing import Callable, Dict, Iterator, Optional, Tuple
from unittest import mock

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .adabins import convert_adabins
from .depthformer import convert_depthformer_hahi, convert_depthformer_transbins
from .dpt import DPT_INVERSE_DEPTH, convert_dpt_hybrid
from .parity import ParitySpec, load_official_module
from .pixelformer import convert_pixelformer
from .transdepth import convert_transdepth_checkpoint
from .utils import StateDict


@contextlib.contextmanager
def _cuda_is_a_no_op() -> Iterator[None]:
    """Let official code that calls ``.cuda()`` run on the CPU (placement only, no math)."""
    with mock.patch.object(nn.Module, 'cuda', lambda self, *a, **k: self), \
            mock.patch.object(torch.Tensor, 'cuda', lambda self, *a, **k: self):
        yield

# ---------------------------------------------------------------------------------- DPT
_DPT_SCALE, _DPT_SHIFT = DPT_INVERSE_DEPTH['nyu']


def _build_dpt(repo_dir: str) -> nn.Module:
    models = load_official_module(repo_dir, 'dpt.models')
    return models.DPTDepthModel(path=None, scale=_DPT_SCALE, shift=_DPT_SHIFT, invert=True,
                                backbone='vitb_rn50_384', non_negative=True,
                                enable_attention_hooks=False)


def _dpt_forward(model: nn.Module, x: Tensor) -> Tensor:
    return model(x).unsqueeze(1)  # (B, H, W) depth, 1 / (scale * x + shift)


def _convert_dpt(state: StateDict) -> StateDict:
    return convert_dpt_hybrid(state, depth_scale=_DPT_SCALE)[0]


# -------------------------------------------------------------------------- PixelFormer
def _pixelformer_builder(version: str):
    def build(repo_dir: str) -> nn.Module:
        module = load_official_module(repo_dir, 'networks.PixelFormer', subdir='pixelformer')
        return module.PixelFormer(version=version, inv_depth=False, max_depth=10.0,
                                  pretrained=None)
    return build


def _pixelformer_forward(model: nn.Module, x: Tensor) -> Tensor:
    return model(x)


# ------------------------------------------------------------------------------ AdaBins
_ADABINS_RANGE = (1e-3, 10.0)  # args_train_nyu.txt: --min_depth 0.001 --max_depth 10


def _build_adabins(repo_dir: str) -> nn.Module:
    """``UnetAdaptiveBins.build(n_bins=256, min_val=1e-3, max_val=10)`` as train.py does.

    ``build`` fetches ``tf_efficientnet_b5_ap`` with ``torch.hub.load`` from
    rwightman/gen-efficientnet-pytorch; that repository is the ``geffnet``
    package, so the same constructor is called from the package
    (``pretrained=False``: random weights, no download).
    """
    import geffnet  # the package of the hub repository that AdaBins loads

    module = load_official_module(repo_dir, 'models.unet_adaptive_bins')

    def hub_load(_repo, name, pretrained=True, **kwargs):
        return geffnet.create_model(name, pretrained=False, **kwargs)

    with mock.patch.object(torch.hub, 'load', hub_load):
        return module.UnetAdaptiveBins.build(n_bins=256, min_val=_ADABINS_RANGE[0],
                                             max_val=_ADABINS_RANGE[1], norm='linear')


def _adabins_forward(model: nn.Module, x: Tensor) -> Tensor:
    """infer.py's ``predict`` without the flip: bilinear (align_corners) to the input, clip."""
    pred = model(x)[1]
    pred = F.interpolate(pred, x.shape[-2:], mode='bilinear', align_corners=True)
    return pred.clamp(*_ADABINS_RANGE)


# ---------------------------------------------------------------------------- TransDepth
_TRANSDEPTH_SIZE = (192, 256)
_NYU_FOCAL = 518.8579


def _build_transdepth(repo_dir: str) -> nn.Module:
    """``BtsModel(params)`` of pytorch/bts.py with the NYU test arguments.

    Two shims, neither touching the math: ``.cuda()`` is a no-op (the official
    code places modules and tensors on the GPU itself), and the ImageNet-21k
    ``R50+ViT-B_16.npz`` that the constructor loads is skipped (random
    weights instead).
    """
    import numpy as np

    bts = load_official_module(repo_dir, 'bts', subdir='pytorch')
    params = mock.Mock(max_depth=10.0, dataset='nyu', bts_size=512,
                       input_height=_TRANSDEPTH_SIZE[0], input_width=_TRANSDEPTH_SIZE[1],
                       encoder='R50-ViT-B_16')
    with _cuda_is_a_no_op(), mock.patch.object(np, 'load', lambda *a, **k: None), \
            mock.patch.object(bts.ViT_seg, 'load_from', lambda self, weights: None):
        return bts.BtsModel(params)


def _transdepth_forward(model: nn.Module, x: Tensor) -> Tensor:
    """``BtsModel.forward`` with the structured attention at rank 0 (deterministic).

    ``BtsModel.forward(x, focal, rank)`` hands ``rank`` to
    ``AttentionGraphCondKernel.forward(c1, c2, c3, c4, epoch=100, rank=3)`` as the
    fifth positional argument, i.e. as ``epoch``: the official model always runs
    rank 3, whose channel weights are ``torch.randn`` draws at every call. The
    same three steps are run here with ``rank=0`` given by keyword. The default
    dtype follows the input's: TransUNet pads the odd-sized 1/4 and 1/8 skip
    maps into a fresh ``torch.zeros`` buffer of the default dtype, which would
    round a float64 run to float32 there.
    """
    focal = torch.full((x.shape[0], ), _NYU_FOCAL, dtype=x.dtype)
    default = torch.get_default_dtype()
    torch.set_default_dtype(x.dtype)
    try:
        with _cuda_is_a_no_op():
            skip = model.encoder(x)
            skip[5] = model.AttentionGraphCondKernel(skip[2], skip[3], skip[4], skip[5],
                                                     rank=0)
            return model.decoder(skip, focal)[-1]
    finally:
        torch.set_default_dtype(default)


def _convert_transdepth(state: StateDict) -> StateDict:
    return convert_transdepth_checkpoint(state)[0]


def _convert_adabins(state: StateDict) -> StateDict:
    return convert_adabins(state)[0]


# ------------------------------------------------------------------ DepthFormer-Transbins
def _build_transbins(repo_dir: str) -> nn.Module:
    """``UnetAdaptiveBins(mit_b4(), n_bins=256, min_val=1e-3, max_val=10)`` (ICIP'22 code).

    The official ``build`` is this call after loading SegFormer weights from
    ``$SEGFORMER_PATH`` (skipped: random weights). Its ``mix_transformer.py``
    imports ``mmcv.runner.load_checkpoint``, gone in mmcv 2; a stand-in module
    is given for the import only (it is called only with pretrained weights).
    """
    import sys
    import types

    stub = types.ModuleType('mmcv.runner')

    def load_checkpoint(*args, **kwargs):
        raise RuntimeError('mmcv.runner.load_checkpoint stand-in: not for pretrained weights')

    stub.load_checkpoint = load_checkpoint
    with mock.patch.dict(sys.modules, {'mmcv.runner': sys.modules.get('mmcv.runner', stub)}):
        module = load_official_module(repo_dir, 'models.unet_adaptive_bins')
    return module.UnetAdaptiveBins(module.mit_b4(), n_bins=256, min_val=_ADABINS_RANGE[0],
                                   max_val=_ADABINS_RANGE[1], norm='linear')


def _convert_transbins(state: StateDict) -> StateDict:
    return convert_depthformer_transbins(state)


# ---------------------------------------------------------------------- DepthFormer-HAHI
_HAHI_SIZE = (96, 128)


def _identity_decorator(*_args, **_kwargs):
    """Stand-in of mmcv 1's ``auto_fp16`` / ``force_fp32``: fp16 casting off (as in float runs)."""
    return lambda func: func


def _mmcv1_stand_ins(root: Path) -> Tuple[Dict[str, types.ModuleType], list]:
    """Stand-ins for the mmcv 1.x names the toolbox imports, taken from mmcv 2 / mmengine.

    Every stand-in is the same computation under its mmcv 1 name (``BaseModule``,
    ``ModuleList``, ``Sequential``, the weight initialisers, ``_BatchNorm``) or
    bookkeeping that inference does not reach (registries, checkpoint loading,
    fp16 decorators, the loss). The ``depth`` packages are namespace stand-ins
    (their ``__init__`` files import the whole toolbox: datasets, matplotlib,
    every model); the files of the modules used, and of what they import, are
    the official ones.

    Returns:
        tuple: ``sys.modules`` entries, and ``(owner, name, value)`` attributes
        to add to mmcv 2 modules, both for the time of the import.
    """
    import logging

    import mmcv.cnn
    import mmcv.cnn.bricks.transformer as mmcv_transformer
    from mmengine.model import BaseModule, ModuleList, Sequential
    from mmengine.model.weight_init import constant_init, trunc_normal_init, xavier_init
    from mmengine.registry import MODELS as MMENGINE_MODELS
    from mmengine.registry import Registry
    from torch.nn.modules.batchnorm import _BatchNorm

    def module(name: str, path: Optional[Path] = None, **attrs) -> types.ModuleType:
        mod = types.ModuleType(name)
        if path is not None:  # a package whose submodules are the official files
            mod.__path__ = [str(path)]
            mod.__file__ = str(path / '__init__.py')
        mod.__dict__.update(attrs)
        return mod

    def no_checkpoint(*_args, **_kwargs):
        raise RuntimeError('mmcv.runner stand-in: no checkpoint loading in the parity check')

    runner = module('mmcv.runner', BaseModule=BaseModule, ModuleList=ModuleList,
                    Sequential=Sequential, auto_fp16=_identity_decorator,
                    force_fp32=_identity_decorator, _load_checkpoint=no_checkpoint)
    registries = {name: Registry(name.lower()) for name in (
        'BACKBONES', 'NECKS', 'HEADS', 'LOSSES', 'DEPTHER', 'ATTENTION')}
    pkg = root / 'depth'
    modules = {
        'mmcv.runner': runner, 'mmcv.runner.base_module': runner,
        'mmcv.utils.parrots_wrapper': module('mmcv.utils.parrots_wrapper', _BatchNorm=_BatchNorm),
        'mmcv.cnn.utils.weight_init': module('mmcv.cnn.utils.weight_init',
                                             constant_init=constant_init),
        'depth': module('depth', pkg),
        'depth.utils': module('depth.utils', pkg / 'utils',
                              get_root_logger=lambda *a, **k: logging.getLogger('depth')),
        'depth.models': module('depth.models', pkg / 'models'),
        'depth.models.builder': module('depth.models.builder',
                                       build_loss=lambda cfg: nn.Module(), **registries),
        'depth.models.utils': module('depth.models.utils', pkg / 'models' / 'utils'),
    }
    for sub in ('backbones', 'necks', 'decode_heads'):
        modules[f'depth.models.{sub}'] = module(f'depth.models.{sub}', pkg / 'models' / sub)
    attributes = [(mmcv.cnn, 'trunc_normal_init', trunc_normal_init),
                  (mmcv.cnn, 'xavier_init', xavier_init),
                  (mmcv.cnn, 'constant_init', constant_init),
                  (mmcv.cnn, 'UPSAMPLE_LAYERS', MMENGINE_MODELS),
                  (mmcv_transformer, 'POSITIONAL_ENCODING', Registry('positional encoding'))]
    return modules, attributes


class _CastOutput(nn.Module):
    """Run a parameterless module and cast its output to ``self.dtype`` (set by the caller)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module
        self.dtype = torch.float32

    def forward(self, *args) -> Tensor:
        return self.module(*args).to(self.dtype)


class _HAHIDepther(nn.Module):
    """The toolbox's ``DepthEncoderDecoder`` at test time: backbone, neck, head, clamp, resize.

    The neck's ``SinePositionalEncoding`` computes in float32 whatever the model's
    dtype (``cumsum(dtype=torch.float32)``), and its output then meets the
    weights of ``reference_points``: a float64 model fails there. So that the
    official model runs in float64 at all, the two encodings' outputs are cast to
    the input's dtype (a no-op in float32; this project's neck does the same cast).
    """

    def __init__(self, backbone: nn.Module, neck: nn.Module, decode_head: nn.Module,
                 resize: Callable) -> None:
        super().__init__()
        for name in ('trans_positional_encoding', 'conv_positional_encoding'):
            setattr(neck, name, _CastOutput(getattr(neck, name)))
        self.backbone, self.neck, self.decode_head = backbone, neck, decode_head
        self._resize = resize

    def forward(self, x: Tensor) -> Tensor:
        """``encode_decode(img, img_metas, rescale=True)`` of encoder_decoder.py."""
        self.neck.trans_positional_encoding.dtype = x.dtype
        self.neck.conv_positional_encoding.dtype = x.dtype
        out = self.decode_head(self.neck(self.backbone(x)), None)
        out = torch.clamp(out, min=self.decode_head.min_depth, max=self.decode_head.max_depth)
        return self._resize(out, size=x.shape[2:], mode='bilinear',
                            align_corners=self.decode_head.align_corners)


def _build_hahi(repo_dir: str) -> nn.Module:
    """``configs/depthformer/depthformer_swinl_22k_w7_nyu.py`` of the toolbox, without weights.

    The three modules of the config (``DepthFormerSwin``, ``HAHIHeteroNeck``,
    ``DenseDepthHead``) are built from the config file with the toolbox's own
    classes, imported with the stand-ins of :func:`_mmcv1_stand_ins` (the toolbox
    needs mmcv 1.x); the neck's two ``SinePositionalEncoding`` are built from the
    toolbox's class directly (its mmcv 1 registry is gone). The neck's own
    ``init_weights`` fills its ``level_embed`` (allocated uninitialised).
    """
    from mmengine.config import Config

    root = Path(repo_dir).resolve()
    cfg = Config.fromfile(str(root / 'configs/depthformer/depthformer_swinl_22k_w7_nyu.py'))
    modules, attributes = _mmcv1_stand_ins(root)
    utils_names = (('ckpt_convert', ('swin_convert', 'vit_convert')),
                   ('embed', ('PatchEmbed', 'PatchEmbedSwin')), ('res_layer', ('ResLayer', )),
                   ('up_conv_block', ('UpConvBlock', 'BasicConvBlock')))

    def parts(part_cfg) -> dict:
        part_cfg = dict(part_cfg)
        part_cfg.pop('type')
        return part_cfg

    # sys.modules is restored on leaving: the toolbox's modules do not outlive the build
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(sys.modules, modules))
        for owner, name, value in attributes:
            stack.enter_context(mock.patch.object(owner, name, value, create=True))
        utils = modules['depth.models.utils']
        for sub, names in utils_names:
            loaded = importlib.import_module(f'depth.models.utils.{sub}')
            for name in names:
                setattr(utils, name, getattr(loaded, name))
        encoding = importlib.import_module('depth.utils.position_encoding')
        swin = importlib.import_module('depth.models.backbones.depthformer_swin')
        hahi = importlib.import_module('depth.models.necks.hahi')
        head = importlib.import_module('depth.models.decode_heads.densedepth_head')
        ops = importlib.import_module('depth.ops')

        def positional_encoding(pos_cfg, default_args=None):
            pos_cfg = parts(pos_cfg)
            return encoding.SinePositionalEncoding(**pos_cfg)

        stack.enter_context(mock.patch.object(hahi, 'build_positional_encoding',
                                              positional_encoding))
        backbone = swin.DepthFormerSwin(**parts(cfg.model.backbone))
        neck = hahi.HAHIHeteroNeck(**parts(cfg.model.neck))
        neck.init_weights()
        decode_head = head.DenseDepthHead(**parts(cfg.model.decode_head))
    return _HAHIDepther(backbone, neck, decode_head, ops.resize)


def _hahi_forward(model: nn.Module, x: Tensor) -> Tensor:
    return model(x)


SPECS: Dict[str, ParitySpec] = {
    'dpt': ParitySpec(
        name='dpt', config='configs/dpt/dpt_r50-vit-b16_4xb4-80k_nyu-416x544.py',
        build_official=_build_dpt, convert=_convert_dpt, official_forward=_dpt_forward,
        head_modules=('scratch.output_conv.4', 'decode_head.conv_depth'),
        official_head_scale=_DPT_SCALE, input_size=(352, 480),
        note='head output: the last 1x1 conv (official x scale, which the converter folds '
             'in); full resolution: depth 1 / (scale * x + shift) of the NYU model'),
    'pixelformer': ParitySpec(
        name='pixelformer', config='configs/pixelformer/pixelformer_swin-l_4xb2-80k_nyu-'
        '416x544.py', build_official=_pixelformer_builder('large07'),
        convert=convert_pixelformer, official_forward=_pixelformer_forward,
        head_modules=('disp_head1.conv1', 'decode_head.conv_depth'), input_size=(224, 320),
        note="version 'large07' (the released nyu.pth/kitti.pth); head output: the bin "
             'logits at 1/4; the official total counts the four unused SAM proj convs'),
    'pixelformer-base': ParitySpec(
        name='pixelformer-base', config='configs/pixelformer/pixelformer_swin-b_4xb2-80k_nyu-'
        '416x544.py', build_official=_pixelformer_builder('base07'),
        convert=convert_pixelformer, official_forward=_pixelformer_forward,
        head_modules=('disp_head1.conv1', 'decode_head.conv_depth'), input_size=(224, 320),
        note="version 'base07'; head output: the bin logits at 1/4"),
    'adabins': ParitySpec(
        name='adabins', config='configs/adabins/adabins_efficientnet-b5_4xb4-80k_nyu-'
        '416x544.py', build_official=_build_adabins, convert=_convert_adabins,
        official_forward=_adabins_forward, head_modules=('conv_out.0', 'decode_head.conv_out'),
        input_size=(416, 544),
        note='head output: the bin logits at 1/2; full resolution: infer.py (no flip); '
             'EfficientNet-B5 built by the geffnet package that the hub call loads'),
    'depthformer-transbins': ParitySpec(
        name='depthformer-transbins', config='configs/depthformer/depthformer-transbins_'
        'mit-b4_4xb4-80k_nyu-416x544.py', build_official=_build_transbins,
        convert=_convert_transbins, official_forward=_adabins_forward,
        head_modules=('conv_out.0', 'decode_head.conv_out'), input_size=(416, 544),
        note='head output: the bin logits at 1/2; full resolution: evaluate.py (bilinear, '
             'align_corners) clipped to [1e-3, 10]'),
    'depthformer-hahi': ParitySpec(
        name='depthformer-hahi', config='configs/depthformer/depthformer-hahi_swin-l_4xb4-80k_'
        'nyu-416x544.py', build_official=_build_hahi, convert=convert_depthformer_hahi,
        official_forward=_hahi_forward,
        head_modules=('decode_head.conv_depth', 'decode_head.conv_depth'),
        input_size=_HAHI_SIZE,
        note='config depthformer_swinl_22k_w7_nyu.py; head output: the last conv (before '
             'ReLU + min_depth); full resolution: encode_decode (clamp, bilinear align_corners); '
             'mmcv 1 names given by mmcv 2 / mmengine stand-ins'),
    'transdepth': ParitySpec(
        name='transdepth', config='configs/transdepth/transdepth_r50-vit-b16_4xb2-151k_nyu-'
        '416x544.py', build_official=_build_transdepth, convert=_convert_transdepth,
        official_forward=_transdepth_forward,
        head_modules=('decoder.get_depth.0', 'decode_head.conv_depth'),
        input_size=_TRANSDEPTH_SIZE, cfg_options=dict(decode_head=dict(test_attention_rank=0)),
        official_commit_path='pytorch',
        note='structured attention at rank 0 on both sides (by keyword: the official '
             'BtsModel.forward passes its rank as `epoch`, so it always runs rank 3 with random '
             'draws); .cuda() calls and the ImageNet npz loading shimmed out'),
}

__all__ = ['SPECS']
