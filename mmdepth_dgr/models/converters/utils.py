"""Helpers shared by the checkpoint converters and ``tools/model_converters/*2mmdepth.py``.

Key-level helpers are pure functions on state dicts (new dicts, inputs left
unchanged). :func:`load_official_checkpoint` and :func:`save_converted_checkpoint`
are the only file I/O, used by the command-line scripts, which share their
``--trust-checkpoint`` option (:func:`add_converter_args`) and error exit
(:func:`run_converter`).
"""
import argparse
from typing import Any, Callable, Dict, Sequence

import torch
from torch import Tensor

from ...utils.checkpoint import (
    SafeGlobal,
    UnsafeCheckpointError,
    load_weights_only,
    numpy_array_globals,
)

#: A state dict: parameter/buffer names to tensors.
StateDict = Dict[str, Tensor]

#: Checkpoint entries that hold the model weights, in lookup order:
#: ``{'model': ...}`` (AdaBins, PixelFormer, ICIP'22 DepthFormer, TransDepth)
#: and ``{'state_dict': ...}`` (mmcv/mmengine).
WEIGHT_KEYS = ('model', 'state_dict')

#: Globals that official checkpoints hold besides tensors, containers and numbers, allowed
#: (on top of the project's allow-list) when a converter loads one: the training arguments
#: (``argparse.Namespace``) and numpy arrays (BTS-style ``best_eval_steps``).
OFFICIAL_CHECKPOINT_GLOBALS: Sequence[SafeGlobal] = (argparse.Namespace, *numpy_array_globals())

#: How a refusal message tells the user about the way out.
TRUST_HINT = '; pass --trust-checkpoint if you trust this file'


def replace_prefix(state_dict: StateDict, old: str, new: str) -> StateDict:
    """Replace the key prefix ``old`` by ``new`` on the keys that have it.

    Args:
        state_dict (dict[str, Tensor]): Keys and tensors.
        old (str): Prefix to replace.
        new (str): Replacement.

    Returns:
        dict[str, Tensor]: A new dict, in the same order; other keys unchanged.
    """
    return {(new + k[len(old):] if k.startswith(old) else k): v for k, v in state_dict.items()}


def strip_prefix(state_dict: StateDict, prefix: str = 'module.') -> StateDict:
    """Remove ``prefix`` from every key that has it (DataParallel/DDP checkpoints).

    Args:
        state_dict (dict[str, Tensor]): Keys and tensors.
        prefix (str): Prefix to remove. Defaults to 'module.'.

    Returns:
        dict[str, Tensor]: A new dict; keys without the prefix are kept as they are.
    """
    return replace_prefix(state_dict, prefix, '')


def add_prefix(state_dict: StateDict, prefix: str) -> StateDict:
    """Put ``prefix`` in front of every key (e.g. ``'backbone.'``).

    Args:
        state_dict (dict[str, Tensor]): Keys and tensors.
        prefix (str): Prefix to add.

    Returns:
        dict[str, Tensor]: A new dict.
    """
    return {f'{prefix}{k}': v for k, v in state_dict.items()}


def sub_state_dict(state_dict: StateDict, prefix: str) -> StateDict:
    """The entries under ``prefix``, with the prefix removed (keys without it are left out).

    Args:
        state_dict (dict[str, Tensor]): Keys and tensors.
        prefix (str): Prefix of the sub-module, e.g. ``'encoder.model1.'``.

    Returns:
        dict[str, Tensor]: A new dict of the sub-module's entries.
    """
    return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}


def checkpoint_state_dict(checkpoint: Any, keys: Sequence[str] = WEIGHT_KEYS,
                          strict: bool = True) -> StateDict:
    """The model weights inside a loaded checkpoint object.

    The first of ``keys`` whose entry is a dict is returned. Otherwise the
    checkpoint is taken as the state dict itself: with ``strict`` only when
    all its values are tensors (an error names its keys otherwise), without
    ``strict`` as it is (the caller's converter then reports unknown keys).

    Args:
        checkpoint: ``torch.load`` result: ``{'model': ...}``,
            ``{'state_dict': ...}`` or a bare state dict.
        keys (Sequence[str]): Entries to look for, in order. Defaults to
            :data:`WEIGHT_KEYS`.
        strict (bool): Require a bare state dict to hold only tensors.
            Defaults to True.

    Returns:
        dict[str, Tensor]: The state dict (without ``strict``, a checkpoint
        with none of ``keys`` is returned unchanged).

    Raises:
        KeyError: ``strict`` and the checkpoint is neither a wrapper with one
            of ``keys`` nor a dict of tensors.
    """
    if isinstance(checkpoint, dict):
        for key in keys:
            if isinstance(checkpoint.get(key), dict):
                return checkpoint[key]
    if not strict:
        return checkpoint
    if isinstance(checkpoint, dict) and all(isinstance(v, Tensor) for v in checkpoint.values()):
        return checkpoint
    found = sorted(checkpoint)[:10] if isinstance(checkpoint, dict) else type(checkpoint).__name__
    raise KeyError(f'no model weights in checkpoint with keys {found}')


def load_official_checkpoint(path: str, trust: bool = False) -> Any:
    """Load an official checkpoint file on the CPU, weights only.

    Official checkpoints hold weights, optimizer states, numbers, numpy metadata and
    sometimes the training arguments; these load with ``weights_only=True`` and
    :data:`OFFICIAL_CHECKPOINT_GLOBALS`. Any other global (a pickle that would run code
    when loaded) is refused, unless ``trust`` is given.

    Args:
        path (str): Checkpoint file.
        trust (bool): ``--trust-checkpoint``: load any pickle (``weights_only=False``, with
            a warning). Defaults to False.

    Returns:
        The ``torch.load`` result.

    Raises:
        UnsafeCheckpointError: The file holds a global outside the allow-list; the message
            names the file and the global.
    """
    return load_weights_only(path, OFFICIAL_CHECKPOINT_GLOBALS, trust=trust, hint=TRUST_HINT)


def add_converter_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options all ``tools/model_converters/*2mmdepth.py`` share: ``--trust-checkpoint``.

    Args:
        parser (argparse.ArgumentParser): The converter's parser.

    Returns:
        argparse.ArgumentParser: The same parser, for chaining.
    """
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='load the official file with weights_only=False: unpickling may run '
                        'code stored in it, use only for files from a source you trust')
    return parser


def run_converter(main: Callable[[], None]) -> None:
    """Run a converter's ``main``; a refused checkpoint ends it with the message, exit status 1.

    Args:
        main (Callable[[], None]): The converter's entry point.

    Raises:
        SystemExit: ``main`` raised :class:`UnsafeCheckpointError`.
    """
    try:
        main()
    except UnsafeCheckpointError as err:
        raise SystemExit(f'error: {err}') from None


def save_converted_checkpoint(state_dict: StateDict, dst: str, src: str, **meta: Any) -> None:
    """Save a converted state dict as an mmengine checkpoint.

    Writes ``{'state_dict': state_dict, 'meta': {'converted_from': src, **meta}}``,
    which ``tools/test.py`` and ``load_from`` read.

    Args:
        state_dict (dict[str, Tensor]): Converted weights.
        dst (str): Output file.
        src (str): The official file it was converted from (recorded in ``meta``).
        **meta: Further ``meta`` entries.
    """
    torch.save({'state_dict': state_dict, 'meta': {'converted_from': src, **meta}}, dst)
