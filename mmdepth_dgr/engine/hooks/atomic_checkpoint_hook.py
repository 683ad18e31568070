"""A checkpoint hook whose saves survive a kill: write to ``*.tmp``, fsync, rename, then prune.

mmengine 0.10.7's ``CheckpointHook`` removes the oldest kept checkpoint *before* it writes
the new one, writes straight to the final name and rewrites ``last_checkpoint`` in place, so
a process killed during a save can leave a truncated ``iter_N.pth``, no previous checkpoint
and a ``last_checkpoint`` naming a deleted file. :class:`AtomicCheckpointHook` keeps the
hook's options and file names but orders the steps so that at every instant the work dir
holds a complete checkpoint that ``last_checkpoint`` names.
"""
import difflib
import inspect
import os
import os.path as osp
import zipfile
from contextlib import contextmanager
from glob import escape, glob
from typing import Any, Iterator, List, Optional

import torch
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.hooks import CheckpointHook
from mmseg.registry import HOOKS

#: Suffix of a checkpoint (or ``last_checkpoint``) being written, renamed away once complete.
TMP_SUFFIX = '.tmp'
#: Local-file-header signature every zip archive, so every ``torch.save`` file, starts with.
_ZIP_MAGIC = b'PK\x03\x04'
#: Arguments ``AtomicCheckpointHook`` accepts: those of mmengine's ``CheckpointHook``.
VALID_ARGS = frozenset(
    name for name, param in inspect.signature(CheckpointHook.__init__).parameters.items()
    if name != 'self' and param.kind not in (param.VAR_KEYWORD, param.VAR_POSITIONAL))


def fsync_dir(path: str) -> None:
    """Flush a directory entry (a rename or an unlink in it) to disk where the OS allows it.

    Args:
        path (str): The directory.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. a platform without directory file descriptors
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: str) -> None:
    """Flush a written file's data to disk.

    Args:
        path (str): The file.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: str, text: str) -> None:
    """Replace ``path`` by a file holding ``text``; a reader sees the old or the new content.

    Args:
        path (str): The file to (re)write.
        text (str): Its new content.
    """
    tmp = path + TMP_SUFFIX
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(osp.dirname(osp.abspath(path)))


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` is not a complete checkpoint, or None when it is.

    ``torch.save`` writes a zip archive whose central directory comes last, so a truncated
    save has none; the members' CRCs are then checked (a full read of the file, no
    unpickling). A file in torch's legacy (non-zip) format is loaded with
    ``weights_only=True`` instead.

    Args:
        path (str): Checkpoint file.

    Returns:
        str | None: A short reason (e.g. ``'truncated zip archive ...'``), or None.
    """
    if not osp.isfile(path):
        return 'no such file'
    if osp.getsize(path) == 0:
        return 'empty file'
    with open(path, 'rb') as f:
        is_zip_start = f.read(4) == _ZIP_MAGIC
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                bad_member = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            return f'damaged zip archive ({err})'
        return None if bad_member is None else f'corrupt member {bad_member!r} (CRC mismatch)'
    if is_zip_start:
        return ('truncated zip archive (no central directory at its end: the save was '
                'interrupted)')
    try:
        torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # noqa: BLE001 - any failure means "cannot be resumed from"
        return f'not a readable torch checkpoint ({type(err).__name__}: {err})'
    return None


class _DeferredRemovals:
    """A file backend proxy that records ``remove``/``rmtree`` calls instead of running them.

    Args:
        backend: The hook's file backend; everything else is forwarded to it.
    """

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.pending: List[str] = []

    def remove(self, path: str) -> None:
        """Record a file removal."""
        self.pending.append(path)

    def rmtree(self, path: str) -> None:
        """Record a directory removal."""
        self.pending.append(path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` with crash-safe saves and checked arguments.

    Same arguments, file names, intervals, ``max_keep_ckpts`` and ``save_best`` logic as
    ``mmengine.hooks.CheckpointHook``; on a local out dir each save

    1. writes ``<name>.tmp`` next to the final file, flushes and fsyncs it,
    2. ``os.replace``-s it onto ``<name>`` (and fsyncs the directory),
    3. rewrites ``last_checkpoint`` atomically (temporary file + rename),
    4. and only then removes the checkpoints that fall out of ``max_keep_ckpts`` (or the
       previous best checkpoint).

    A kill at any point leaves the previous checkpoint and a ``last_checkpoint`` naming a
    complete file; a ``*.tmp`` left by a killed save is removed at the start of the next
    run. Remote out dirs (``backend_args`` for a non-local backend) keep mmengine's order.

    Unlike mmengine's hook, which forwards unknown keyword arguments to
    ``runner.save_checkpoint`` and so fails only at the first save, an unknown argument
    (a typo such as ``intervl``) is an error when the hook is built, i.e. before training.

    Args:
        *args: Positional arguments of ``CheckpointHook``.
        **kwargs: Keyword arguments of ``CheckpointHook`` (see :data:`VALID_ARGS`).

    Raises:
        TypeError: An argument ``CheckpointHook`` does not take.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - VALID_ARGS)
        if unknown:
            hints = []
            for name in unknown:
                close = difflib.get_close_matches(name, sorted(VALID_ARGS), n=1)
                hints.append(f'{name!r}' + (f' (did you mean {close[0]!r}?)' if close else ''))
            raise TypeError(
                f'{type(self).__name__} got unknown argument(s) {", ".join(hints)}; valid '
                f'arguments: {", ".join(sorted(VALID_ARGS))}')
        super().__init__(*args, **kwargs)
        self._atomic = True

    def before_train(self, runner) -> None:
        """Resolve the out dir (as mmengine does) and clear the leftovers of killed saves.

        Args:
            runner (Runner): The runner of the training process.
        """
        super().before_train(runner)
        backend = get_file_backend(self.out_dir, backend_args=self.backend_args)
        self._atomic = isinstance(backend, LocalBackend) and self.file_client_args is None
        if not self._atomic:
            runner.logger.warning(f'{type(self).__name__}: {self.out_dir} is not a local '
                                  'directory (or file_client_args is set): checkpoints are '
                                  'saved as mmengine does, without the atomic rename')
            return
        if not is_main_process():
            return
        patterns = [osp.join(escape(str(self.out_dir)), name + TMP_SUFFIX)
                    for name in (self.filename_tmpl.format('*'), 'best_*')]
        patterns.append(osp.join(escape(str(runner.work_dir)), 'last_checkpoint' + TMP_SUFFIX))
        for path in sorted({path for pattern in patterns for path in glob(pattern)}):
            if osp.isfile(path):
                os.remove(path)
                runner.logger.warning(f'Removed {path}, the unfinished file of an interrupted '
                                      'checkpoint save.')

    def _save_atomically(self, runner, filename: str, **kwargs: Any) -> None:
        """``runner.save_checkpoint`` into ``<out_dir>/<filename>.tmp``, then fsync and rename.

        Args:
            runner (Runner): The runner.
            filename (str): Final checkpoint name in the out dir.
            **kwargs: ``save_checkpoint`` arguments (``save_optimizer``, ``meta``, ...).
        """
        tmp_name = filename + TMP_SUFFIX
        # the class's method: _save_best_checkpoint routes runner.save_checkpoint here
        type(runner).save_checkpoint(runner, self.out_dir, tmp_name, self.file_client_args,
                                     backend_args=self.backend_args, **kwargs)
        if not is_main_process():  # save_checkpoint is master-only: nothing was written
            return
        tmp_path = osp.join(self.out_dir, tmp_name)
        fsync_file(tmp_path)
        os.replace(tmp_path, osp.join(self.out_dir, filename))
        fsync_dir(self.out_dir)

    def _remove_checkpoint(self, path: str) -> None:
        """Remove an outdated checkpoint file (or a directory checkpoint)."""
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        """Save ``filename_tmpl.format(step)`` atomically, then prune beyond ``max_keep_ckpts``.

        Args:
            runner (Runner): The runner.
            step (int): Epoch or iteration number of the file name.
            meta (dict): Checkpoint meta (``epoch``, ``iter``).
        """
        if not self._atomic:
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        outdated = None
        # _save_checkpoint and _save_best_checkpoint may both save the same step
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids
                                            and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        self._save_atomically(runner, filename, save_optimizer=self.save_optimizer,
                              save_param_scheduler=self.save_param_scheduler, meta=meta,
                              by_epoch=self.by_epoch, **self.args)
        if not is_main_process():
            return
        atomic_write_text(osp.join(runner.work_dir, 'last_checkpoint'), str(self.last_ckpt))
        if outdated is not None and outdated != step:
            self._remove_checkpoint(
                self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(outdated)))

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        """mmengine's best-checkpoint logic with atomic saves and the old best removed last.

        Args:
            runner (Runner): The runner.
            metrics (dict): Evaluation results.
        """
        if not self._atomic:
            super()._save_best_checkpoint(runner, metrics)
            return
        with self._deferred_removals() as removals, self._atomic_runner_saves(runner):
            super()._save_best_checkpoint(runner, metrics)
        kept = {self.last_ckpt, getattr(self, 'best_ckpt_path', None),
                *(getattr(self, 'best_ckpt_path_dict', None) or {}).values()}
        for path in removals.pending:
            if path not in kept:  # never the file just written under the same name
                self._remove_checkpoint(path)

    @contextmanager
    def _deferred_removals(self) -> Iterator[_DeferredRemovals]:
        """Collect the file removals of the block; they are dropped if the block fails."""
        backend = self.file_backend
        proxy = _DeferredRemovals(backend)
        self.file_backend = proxy
        try:
            yield proxy
        finally:
            self.file_backend = backend

    @contextmanager
    def _atomic_runner_saves(self, runner) -> Iterator[None]:
        """Route ``runner.save_checkpoint(out_dir, filename, ...)`` through the atomic save."""

        def save(out_dir: str, filename: str, file_client_args: Optional[dict] = None,
                 **kwargs: Any) -> None:
            kwargs.pop('backend_args', None)
            if out_dir != self.out_dir:  # not the hook's own save: leave it alone
                type(runner).save_checkpoint(runner, out_dir, filename, file_client_args,
                                             backend_args=self.backend_args, **kwargs)
                return
            self._save_atomically(runner, filename, **kwargs)

        shadowed = 'save_checkpoint' in vars(runner)
        previous = vars(runner).get('save_checkpoint')
        runner.save_checkpoint = save
        try:
            yield
        finally:
            if shadowed:
                runner.save_checkpoint = previous
            else:
                del runner.save_checkpoint

