"""Config rewrites for offline and CPU use (tests, analysis tools)."""
from typing import Any


def strip_pretrained(cfg: Any) -> Any:
    """Switch off every pretrained-weight download in a (model) config, in place.

    ``init_cfg`` entries of type ``Pretrained`` and ``pretrained=<url>`` keys are
    set to None; the config keeps its structure otherwise.

    Args:
        cfg: A config dict (or list of them), e.g. ``cfg.model``.

    Returns:
        The same object, for chaining.
    """
    if isinstance(cfg, dict):
        for key, value in list(cfg.items()):
            if ((key == 'pretrained' and isinstance(value, str))
                    or (key == 'init_cfg' and _is_pretrained(value))):
                cfg[key] = None
            else:
                strip_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for item in cfg:
            strip_pretrained(item)
    return cfg


def _is_pretrained(init_cfg: Any) -> bool:
    """Whether an ``init_cfg`` (dict or list) loads a checkpoint."""
    items = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    return any(isinstance(i, dict) and i.get('type') == 'Pretrained' for i in items)


def sync_bn_to_bn(cfg: Any) -> Any:
    """Replace ``SyncBN`` norm configs by ``BN`` in place (single-process CPU runs).

    Args:
        cfg: A config dict (or list of them).

    Returns:
        The same object, for chaining.
    """
    if isinstance(cfg, dict):
        if cfg.get('type') == 'SyncBN':
            cfg['type'] = 'BN'
        for value in cfg.values():
            sync_bn_to_bn(value)
    elif isinstance(cfg, (list, tuple)):
        for item in cfg:
            sync_bn_to_bn(item)
    return cfg
