"""Stop training at the first non-finite loss instead of going on with NaN weights."""
import math
import os.path as osp
from typing import Dict, List, Optional

import torch
from mmengine.dist import all_reduce, is_distributed
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS


class NonFiniteLossError(RuntimeError):
    """Training produced a non-finite loss (or weights) and was stopped."""


def _is_finite(value) -> bool:
    """Whether a loss value (tensor, number or a sequence of them) is all finite."""
    if isinstance(value, torch.Tensor):
        return bool(torch.isfinite(value.detach()).all())
    if isinstance(value, (list, tuple)):
        return all(_is_finite(v) for v in value)
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return True  # not a number: nothing to check


def _show(value) -> str:
    """A short text of a loss value for the error message."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return f'{value.item():g}'
    if isinstance(value, float):
        return f'{value:g}'
    return 'non-finite'


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``<work_dir>/last_checkpoint``, or None.

    Args:
        work_dir (str): A training work dir.

    Returns:
        str | None: The path written by the checkpoint hook at its last save.
    """
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker, encoding='utf-8') as f:
        return f.read().strip() or None


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise :class:`NonFiniteLossError` when a loss of a training iteration is NaN or inf.

    mmengine hands ``after_train_iter`` the model's parsed log variables (``loss`` and the
    ``*loss*`` items); the first iteration with a non-finite one stops training with its
    number, the items' names and the last checkpoint written before it. The hook runs
    before the checkpoint hook (priority ``ABOVE_NORMAL``), so the weights of that step are
    never saved; with ``check_weights`` it also refuses any checkpoint whose parameters are
    non-finite (a finite loss with NaN gradients). Under distributed training the ranks
    agree (one all-reduce of a flag per iteration) and all stop together.

    It is on in every config (``custom_hooks`` of ``configs/_base_/default_runtime.py``);
    a config turns it off with ``custom_hooks = []`` (``--cfg-options custom_hooks=[]``).

    Args:
        check_weights (bool): Also check the parameters before each checkpoint save.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, check_weights: bool = True) -> None:
        self.check_weights = check_weights

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[Dict] = None) -> None:
        """Stop on a non-finite loss item of ``outputs``.

        Args:
            runner (Runner): The runner.
            batch_idx (int): Index of the batch in the epoch.
            data_batch: The batch.
            outputs (dict, optional): Loss name -> value, from ``model.train_step``.

        Raises:
            NonFiniteLossError: A loss item is NaN or infinite (on any rank).
        """
        bad = {name: value for name, value in (outputs or {}).items()
               if 'loss' in name and not _is_finite(value)}
        anywhere = bool(bad)
        if is_distributed():
            flag = torch.tensor([float(anywhere)])
            all_reduce(flag)
            anywhere = bool(flag.item() > 0)
        if not anywhere:
            return
        if bad:
            items = ', '.join(f'{name}={_show(value)}' for name, value in bad.items())
            what = f'non-finite loss at iteration {runner.iter + 1} ({items})'
        else:
            what = f'non-finite loss on another rank at iteration {runner.iter + 1}'
        raise NonFiniteLossError(f'{what}: training stopped, the weights of this step are '
                                 f'not usable. {self._last_good(runner)}')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse to write a checkpoint whose parameters are NaN or infinite.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): The checkpoint about to be saved.

        Raises:
            NonFiniteLossError: Some parameters are non-finite.
        """
        if not self.check_weights:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state = checkpoint.get('state_dict', {})
        bad: List[str] = [name for name, _ in model.named_parameters()
                          if name in state and state[name].is_floating_point()
                          and not bool(torch.isfinite(state[name]).all())]
        if bad:
            shown = ', '.join(bad[:5]) + (f' and {len(bad) - 5} more' if len(bad) > 5 else '')
            raise NonFiniteLossError(
                f'non-finite parameters at iteration {runner.iter + 1} ({shown}): the '
                f'checkpoint is not saved and training stopped. {self._last_good(runner)}')

    @staticmethod
    def _last_good(runner) -> str:
        """The sentence naming the last checkpoint and how to resume from it."""
        ckpt = last_checkpoint(runner.work_dir)
        if ckpt is None:
            return 'No checkpoint was saved before it.'
        return (f'Last checkpoint saved before it: {ckpt} (resume with --resume {ckpt} once '
                'the cause, e.g. the learning rate or the data, is fixed).')
