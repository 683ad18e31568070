"""Checkpoint files of the safe-loading tests: one that runs code when it is unpickled.

:func:`save_malicious_checkpoint` writes a checkpoint whose unpickling calls
:func:`write_marker` (a function of this module, so ``weights_only=False`` can import it and
the refusal message names it): the marker file exists exactly when the file was unpickled
without the weights-only restriction. Import from the submodule.
"""
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import torch
from torch import Tensor

#: How the refusal message names the payload's global.
PAYLOAD_GLOBAL = f'{__name__}.write_marker'


def write_marker(path: str) -> str:
    """The payload: write ``path`` (it exists only if the checkpoint's pickle was executed).

    Args:
        path (str): Marker file.

    Returns:
        str: ``path``.
    """
    Path(path).write_text('unpickled with weights_only=False\n')
    return path


class MaliciousPickle:
    """An object whose unpickling calls :func:`write_marker` (its ``__reduce__``).

    Args:
        marker (str | Path): The marker file the unpickling writes.
    """

    def __init__(self, marker: Union[str, Path]) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> Tuple[Any, Tuple[str]]:
        return write_marker, (self.marker, )


def save_malicious_checkpoint(path: Union[str, Path], marker: Union[str, Path],
                              state_dict: Optional[Dict[str, Tensor]] = None) -> None:
    """Save ``{'model': state_dict, 'optimizer': <payload>, 'epoch': 1}`` with ``torch.save``.

    Args:
        path (str | Path): Checkpoint file.
        marker (str | Path): The file the payload writes when the checkpoint is unpickled.
        state_dict (dict, optional): Official-layout weights, so that a trusted conversion
            succeeds. Defaults to an empty dict.
    """
    torch.save({'model': dict(state_dict or {}), 'optimizer': MaliciousPickle(marker),
                'epoch': 1}, str(path))
