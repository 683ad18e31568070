"""Checkpoints that load under torch's ``weights_only=True`` default (torch >= 2.6).

:func:`enable_weights_only_checkpoints` makes the project's own checkpoints loadable with
``weights_only=True``; :func:`load_weights_only` is the one place that loads a checkpoint file
(``tools/test.py`` and the converters), refusing anything outside the allow-list with an
:class:`UnsafeCheckpointError` that names the file and the refused global.
"""
import copyreg
import pickle
import re
import warnings
from typing import Any, Callable, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

#: An allow-list entry of :func:`torch.serialization.safe_globals`: the object, or the object
#: and the ``module.name`` under which a pickle refers to it.
SafeGlobal = Union[Callable, Tuple[Callable, str]]

_GLOBAL_RE = re.compile(r'GLOBAL ([\w.]+)')
_DETAIL_RE = re.compile(r'WeightsUnpickler error: ([^\n]+)')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds an object that weights-only loading refuses to unpickle.

    Args:
        path (str): The checkpoint file.
        refused (str): The refused global (``module.name``) or a description of the object.
        hint (str): Appended inside the parentheses of the message, e.g.
            ``'; pass --trust-checkpoint if you trust this file'``.

    Attributes:
        path (str): The checkpoint file.
        refused (str): The refused global.
    """

    def __init__(self, path: str, refused: str, hint: str = '') -> None:
        self.path, self.refused = str(path), refused
        super().__init__(f'{path}: refused to unpickle {refused} (weights-only loading{hint})')


def refused_global(error: BaseException) -> str:
    """The global named by torch's weights-only ``UnpicklingError`` message.

    Args:
        error (BaseException): The error ``torch.load(..., weights_only=True)`` raised.

    Returns:
        str: ``module.name`` of the refused global (torch writes builtins without a
        module, e.g. ``exec``); for a refusal that names no global, ``'an unsupported object
        (<torch's reason>)'``.
    """
    message = str(error)
    found = _GLOBAL_RE.search(message)
    if found:
        return found.group(1).rstrip('.')
    detail = _DETAIL_RE.search(message)
    reason = detail.group(1).strip() if detail else message.strip().splitlines()[0]
    return f'an unsupported object ({reason})'


def load_weights_only(path: str, extra_globals: Sequence[SafeGlobal] = (), trust: bool = False,
                      hint: str = '') -> Any:
    """Load a checkpoint file on the CPU without running code stored in it.

    The file is read with ``torch.load(path, map_location='cpu', weights_only=True)``:
    tensors, containers and numbers, the project's allow-list
    (:func:`enable_weights_only_checkpoints`, registered on ``import mmdepth_dgr``) and
    ``extra_globals``, which are allowed for this call only
    (:func:`torch.serialization.safe_globals`). Any other global is refused.

    Args:
        path (str): Checkpoint file.
        extra_globals (Sequence): Further globals to allow for this file, e.g.
            ``argparse.Namespace``.
        trust (bool): Load with ``weights_only=False`` (any pickle; a warning is
            issued): only for files from a trusted source.
        hint (str): Appended to the refusal message (see :class:`UnsafeCheckpointError`).

    Returns:
        The ``torch.load`` result.

    Raises:
        UnsafeCheckpointError: The file holds a global outside the allow-list.
    """
    if trust:
        warnings.warn(f'{path}: loading with weights_only=False (trusted checkpoint): unpickling '
                      'runs any code stored in the file', UserWarning, stacklevel=2)
        return torch.load(path, map_location='cpu', weights_only=False)
    try:
        with torch.serialization.safe_globals(list(extra_globals)):
            return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(path, refused_global(err), hint) from err


def numpy_array_globals() -> list:
    """Allow-list entries for numpy arrays (``numpy.core.multiarray._reconstruct``, ``ndarray``).

    Object arrays are safe too: their elements are unpickled by the same restricted
    unpickler. Pickles written under numpy 1.x name ``numpy.core.*``, those of numpy 2.x
    ``numpy._core.*``: both names are allowed.

    Returns:
        list: Entries for :func:`torch.serialization.safe_globals`.
    """
    reconstruct = np.ndarray.__reduce__(np.zeros(0))[0]  # no np.core: deprecated in numpy 2
    entries: list = [reconstruct, np.ndarray]
    module = reconstruct.__module__
    for legacy in {module, module.replace('numpy._core', 'numpy.core'),
                   module.replace('numpy.core', 'numpy._core')} - {module}:
        entries.append((reconstruct, f'{legacy}.{reconstruct.__name__}'))
    return entries


def _reduce_history_buffer(buffer: HistoryBuffer) -> Tuple[type, tuple]:
    """Pickle a HistoryBuffer as ``HistoryBuffer(log_list, count_list, max_length)``.

    By default it pickles its numpy arrays and bound statistics methods, which
    need ``numpy`` internals and builtins.getattr on the unpickling side;
    plain lists need nothing but the class itself.
    """
    return HistoryBuffer, (buffer._log_history.tolist(), buffer._count_history.tolist(),
                           buffer.max_length)


def enable_weights_only_checkpoints() -> None:
    """Make mmengine checkpoints written from now on loadable with ``weights_only=True``.

    mmengine 0.10.7 stores the runner's message hub (``HistoryBuffer`` objects) in
    every checkpoint and loads them with a bare ``torch.load``; since torch 2.6 that
    refuses any non-tensor global, so ``--resume`` fails. Rather than turning the
    safety check off, HistoryBuffer is pickled from plain lists and allowlisted,
    together with numpy scalars (the message hub's ``eta``), which torch's
    documentation lists as safe to allow (``np.core.multiarray.scalar``,
    ``np.dtype`` and the ``np.dtypes`` classes). Called when ``mmdepth_dgr``
    is imported (configs import it in every process).
    """
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    numpy_scalars = [np.core.multiarray.scalar, np.dtype] + [
        getattr(np.dtypes, name) for name in dir(np.dtypes) if name.endswith('DType')]
    torch.serialization.add_safe_globals([HistoryBuffer, *numpy_scalars])
