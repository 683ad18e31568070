"""Config preparation and entry points behind tools/train.py and tools/test.py."""
import copy
import difflib
import inspect
import json
import logging
import os
import os.path as osp
import re
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.logging import print_log
from mmengine.registry import Registry
from mmengine.runner import Runner
from mmseg import registry as registries
from torch.utils.data import DataLoader

from .checkpoint import load_test_checkpoint
from .distributed import dist_backend
from .hooks import checkpoint_problem, last_checkpoint

#: Prefix of a ``--cfg-options`` key that may add a key the config does not have.
NEW_KEY_PREFIX = '+'


class ConfigKeyError(KeyError):
    """A ``--cfg-options`` key that is not in the config (a ``KeyError`` with a readable text)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


def _config_keys(node: Any, prefix: str = '') -> Iterator[str]:
    """Every dotted key of a config tree (dict keys, and list indices as mmengine merges them).

    Args:
        node: A config value.
        prefix (str): Dotted path of ``node`` followed by ``'.'`` (empty at the root).

    Yields:
        str: ``a``, ``a.b``, ``a.0``, ``a.0.c``, ...
    """
    if isinstance(node, dict):
        items = ((str(k), v) for k, v in node.items())
    elif isinstance(node, list):
        items = ((str(i), v) for i, v in enumerate(node))
    else:
        return
    for name, value in items:
        yield prefix + name
        yield from _config_keys(value, f'{prefix}{name}.')


def _config_node(root: Any, parts: Sequence[str]) -> Tuple[int, Any]:
    """Follow a dotted key's parts from ``root`` as far as they exist.

    Args:
        root: The config tree.
        parts (Sequence[str]): The key split at ``'.'``.

    Returns:
        tuple: The number of leading parts that exist, and the value they lead to.
    """
    node = root
    for depth, part in enumerate(parts):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return depth, node
    return len(parts), node


def _call_params(obj: Any) -> List[str]:
    """Named parameters a class (its ``__init__``, following ``**kwargs`` up the MRO) or a
    function accepts; empty when they cannot be read."""
    if inspect.isclass(obj):
        inits = [vars(klass)['__init__'] for klass in obj.__mro__ if '__init__' in vars(klass)]
    elif callable(obj):
        inits = [obj]
    else:
        return []
    names: List[str] = []
    for init in inits:
        try:
            params = list(inspect.signature(init).parameters.values())
        except (TypeError, ValueError):
            break
        names += [p.name for p in params if p.name != 'self'
                  and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break
    return names


def _built_params(node: Any, name: str) -> List[str]:
    """The arguments of what a config dict builds: its ``type`` looked up in mmseg's
    registries; a ``*_dataloader`` dict builds a ``DataLoader``; the root, the ``Runner``.

    Args:
        node: A config value (a dict, or the config's root dict).
        name (str): Its dotted key (empty for the root).

    Returns:
        list[str]: Parameter names (empty when unknown).
    """
    if not isinstance(node, dict):
        return []
    if not name:
        return _call_params(Runner)
    kind = node.get('type')
    if kind is None:
        return _call_params(DataLoader) if name.endswith('_dataloader') else []
    if not isinstance(kind, str):
        return _call_params(kind)
    for registry in vars(registries).values():
        if isinstance(registry, Registry):
            try:
                found = registry.get(kind)
            except Exception:  # noqa: BLE001 - a scope that cannot be imported: look further
                found = None
            if found is not None:
                return _call_params(found)
    return []


def check_cfg_options(cfg: Config, cfg_options: dict, config: str = 'the config') -> dict:
    """Check that every ``--cfg-options`` key exists in ``cfg``; strip the ``+`` prefixes.

    A key exists when its whole dotted path is in the config (dict keys and list indices),
    or when its first missing part is an argument of what the dict above it builds, left at
    its default by the config: a parameter of the ``type`` (looked up in mmseg's registries,
    following ``**kwargs`` to the base classes), of ``DataLoader`` for a ``*_dataloader``
    dict, of ``Runner`` at the top level. So ``train_cfg.val_begin=1`` passes, while
    ``modle.decode_head.channels=8`` or ``default_hooks.checkpoint.intervl=1`` does not.

    Args:
        cfg (Config): The loaded config.
        cfg_options (dict): Dotted key -> value, as from ``DictAction``; a key written
            ``+a.b`` may be absent from the config (it is added).
        config (str): The config's name for the message.

    Returns:
        dict: The options for ``Config.merge_from_dict`` (``+`` removed).

    Raises:
        ConfigKeyError: A key without ``+`` is not in the config; the message names each
            one with the closest existing key, or the keys next to it.
    """
    tree = dict(cfg.items())
    options, problems, known = {}, [], None
    for key, value in cfg_options.items():
        if key.startswith(NEW_KEY_PREFIX):
            options[key[len(NEW_KEY_PREFIX):]] = value
            continue
        options[key] = value
        parts = key.split('.')
        depth, node = _config_node(tree, parts)
        if depth == len(parts):
            continue
        parent = '.'.join(parts[:depth])
        accepted = _built_params(node, parent)
        if parts[depth] in accepted:  # an argument of the built class the config leaves default
            continue
        if known is None:
            known = list(_config_keys(tree))
        candidates = [k for k in known + [f'{parent}.{arg}' if parent else arg for arg in accepted]
                      if k.count('.') == key.count('.')]  # same depth: no parent suggested
        # the first missing part must itself be close (not only the shared prefix)
        close = [c for c in difflib.get_close_matches(key, candidates, n=5, cutoff=0.6)
                 if difflib.SequenceMatcher(None, parts[depth],
                                            c.split('.')[depth]).ratio() >= 0.6]
        if close:
            hint = f'did you mean {close[0]!r}?'
        elif depth and isinstance(node, (dict, list)):
            names = [str(k) for k in (node if isinstance(node, dict) else range(len(node)))]
            names = list(dict.fromkeys(names + accepted))
            hint = f'{parent!r} has {", ".join(names[:20])}{", ..." if len(names) > 20 else ""}'
        else:
            hint = f'{parts[0]!r} is not a top-level key'
        problems.append(f'  {key!r}: {hint}')
    if problems:
        raise ConfigKeyError(
            f'--cfg-options: key(s) not in {config}:\n' + '\n'.join(problems)
            + f'\nTo add a key the config does not have, prefix it with '
            f'{NEW_KEY_PREFIX!r}, e.g. {NEW_KEY_PREFIX}model.foo=1.')
    return options


def load_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config file and merge ``--cfg-options``.

    Every key of ``cfg_options`` must exist in the config (list indices included, as in
    ``train_dataloader.dataset.pipeline.2.scale=...``) or be an argument, left at its
    default, of the class its dict builds (:func:`check_cfg_options`), so that a typo such
    as ``modle.decode_head.channels`` fails here, before anything runs, with the closest
    existing key instead of being ignored. A key prefixed with ``+`` (``+model.foo=1``) may
    be new: it is added without the check.

    Args:
        config (str): Config path.
        cfg_options (dict, optional): Overrides, as from ``DictAction``.

    Returns:
        Config: The merged config.

    Raises:
        FileNotFoundError: The config file does not exist.
        ConfigKeyError: A key of ``cfg_options`` (without ``+``) is not in the config
            (a ``KeyError``).
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(check_cfg_options(cfg, cfg_options, config))
    return cfg


def prepare_runtime(cfg: Config, config_path: str, work_dir: Optional[str] = None,
                    launcher: str = 'none') -> Config:
    """Fill work_dir, launcher, the distributed backend and the CPU-DDP wrapper (no side effect).

    The work dir defaults to ``./work_dirs/<config name>`` as in mmseg. Under a
    launcher, the backend is the config's ``env_cfg.dist_cfg.backend`` unless it
    is ``'auto'``/absent, then nccl with CUDA and gloo without. Without CUDA,
    DDP must get ``device_ids=None`` (mmengine passes the local rank otherwise).
    The process group is not created here: the tools call
    :func:`~mmdepth_dgr.engine.distributed.init_distributed` with the filled config.

    Args:
        cfg (Config): Loaded config.
        config_path (str): Its path (for the default work dir).
        work_dir (str, optional): ``--work-dir``.
        launcher (str): ``none``, ``pytorch``, ``slurm`` or ``mpi``.

    Returns:
        Config: ``cfg``, updated in place.
    """
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    env_cfg = cfg.setdefault('env_cfg', Config(dict()))
    dist_cfg = env_cfg.setdefault('dist_cfg', dict())
    dist_cfg['backend'] = dist_backend(dist_cfg.get('backend'))
    if launcher != 'none' and not torch.cuda.is_available():
        wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
        wrapper.setdefault('device_ids', None)
        cfg.model_wrapper_cfg = wrapper
    return cfg


def enable_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper to mixed precision (``--amp``), as mmseg's train tool does.

    Args:
        cfg (Config): Config with an ``optim_wrapper``.

    Raises:
        KeyError: The config has no ``optim_wrapper``.
    """
    if 'optim_wrapper' not in cfg:
        raise KeyError('--amp needs an optim_wrapper in the config')
    if cfg.optim_wrapper.get('type', 'OptimWrapper') != 'AmpOptimWrapper':
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


#: Checkpoint names of mmengine's checkpoint hook (default ``filename_tmpl``); the largest
#: number is the newest.
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


def _auto_resume(cfg: Config) -> None:
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


def train_config(config: str, work_dir: Optional[str] = None, resume: Optional[str] = None,
                 amp: bool = False, cfg_options: Optional[dict] = None,
                 launcher: str = 'none') -> Config:
    """The training config of ``tools/train.py``'s options (no side effect).

    Args:
        config (str): Config path.
        work_dir (str, optional): Output directory.
        resume (str, optional): ``'auto'`` to resume from the newest complete checkpoint
            of the work dir (:func:`find_resume_checkpoint`; truncated or corrupt files are
            skipped with a warning; none: a fresh run), or a checkpoint path.
        amp (bool): Mixed-precision training.
        cfg_options (dict, optional): Config overrides (see :func:`load_config`).
        launcher (str): Job launcher.

    Returns:
        Config: The filled config, ready for :func:`train`.

    Raises:
        FileNotFoundError: The config or the ``resume`` checkpoint is missing.
        IncompleteCheckpointError: The ``resume`` checkpoint is truncated or corrupt.
    """
    cfg = prepare_runtime(load_config(config, cfg_options), config, work_dir, launcher)
    if amp:
        enable_amp(cfg)
    if resume == 'auto':
        _auto_resume(cfg)
    elif resume:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume checkpoint not found: {resume}')
        problem = checkpoint_problem(resume)
        if problem is not None:
            raise IncompleteCheckpointError(
                f'--resume checkpoint {resume} is incomplete or corrupt: {problem}. Resume '
                'from an earlier checkpoint, or give --resume without a path to take the '
                'newest complete one of the work dir.')
        cfg.resume, cfg.load_from = True, resume
    return cfg


def test_config(config: str, checkpoint: str, work_dir: Optional[str] = None,
                show_dir: Optional[str] = None, show: bool = False, wait_time: float = 2,
                out: Optional[str] = None, cfg_options: Optional[dict] = None,
                launcher: str = 'none', vis_interval: Optional[int] = None) -> Config:
    """The test config of ``tools/test.py``'s options (no side effect).

    Args:
        config (str): Config path.
        checkpoint (str): Checkpoint file.
        work_dir (str, optional): Output directory for logs.
        show_dir (str, optional): Save RGB | GT | prediction | error pictures here.
        show (bool): Show pictures in a window.
        wait_time (float): Show delay.
        out (str, optional): Write 16-bit PNG predictions and per-image CSV here.
        cfg_options (dict, optional): Config overrides.
        launcher (str): Job launcher.
        vis_interval (int, optional): Draw every N-th test image.

    Returns:
        Config: The filled config, ready for :func:`test` (which loads ``load_from``).

    Raises:
        FileNotFoundError: The config or the checkpoint is missing.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    cfg = prepare_runtime(load_config(config, cfg_options), config, work_dir, launcher)
    cfg.load_from = checkpoint
    if show or show_dir:
        hooks = cfg.setdefault('default_hooks', Config(dict()))
        vis_hook = hooks.setdefault('visualization', dict(type='SegVisualizationHook'))
        vis_hook['draw'] = True
        vis_hook['show'] = show
        vis_hook['wait_time'] = wait_time
        if vis_interval is not None:
            vis_hook['interval'] = vis_interval
        if show_dir:
            cfg.visualizer['save_dir'] = show_dir
    if out:
        evaluators = cfg.test_evaluator
        for evaluator in evaluators if isinstance(evaluators, Sequence) else [evaluators]:
            evaluator['output_dir'] = out
    return cfg


def train(cfg: Config) -> Runner:
    """Train with mmengine's runner from a config filled by :func:`train_config`.

    Args:
        cfg (Config): The training config.

    Returns:
        Runner: The runner after training.
    """
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test(cfg: Config, strict: bool = True) -> dict:
    """Evaluate with mmengine's runner from a config filled by :func:`test_config`.

    The checkpoint (``cfg.load_from``) is loaded once, by
    :func:`~mmdepth_dgr.engine.checkpoint.load_test_checkpoint` (weights-only; strict by
    default) after the runner is built and before its test loop; the runner itself gets
    ``load_from=None`` and ``resume=False``, so it loads nothing. ``after_load_checkpoint``
    hooks are not called (no config of the project has one).

    Args:
        cfg (Config): The test config (not modified).
        strict (bool): Refuse a checkpoint whose keys or shapes differ from the model's
            (``tools/test.py`` without ``--non-strict``). Defaults to True.

    Returns:
        dict: The test metrics.

    Raises:
        CheckpointMismatchError: ``strict`` and the checkpoint does not fit the model.
        UnsafeCheckpointError: The checkpoint holds a global outside the allow-list.
    """
    cfg = copy.deepcopy(cfg)
    checkpoint = cfg.get('load_from')
    cfg.load_from, cfg.resume = None, False
    runner = Runner.from_cfg(cfg)
    if checkpoint:
        load_test_checkpoint(runner.model, checkpoint, strict=strict)
    return runner.test()


def dump_metrics(metrics: dict, path: str) -> None:
    """Write a metrics dict as JSON (main process only).

    Args:
        metrics (dict): Metric name -> value.
        path (str): Output file; its folder is created.
    """
    if not is_main_process():
        return
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
