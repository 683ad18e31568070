"""Numerical parity of a converted official model with this project's build of it.

The check, for one model (a :class:`ParitySpec`):

1. import the official model from a checkout of its repository, at run time
   (:func:`load_official_module`; nothing of it is part of this project), and build it
   with random weights: its own initialisation, then every constant parameter
   (zero biases, unit norm weights, zero tokens) and every BatchNorm running
   statistic perturbed (:func:`perturb_model`), so that a mapping error in any
   of them shows;
2. convert its ``state_dict`` with this project's converter and load it into
   the model built from the matching config (strictly by default);
3. run both in eval mode on one input, in ``float64`` or ``float32``, and
   compare the head output (the output of one named module on each side,
   captured by forward hooks) and the depth at full resolution (the official
   forward vs. :meth:`encode_decode`, the path of ``tools/test.py``).

:func:`max_differences` defines the figures: the largest absolute difference
and that difference relative to the largest magnitude of the official output.
The per-model recipes for the six official repositories are in
:mod:`.parity_models`; ``tools/model_converters/check_parity.py`` is the command
line.
"""
import contextlib
import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS
from torch import Tensor

from ...utils import strip_pretrained, sync_bn_to_bn
from .utils import StateDict

#: Norm layers whose affine parameters (and running statistics) :func:`perturb_model` draws.
NORM_TYPES = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm)

#: The repository root (configs are resolved against it).
REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class ParitySpec:
    """How to check one official model against its converted counterpart.

    Args:
        name (str): Model name on the command line.
        config (str): Config of this project's model, relative to the
            repository root (or absolute).
        build_official (callable): ``repo_dir -> nn.Module``: imports the
            official code from the checkout and builds the model (random
            weights, no download).
        convert (callable): Official ``state_dict`` -> this project's.
        official_forward (callable): ``(official_model, x) -> Tensor``: the
            official depth at the input resolution, as the official inference
            computes it.
        head_modules (tuple[str, str]): Names of the official module and of
            ours (in the ``DepthEstimator``) whose outputs are "the head output".
        official_head_scale (float): Factor on the official head output before
            the comparison (a scale the converter folds into that layer).
        input_size (tuple[int, int]): (H, W) of the test input.
        strict (bool): Load the converted weights strictly. Defaults to True.
        cfg_options (dict): Overrides merged into the config's ``model``.
        official_commit_path (str): Path inside the checkout whose git commit
            is reported ('' for the root).
        note (str): What else the figures depend on (printed).
    """

    name: str
    config: str
    build_official: Callable[[str], nn.Module]
    convert: Callable[[StateDict], StateDict]
    official_forward: Callable[[nn.Module, Tensor], Tensor]
    head_modules: Tuple[str, str]
    official_head_scale: float = 1.0
    input_size: Tuple[int, int] = (96, 128)
    strict: bool = True
    cfg_options: dict = field(default_factory=dict)
    official_commit_path: str = ''
    note: str = ''


@dataclass
class ParityResult:
    """The figures of one check (see :func:`max_differences` for abs / rel).

    Attributes:
        name (str): Model name.
        dtype (str): ``'float64'`` or ``'float32'``.
        input_size (tuple[int, int]): (H, W) of the input.
        head_abs (float): Max abs difference of the head outputs.
        head_rel (float): ``head_abs`` / max abs official head output.
        full_abs (float): Max abs difference of the full-resolution depth.
        full_rel (float): ``full_abs`` / max abs official depth.
        official_params (int): Parameters of the official model.
        our_params (int): Parameters of this project's model.
        missing (list[str]): Keys of our model the converted state dict lacks
            (empty with ``strict``).
        unexpected (list[str]): Converted keys our model does not have.
        depth_range (tuple[float, float]): Min and max of the official depth.
    """

    name: str
    dtype: str
    input_size: Tuple[int, int]
    head_abs: float
    head_rel: float
    full_abs: float
    full_rel: float
    official_params: int
    our_params: int
    missing: List[str]
    unexpected: List[str]
    depth_range: Tuple[float, float]

    def format(self) -> str:
        """Human-readable lines, one figure each."""
        h, w = self.input_size
        lines = [
            f'model: {self.name}   dtype: {self.dtype}   input: {h}x{w}',
            f'head output:     max abs diff {self.head_abs:.3e}   max rel diff '
            f'{self.head_rel:.3e}',
            f'full resolution: max abs diff {self.full_abs:.3e}   max rel diff '
            f'{self.full_rel:.3e}   (official depth in [{self.depth_range[0]:.4g}, '
            f'{self.depth_range[1]:.4g}])',
            f'parameters: official {self.official_params:,}   ours {self.our_params:,}   '
            f'(difference {self.official_params - self.our_params:,})',
        ]
        if self.missing or self.unexpected:
            lines.append(f'missing keys: {self.missing}   unexpected keys: {self.unexpected}')
        return '\n'.join(lines)


def max_differences(ours: Tensor, official: Tensor) -> Tuple[float, float]:
    """Largest absolute difference, and relative to the reference's largest magnitude.

    ``abs = max |ours - official|`` and ``rel = abs / max |official|`` (a norm-wise
    relative error: well defined where the official output has zeros, e.g. after
    a ReLU).

    Args:
        ours (Tensor): This project's output.
        official (Tensor): The official output, same number of elements.

    Returns:
        tuple[float, float]: ``(abs, rel)``; ``rel`` is ``inf`` if the official
        output is all zeros and the difference is not.

    Raises:
        ValueError: The shapes hold different numbers of elements.
    """
    if ours.numel() != official.numel():
        raise ValueError(f'max_differences: shapes {tuple(ours.shape)} and '
                         f'{tuple(official.shape)} differ')
    a, b = ours.detach().double().reshape(-1), official.detach().double().reshape(-1)
    diff = (a - b).abs().max().item() if a.numel() else 0.0
    scale = b.abs().max().item() if b.numel() else 0.0
    if scale == 0.0:
        return diff, 0.0 if diff == 0.0 else float('inf')
    return diff, diff / scale


def count_parameters(module: nn.Module) -> int:
    """Number of parameters (what the official repositories print as the model size)."""
    return sum(p.numel() for p in module.parameters())


@torch.no_grad()
def perturb_model(model: nn.Module, generator: torch.Generator, std: float = 0.02) -> None:
    """Perturb what a fresh initialisation leaves constant, in place.

    * Norm layers: affine weight ``1 + std * n``, bias ``std * n``; BatchNorm
      running mean ``0.1 * n`` and running variance uniform in ``[0.5, 1.5]``.
    * Every other parameter whose entries are all equal (zero biases, zero
      class tokens or position embeddings, constant scales): ``+ std * n``.

    Args:
        model (nn.Module): Model to change.
        generator (torch.Generator): Source of the noise ``n`` (standard normal).
        std (float): Noise scale of the parameters. Defaults to 0.02.
    """
    def noise(t: Tensor) -> Tensor:
        return torch.randn(t.shape, generator=generator, dtype=torch.float64).to(t)

    done = set()
    for module in model.modules():
        if isinstance(module, NORM_TYPES):
            if getattr(module, 'weight', None) is not None:
                module.weight.copy_(1 + std * noise(module.weight))
                done.add(id(module.weight))
            if getattr(module, 'bias', None) is not None:
                module.bias.copy_(std * noise(module.bias))
                done.add(id(module.bias))
            if getattr(module, 'running_mean', None) is not None:
                module.running_mean.copy_(0.1 * noise(module.running_mean))
                var = torch.rand(module.running_var.shape, generator=generator,
                                 dtype=torch.float64)
                module.running_var.copy_((0.5 + var).to(module.running_var))
    for param in model.parameters():
        if id(param) in done or param.numel() == 0:
            continue
        if bool((param == param.reshape(-1)[0]).all()):
            param.add_(std * noise(param))


#: official code folder on ``sys.path`` -> top-level module names imported from it
_LOADED: Dict[str, set] = {}


def load_official_module(repo_dir: Union[str, Path], module: str, subdir: str = ''):
    """Import ``module`` (dotted) from an official checkout, at run time.

    The folder is put first on ``sys.path`` and stays there (the official code
    may import lazily) until a module of another checkout is loaded: then the
    earlier folder leaves ``sys.path`` and the top-level modules imported from
    it leave ``sys.modules``, so that generic names (``models``, ``utils``,
    ``networks``) of different repositories do not clash.

    Args:
        repo_dir (str | Path): The checkout.
        module (str): Dotted module name, e.g. ``'dpt.models'``.
        subdir (str): Folder inside the checkout to import from.

    Returns:
        module: The imported module.

    Raises:
        FileNotFoundError: The folder does not exist.
    """
    root = str((Path(repo_dir) / subdir).resolve())
    if not Path(root).is_dir():
        raise FileNotFoundError(f'official code folder {root} does not exist')
    for other in [r for r in _LOADED if r != root]:
        for name in _LOADED.pop(other):
            for sub in [n for n in sys.modules if n == name or n.startswith(name + '.')]:
                del sys.modules[sub]
        with contextlib.suppress(ValueError):
            sys.path.remove(other)
    if root not in sys.path:
        sys.path.insert(0, root)
    importlib.invalidate_caches()
    mod = importlib.import_module(module)
    names = _LOADED.setdefault(root, set())
    for name, loaded in list(sys.modules.items()):
        origin = getattr(loaded, '__file__', None) or ''
        if '.' not in name and origin.startswith(root + '/'):
            names.add(name)
    return mod


def build_our_model(spec: ParitySpec) -> nn.Module:
    """This project's model of ``spec.config`` (no pretrained download, SyncBN -> BN).

    Args:
        spec (ParitySpec): The check.

    Returns:
        nn.Module: The ``DepthEstimator`` with its own random initialisation.
    """
    path = Path(spec.config)
    cfg = Config.fromfile(str(path if path.is_absolute() else REPO_ROOT / path))
    if spec.cfg_options:
        cfg.merge_from_dict(dict(model=spec.cfg_options))
    model_cfg = cfg.model
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(sync_bn_to_bn(strip_pretrained(model_cfg)))


@contextlib.contextmanager
def capture_output(model: nn.Module, name: str) -> Iterator[List[Tensor]]:
    """Record (a copy of) the output of the submodule ``name`` at each call in the block.

    The module must be called as a module (``module(x)``): a parent that calls
    ``child.forward(x)`` directly bypasses the hook, so name a layer inside it
    (mmseg's ``decode_head.predict`` calls its own ``forward`` that way).

    Args:
        model (nn.Module): Model holding the module.
        name (str): Its name in ``model.named_modules()``.

    Yields:
        list[Tensor]: Filled with the output of each call.
    """
    module = model.get_submodule(name)
    outputs: List[Tensor] = []
    def hook(_module, _inputs, out):
        out = out[0] if isinstance(out, (tuple, list)) else out
        outputs.append(out.detach().clone())  # an in-place op (ReLU(inplace=True)) may follow

    handle = module.register_forward_hook(hook)
    try:
        yield outputs
    finally:
        handle.remove()


def our_forward(model: nn.Module, x: Tensor) -> Tensor:
    """Full-resolution depth of a ``DepthEstimator`` on a normalised batch (test path)."""
    h, w = x.shape[-2:]
    metas = [dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w))
             for _ in range(x.shape[0])]
    return model.encode_decode(x, metas)


def run_parity(spec: ParitySpec, repo_dir: Union[str, Path], dtype: torch.dtype = torch.float64,
               seed: int = 0, input_size: Optional[Sequence[int]] = None,
               device: Union[str, torch.device] = 'cpu') -> ParityResult:
    """Build, convert, run and compare (module docstring).

    Args:
        spec (ParitySpec): The model's recipe.
        repo_dir (str | Path): Checkout of the official repository.
        dtype (torch.dtype): ``torch.float64`` (default) or ``torch.float32``.
        seed (int): Seed of the weights, the perturbations and the input.
        input_size (Sequence[int], optional): (H, W) instead of the recipe's.
        device (str | torch.device): Where both models run. Defaults to 'cpu'.

    Returns:
        ParityResult: The figures.

    Raises:
        RuntimeError: With ``spec.strict``, a converted state dict that does
            not load strictly (the message names the keys); or a head module
            that was not called.
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    official = spec.build_official(str(repo_dir))
    perturb_model(official, generator)
    official = official.to(device=device, dtype=dtype).eval()
    state = spec.convert({k: v.detach().clone() for k, v in official.state_dict().items()})
    # cast before loading: loading float64 weights into a float32 model would round them
    ours = build_our_model(spec).to(device=device, dtype=dtype)
    missing, unexpected = ours.load_state_dict(state, strict=spec.strict)
    ours = ours.eval()
    h, w = input_size or spec.input_size
    x = torch.randn(1, 3, h, w, generator=generator, dtype=torch.float64).to(device, dtype)
    with torch.no_grad():
        with capture_output(official, spec.head_modules[0]) as off_head:
            off_full = spec.official_forward(official, x.clone())
        with capture_output(ours, spec.head_modules[1]) as our_head:
            our_full = our_forward(ours, x.clone())
    for outputs, name in ((off_head, spec.head_modules[0]), (our_head, spec.head_modules[1])):
        if not outputs:
            raise RuntimeError(f'{spec.name}: head module {name!r} was never called as a '
                               'module (see capture_output)')
    head_abs, head_rel = max_differences(our_head[-1],
                                         off_head[-1] * spec.official_head_scale)
    full_abs, full_rel = max_differences(our_full, off_full)
    return ParityResult(
        name=spec.name, dtype=str(dtype).replace('torch.', ''), input_size=(h, w),
        head_abs=head_abs, head_rel=head_rel, full_abs=full_abs, full_rel=full_rel,
        official_params=count_parameters(official), our_params=count_parameters(ours),
        missing=list(missing), unexpected=list(unexpected),
        depth_range=(off_full.min().item(), off_full.max().item()))


def parity_table(results: Sequence[ParityResult], commits: Dict[str, str]) -> str:
    """A Markdown table of results (model, commit, dtype, input, rel diffs, params).

    Args:
        results (Sequence[ParityResult]): The checks.
        commits (dict[str, str]): Model name -> official commit checked.

    Returns:
        str: The table.
    """
    rows = ['| model | official commit | dtype | input | max rel diff (head) | '
            'max rel diff (full res.) | params official | params ours |',
            '| --- | --- | --- | --- | --- | --- | --- | --- |']
    for r in results:
        rows.append(f'| {r.name} | {commits.get(r.name, "?")[:7]} | {r.dtype} | '
                    f'{r.input_size[0]}x{r.input_size[1]} | {r.head_rel:.1e} | '
                    f'{r.full_rel:.1e} | {r.official_params:,} | {r.our_params:,} |')
    return '\n'.join(rows)


__all__ = ['ParitySpec', 'ParityResult', 'run_parity', 'max_differences', 'perturb_model',
           'count_parameters', 'load_official_module', 'build_our_model',
           'capture_output', 'our_forward', 'parity_table']
