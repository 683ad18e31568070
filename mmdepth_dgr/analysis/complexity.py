"""Parameter and FLOP counts of depth models (model-zoo tables, DGR cost benchmark).

FLOPs are counted by mmengine's fvcore-style tracer (:class:`mmengine.analysis.
FlopAnalyzer`) on the model's tensor-mode forward (``DepthEstimator._forward``:
backbone, neck, decode head, no post-processing), batch 1. As in mmengine,
fvcore and mmseg's ``get_flops``, one "FLOP" is one multiply-accumulate of a
conv / linear / matmul / einsum; norms and pooling are counted with mmengine's
per-element rules; elementwise ops (activations, additions, the channel
attention product) are not counted.

What DGR adds is counted as follows: the fixed derivative filters and the
spatial conv are ``conv2d`` calls, counted by mmengine's conv handle (depthwise
weights, so ``C * k * k`` per pixel); the per-pixel outer product is an
``einsum('bihw,bjhw->bijhw')``. mmengine's generic einsum handle counts an
equation without a contracted index as half of its output size (it halves
numpy's FLOP estimate to get MACs); :func:`einsum_flop_handle` replaces it and
counts one multiplication per output element for such outer products
(contractions still go to mmengine's handle).
"""
import copy
import os.path as osp
from typing import Any, Dict, List, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import einsum_flop_jit, get_shape
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from ..models.utils import DGRBlock
from ..utils import strip_pretrained, sync_bn_to_bn

ConfigLike = Union[str, Config, ConfigDict, dict]


def einsum_flop_handle(inputs: List[Any], outputs: List[Any]) -> int:
    """FLOP handle for ``aten::einsum`` that counts outer products exactly.

    Args:
        inputs (list): JIT inputs (equation, operand list).
        outputs (list): JIT outputs.

    Returns:
        int: ``(n_operands - 1) * output.numel()`` when no index is summed
        over (outer / elementwise products), else mmengine's count.
    """
    equation = inputs[0].toIValue().replace(' ', '')
    if '->' in equation:
        lhs, rhs = equation.split('->')
        operands = lhs.split(',')
        if set(''.join(operands)) <= set(rhs) and '.' not in equation:
            numel = 1
            for dim in get_shape(outputs[0]):
                numel *= dim
            return (len(operands) - 1) * numel
    return einsum_flop_jit(inputs, outputs)


def flop_analyzer(module: nn.Module, inputs: Tuple) -> FlopAnalyzer:
    """An mmengine FlopAnalyzer with the project's handles and quiet warnings.

    Args:
        module (nn.Module): The module to trace.
        inputs (tuple): Positional inputs of ``module.forward``.

    Returns:
        FlopAnalyzer: Ready to query (``total()``, ``by_module()``, ``by_operator()``).
    """
    analyzer = FlopAnalyzer(module, inputs)
    analyzer.set_op_handle('aten::einsum', einsum_flop_handle)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    analyzer.tracer_warnings('none')
    return analyzer


def _as_model_cfg(cfg: ConfigLike) -> Tuple[dict, str]:
    """The (copied) model config and the default scope of a config path / object."""
    if isinstance(cfg, str):
        if not osp.isfile(cfg):
            raise FileNotFoundError(f'config file not found: {cfg}')
        cfg = Config.fromfile(cfg)
    if 'model' in cfg:
        return copy.deepcopy(cfg['model']), cfg.get('default_scope', 'mmseg') or 'mmseg'
    if 'type' in cfg:  # a model config itself
        return copy.deepcopy(cfg), 'mmseg'
    raise KeyError('model_complexity: the config has no "model" key')


def build_model_for_analysis(cfg: ConfigLike) -> nn.Module:
    """Build a config's model offline for analysis (pretrained off, SyncBN -> BN), eval mode.

    Args:
        cfg (str | Config | dict): Config path, Config, or a model config dict.

    Returns:
        nn.Module: The model in eval mode.
    """
    model_cfg, scope = _as_model_cfg(cfg)
    init_default_scope(scope)
    model = MODELS.build(sync_bn_to_bn(strip_pretrained(model_cfg)))
    return model.eval()


class _TensorMode(nn.Module):
    """``model(x, mode='tensor')`` as a plain module, for the tracer."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor):
        return self.model(x, None, mode='tensor')


def _sum_over(model: nn.Module, per_module: Dict[str, int], kind: type, prefix: str) -> int:
    """Sum ``per_module`` entries of every top-most submodule of type ``kind``."""
    return sum(per_module.get(prefix + name, 0) for name, m in model.named_modules()
               if isinstance(m, kind))


def module_complexity(module: nn.Module, inputs: Tuple) -> Dict[str, Any]:
    """Parameters and FLOPs of any module for given inputs.

    Args:
        module (nn.Module): Module (eval mode recommended).
        inputs (tuple): Positional inputs.

    Returns:
        dict: ``params`` (int), ``flops`` (int, MACs) and ``flops_by_operator``
        (dict operator -> MACs, e.g. ``conv``, ``einsum``).
    """
    analyzer = flop_analyzer(module, inputs)
    return dict(params=int(parameter_count(module)['']), flops=int(analyzer.total()),
                flops_by_operator={k: int(v) for k, v in analyzer.by_operator().items()})


def model_complexity(cfg: ConfigLike, shape: Sequence[int] = (416, 544)) -> Dict[str, Any]:
    """Parameters and FLOPs of a config's model at one input size.

    Args:
        cfg (str | Config | dict): Config path, Config, or a model config dict.
        shape (Sequence[int]): Input ``(H, W)``; batch 1, 3 channels.

    Returns:
        dict: ``params``, ``flops`` (MACs, see the module docstring),
        ``dgr_params`` and ``dgr_flops`` (the share of all
        :class:`DGRBlock` modules, 0 without DGR), ``flops_by_operator`` and
        ``shape``.
    """
    if len(shape) != 2:
        raise ValueError(f'model_complexity: shape must be (H, W), got {tuple(shape)}')
    model = build_model_for_analysis(cfg)
    x = torch.zeros(1, 3, int(shape[0]), int(shape[1]))
    wrapper = _TensorMode(model)
    with torch.no_grad():
        analyzer = flop_analyzer(wrapper, (x,))
        flops = int(analyzer.total())
        by_module = analyzer.by_module()
    params = parameter_count(model)
    return dict(
        params=int(params['']),
        flops=flops,
        dgr_params=_sum_over(model, params, DGRBlock, ''),
        dgr_flops=int(_sum_over(model, by_module, DGRBlock, 'model.')),
        flops_by_operator={k: int(v) for k, v in analyzer.by_operator().items()},
        shape=(int(shape[0]), int(shape[1])))


def format_complexity(result: Dict[str, Any]) -> str:
    """One-line human summary of :func:`model_complexity`'s result.

    Args:
        result (dict): Output of :func:`model_complexity`.

    Returns:
        str: e.g. ``'Input 416x544: params 28.29 M, FLOPs 92.10 G (DGR: ...)'``.
    """
    h, w = result['shape']
    text = (f'Input {h}x{w}: params {result["params"] / 1e6:.2f} M, '
            f'FLOPs {result["flops"] / 1e9:.2f} G (MACs)')
    if result.get('dgr_params'):
        text += (f'; DGR blocks: params {result["dgr_params"] / 1e6:.3f} M, '
                 f'FLOPs {result["dgr_flops"] / 1e9:.3f} G')
    return text
