"""Checkpoints that load under torch's ``weights_only=True`` default (torch >= 2.6)."""
import copyreg
from typing import Tuple

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


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
