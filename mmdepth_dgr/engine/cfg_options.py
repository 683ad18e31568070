"""``--cfg-options`` checked against the config before anything runs (typos are errors)."""
import difflib
import inspect
from typing import Any, Iterator, List, Sequence, Tuple

from mmengine.config import Config
from mmengine.registry import Registry
from mmengine.runner import Runner
from mmseg import registry as registries
from torch.utils.data import DataLoader

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
