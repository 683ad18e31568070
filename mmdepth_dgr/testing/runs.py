"""The model tests' shared step: evaluate a (narrowed) config on generated data with
``tools/test.py``'s library function and a random-weight checkpoint."""
from pathlib import Path
from typing import Dict, Optional

import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from ..engine import test, test_config
from ..utils import sync_bn_to_bn
from .data import dataloader_options


def evaluate_with_random_weights(cfg: Config, name: str, data_root: Path, tmp_path: Path,
                                 cfg_options: Optional[Dict] = None) -> Dict[str, float]:
    """Dump ``cfg`` (SyncBN -> BN) as ``<tmp_path>/<name>.py``, save randomly initialised weights
    and run the test loop on ``data_root`` in the main process.

    Args:
        cfg (Config): The config to evaluate (its model is modified in place).
        name (str): File stem of the dumped config.
        data_root (Path): Generated NYU- or KITTI-like data.
        tmp_path (Path): Where the config, checkpoint and work dir go.
        cfg_options (dict, optional): Extra ``--cfg-options``.

    Returns:
        dict[str, float]: The test metrics.
    """
    cfg.model = sync_bn_to_bn(cfg.model)
    config = tmp_path / f'{name}.py'
    cfg.dump(str(config))
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, ckpt)
    options = dict(cfg_options or {})
    options.update(dataloader_options(data_root, splits=('test', 'val')))
    return test(test_config(str(config), str(ckpt), work_dir=str(tmp_path / 'work'),
                            cfg_options=options))
