"""Strict checkpoint loading for evaluation (``tools/test.py``) and, later, inference.

:func:`checkpoint_mismatch` compares a model's state dict with a checkpoint's (pure, no
model needed); :func:`load_test_checkpoint` loads a file weights-only
(:func:`~mmdepth_dgr.utils.checkpoint.load_weights_only`) and refuses, by default, a
checkpoint whose keys or shapes differ from the model's, so that the weights of another
model are not evaluated as a mostly untrained network.
"""
import logging
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import load_state_dict
from torch import Tensor

from ..models.converters.utils import strip_prefix
from ..utils.checkpoint import load_weights_only

#: Model entries a checkpoint may lack: BatchNorm's step counter, which mmengine's loader
#: ignores as well (it is not used with a fixed momentum).
IGNORED_MISSING = ('num_batches_tracked', )


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's keys or shapes differ from the model's.

    Args:
        path (str): The checkpoint file.
        mismatch (dict): :func:`checkpoint_mismatch`'s result.
        limit (int): Names shown per kind in the message.

    Attributes:
        path (str): The checkpoint file.
        mismatch (dict): The lists of missing, unexpected and shape-mismatched keys.
    """

    def __init__(self, path: str, mismatch: Dict[str, list], limit: int = 5) -> None:
        self.path, self.mismatch = str(path), mismatch
        super().__init__(f'{path} does not match the model (strict loading):\n'
                         + format_mismatch(mismatch, limit))


def checkpoint_mismatch(model_state: Mapping[str, Any], ckpt_state: Mapping[str, Any],
                        ignore_missing: Sequence[str] = IGNORED_MISSING) -> Dict[str, list]:
    """Compare the keys and shapes of a model's state dict with a checkpoint's.

    Args:
        model_state (Mapping[str, Tensor]): ``model.state_dict()``.
        ckpt_state (Mapping[str, Tensor]): The checkpoint's state dict (prefixes already
            removed). Values without a ``shape`` are compared by key only.
        ignore_missing (Sequence[str]): Last name components of model entries that may be
            absent from the checkpoint. Defaults to :data:`IGNORED_MISSING`.

    Returns:
        dict: ``missing`` (model keys absent from the checkpoint, in the model's order),
        ``unexpected`` (checkpoint keys the model lacks, in the checkpoint's order) and
        ``shape_mismatch`` (``(key, checkpoint shape, model shape)`` tuples, in the model's
        order, shapes as tuples); all empty when the checkpoint fits.
    """
    missing = [k for k in model_state
               if k not in ckpt_state and k.rsplit('.', 1)[-1] not in ignore_missing]
    unexpected = [k for k in ckpt_state if k not in model_state]
    shape_mismatch: List[Tuple[str, tuple, tuple]] = []
    for key, value in model_state.items():
        if key not in ckpt_state:
            continue
        model_shape = getattr(value, 'shape', None)
        ckpt_shape = getattr(ckpt_state[key], 'shape', None)
        if model_shape is None or ckpt_shape is None:
            continue
        if tuple(model_shape) != tuple(ckpt_shape):
            shape_mismatch.append((key, tuple(ckpt_shape), tuple(model_shape)))
    return dict(missing=missing, unexpected=unexpected, shape_mismatch=shape_mismatch)


def is_mismatch(mismatch: Mapping[str, list]) -> bool:
    """Whether :func:`checkpoint_mismatch` found any difference."""
    return any(mismatch.get(kind) for kind in ('missing', 'unexpected', 'shape_mismatch'))


def format_mismatch(mismatch: Mapping[str, list], limit: int = 5) -> str:
    """The differences of :func:`checkpoint_mismatch` as lines: the count and the first names.

    Args:
        mismatch (dict): :func:`checkpoint_mismatch`'s result.
        limit (int): Names shown per kind. Defaults to 5.

    Returns:
        str: One line per non-empty kind, e.g.
        ``'  missing keys (in the model, not in the checkpoint): 3, e.g. a.weight, ...'``.
    """
    def names(items: Sequence[str]) -> str:
        more = ', ...' if len(items) > limit else ''
        return f'{len(items)}, e.g. ' + ', '.join(items[:limit]) + more

    lines = []
    if mismatch.get('missing'):
        lines.append('  missing keys (in the model, not in the checkpoint): '
                     + names(mismatch['missing']))
    if mismatch.get('unexpected'):
        lines.append('  unexpected keys (in the checkpoint, not in the model): '
                     + names(mismatch['unexpected']))
    if mismatch.get('shape_mismatch'):
        lines.append('  shape mismatches (checkpoint vs model): ' + names(
            [f'{k} {list(c)} vs {list(m)}' for k, c, m in mismatch['shape_mismatch']]))
    return '\n'.join(lines)


def checkpoint_weights(checkpoint: Any, prefix: str = 'module.') -> 'OrderedDict[str, Tensor]':
    """The state dict of a loaded mmengine checkpoint, without a DataParallel ``prefix``.

    As mmengine's ``load_from``: the ``state_dict`` entry, or the checkpoint itself
    without one; ``prefix`` is removed from the keys that start with it (the state
    dict's ``_metadata`` is kept).

    Args:
        checkpoint: ``torch.load`` result.
        prefix (str): Key prefix to remove. Defaults to ``'module.'``.

    Returns:
        OrderedDict[str, Tensor]: The state dict.

    Raises:
        TypeError: The checkpoint is not a dict.
    """
    if not isinstance(checkpoint, Mapping):
        raise TypeError(f'a checkpoint is a dict, got {type(checkpoint).__name__}')
    state = checkpoint.get('state_dict', checkpoint)
    out = OrderedDict(strip_prefix(state, prefix))
    metadata = getattr(state, '_metadata', None)
    if metadata is not None:
        out._metadata = metadata
    return out


def load_test_checkpoint(model: nn.Module, path: str, strict: bool = True) -> Dict[str, list]:
    """Load a checkpoint file into ``model`` for evaluation, strictly by default.

    The file is loaded weights-only with the project's allow-list, then
    :func:`load_checkpoint_weights` loads it.

    Args:
        model (nn.Module): The model, or a model wrapper (its ``module`` is loaded).
        path (str): Checkpoint file.
        strict (bool): Refuse a checkpoint that does not fit. Defaults to True.

    Returns:
        dict: :func:`checkpoint_mismatch`'s result (empty lists when it fits).

    Raises:
        CheckpointMismatchError: ``strict`` and the checkpoint does not fit; the message
            gives the count and the first names of each kind of difference.
        UnsafeCheckpointError: The file holds a global outside the allow-list.
    """
    return load_checkpoint_weights(model, load_weights_only(path), path, strict)


def load_checkpoint_weights(model: nn.Module, checkpoint: Any, path: str,
                            strict: bool = True) -> Dict[str, list]:
    """Load an already read checkpoint into ``model``, strictly by default.

    With ``strict``, the checkpoint's keys and shapes must be the model's
    (:func:`checkpoint_mismatch`; BatchNorm step counters may be absent), else nothing is
    loaded. Without ``strict``, the differences are logged as a warning and the matching
    entries are loaded (mmengine's ``load_from`` behaviour).

    Args:
        model (nn.Module): The model, or a model wrapper (its ``module`` is loaded).
        checkpoint (Any): What weights-only loading returned (mmengine's ``state_dict`` +
            ``meta`` layout or a bare state dict; :func:`checkpoint_weights`).
        path (str): Its file, for the messages.
        strict (bool): Refuse a checkpoint that does not fit. Defaults to True.

    Returns:
        dict: :func:`checkpoint_mismatch`'s result (empty lists when it fits).

    Raises:
        CheckpointMismatchError: ``strict`` and the checkpoint does not fit.
    """
    if is_model_wrapper(model):
        model = model.module
    state = checkpoint_weights(checkpoint)
    mismatch = checkpoint_mismatch(model.state_dict(), state)
    if is_mismatch(mismatch):
        if strict:
            raise CheckpointMismatchError(path, mismatch)
        print_log(f'{path} does not match the model, loading the matching entries only '
                  f'(non-strict):\n{format_mismatch(mismatch)}', logger='current',
                  level=logging.WARNING)
    load_state_dict(model, state, strict=strict, logger='current')
    print_log(f'Loaded checkpoint {path} ({"strict" if strict else "non-strict"}, '
              f'{len(state)} entries)', logger='current')
    return mismatch
