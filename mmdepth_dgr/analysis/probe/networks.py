"""The two target networks of the sparse-pixel study (Sec. 3.1): Transformer and CNN."""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional

from mmengine.config import Config

#: The two networks of the study, in table order.
NETWORK_KEYS = ('transformer', 'cnn')

@dataclass
class ProbeNetwork:
    """One target network of the study.

    Attributes:
        key (str): ``'transformer'`` or ``'cnn'``.
        name (str): Display name (tables, plots).
        config (str): Its model config file.
        checkpoint (str): Its trained checkpoint.
    """

    key: str
    name: str
    config: str
    checkpoint: str

def resolve_networks(cfg: Config, overrides: Optional[Dict[str, Dict[str, str]]] = None
                     ) -> Dict[str, ProbeNetwork]:
    """The Transformer and CNN of the study, from ``cfg.probe_pair`` and overrides.

    Args:
        cfg (Config): Probe config with ``probe_pair.transformer`` and
            ``probe_pair.cnn`` (``name``, ``config``, ``checkpoint``).
        overrides (dict, optional): ``{'transformer': {'config': ..., 'checkpoint':
            ...}, 'cnn': {...}}``; None values are ignored.

    Returns:
        dict[str, ProbeNetwork]: Keyed by :data:`NETWORK_KEYS`.

    Raises:
        KeyError: The config has no ``probe_pair`` entry for a network.
        FileNotFoundError: A network config or checkpoint is missing.
    """
    pair = cfg.get('probe_pair')
    if pair is None:
        raise KeyError('the probe config needs a probe_pair dict (transformer=..., cnn=...)')
    networks = {}
    for key in NETWORK_KEYS:
        if key not in pair:
            raise KeyError(f'probe_pair.{key} is missing from the config')
        entry = dict(pair[key])
        entry.update({k: v for k, v in ((overrides or {}).get(key) or {}).items()
                      if v is not None})
        config, ckpt = entry.get('config'), entry.get('checkpoint')
        if not config or not osp.isfile(config):
            raise FileNotFoundError(f'{key} network config not found: {config}')
        if not ckpt:
            raise FileNotFoundError(f'no checkpoint for the {key} network: give '
                                    f'--{key}-ckpt or probe_pair.{key}.checkpoint')
        if not osp.isfile(ckpt):
            raise FileNotFoundError(f'{key} network checkpoint not found: {ckpt}')
        name = entry.get('name') or osp.splitext(osp.basename(config))[0]
        networks[key] = ProbeNetwork(key, name, config, ckpt)
    return networks
