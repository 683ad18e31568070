"""Which checkpoint ``--resume`` continues from: the newest complete one (no unpickling)."""
import logging
import os
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

from .hooks import checkpoint_problem, last_checkpoint

_CHECKPOINT_NAME = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


class IncompleteCheckpointError(ValueError):
    """A checkpoint given to ``--resume`` is truncated or corrupt."""


def _checkpoint_dirs(cfg: Config) -> List[str]:
    """The directories the checkpoint hook writes to: the work dir, and a local ``out_dir``
    (``<out_dir>/<work dir name>``, as mmengine's hook resolves it)."""
    dirs = [cfg.work_dir]
    hook = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
    out_dir = hook.get('out_dir')
    if out_dir and '://' not in str(out_dir):
        dirs.append(osp.join(str(out_dir), osp.basename(cfg.work_dir.rstrip(osp.sep))))
    return dirs


def find_resume_checkpoint(work_dir: str, dirs: Optional[Sequence[str]] = None
                           ) -> Tuple[Optional[str], List[Tuple[str, str]]]:
    """The newest complete checkpoint of a work dir, and the files skipped on the way.

    Candidates are the ``iter_<N>.pth`` / ``epoch_<N>.pth`` files of ``dirs`` (largest
    ``N`` first) and the file named by ``<work_dir>/last_checkpoint`` (first, if it has
    another name); each is checked with
    :func:`~mmdepth_dgr.engine.hooks.checkpoint_problem` (a zip integrity test, no
    unpickling) until a complete one is found. ``*.pth.tmp`` files (saves that were
    interrupted) are reported as skipped.

    Args:
        work_dir (str): The training work dir.
        dirs (Sequence[str], optional): Directories to scan. Defaults to ``[work_dir]``.

    Returns:
        tuple: The checkpoint path (None if there is no complete one) and a list of
        ``(path, reason)`` of the newer files that were skipped.
    """
    found, skipped = [], []
    for folder in dirs or [work_dir]:
        if not osp.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            path = osp.join(folder, name)
            match = _CHECKPOINT_NAME.match(name)
            if match:
                found.append((int(match.group(1)), osp.getmtime(path), path))
            elif name.endswith('.pth.tmp'):
                skipped.append((path, 'unfinished file of an interrupted save'))
    candidates = [path for *_, path in sorted(found, reverse=True)]
    named = last_checkpoint(work_dir)
    if named is not None:
        seen = {osp.abspath(path) for path in candidates}
        if not osp.isfile(named):
            skipped.append((named, f'named by {osp.join(work_dir, "last_checkpoint")} but '
                            'missing'))
        elif osp.abspath(named) not in seen:
            candidates.insert(0, named)
    for path in candidates:
        problem = checkpoint_problem(path)
        if problem is None:
            return path, skipped
        skipped.append((path, problem))
    return None, skipped


def auto_resume(cfg: Config) -> None:
    """``--resume`` without a path: resume from the newest complete checkpoint, saying which
    files were skipped; without one, a fresh run (the config's ``load_from`` applies)."""
    checkpoint, skipped = find_resume_checkpoint(cfg.work_dir, _checkpoint_dirs(cfg))
    for path, reason in skipped:
        print_log(f'auto-resume: skipping {path}: {reason}', logger='current',
                  level=logging.WARNING)
    if checkpoint is None:
        print_log(f'auto-resume: no complete checkpoint in {cfg.work_dir}; training starts '
                  'from the beginning', logger='current', level=logging.WARNING)
        cfg.resume = False
        return
    print_log(f'auto-resume: resuming from {checkpoint}'
              + (', the newest complete checkpoint' if skipped else ''), logger='current',
              level=logging.WARNING if skipped else logging.INFO)
    cfg.resume, cfg.load_from = True, checkpoint
