"""Synthetic NYU / KITTI trees for the tests, generated once per argument set, and the
``--cfg-options`` that point a config's data loaders at such a tree."""
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from ..synthetic import generate_kitti, generate_nyu

#: Generator arguments of the small trees the model tests evaluate on (``test()`` runs with
#: random weights): two test frames each; the KITTI frames are just larger than the
#: 352x1216 KB crop of the configs' test pipeline.
EVAL_TREES: Dict[str, Dict[str, int]] = {
    'nyu': dict(num_train=2, num_test=2, height=64, width=96, seed=0),
    'kitti': dict(num_train=0, num_test=2, height=356, width=1220, seed=0),
}
#: Generator arguments of the NYU tree the end-to-end tool runs train on (8 train, 4 test).
TRAIN_TREE: Dict[str, int] = dict(num_train=8, num_test=4, height=48, width=64, seed=0)

_GENERATORS = {'nyu': generate_nyu, 'kitti': generate_kitti}


class SyntheticTrees:
    """Generated dataset trees under ``root``, one per (dataset, arguments), made on first use.

    Args:
        root (str | Path): Directory the trees are written to (e.g. a session tmp dir).

    Example:
        >>> trees = SyntheticTrees(tmp_path)
        >>> nyu = trees.get('nyu', **EVAL_TREES['nyu'])  # generated
        >>> nyu is trees.get('nyu', **EVAL_TREES['nyu'])  # cached
        True
    """

    def __init__(self, root) -> None:
        self.root = Path(root)
        self._trees: Dict[Tuple, Path] = {}

    def get(self, dataset: str, **kwargs: Any) -> Path:
        """The tree of ``generate_<dataset>(root, **kwargs)``, generated on first request.

        Args:
            dataset (str): ``'nyu'`` or ``'kitti'``.
            **kwargs: Arguments of :func:`mmdepth_dgr.synthetic.generate_nyu` /
                :func:`~mmdepth_dgr.synthetic.generate_kitti` (``num_train``, ``num_test``,
                ``height``, ``width``, ``seed``, ...).

        Returns:
            Path: The dataset root (the trees are shared: do not write into them).
        """
        if dataset not in _GENERATORS:
            raise ValueError(f'SyntheticTrees: unknown dataset {dataset!r}; choose from '
                             f'{sorted(_GENERATORS)}')
        key = (dataset, tuple(sorted(kwargs.items())))
        if key not in self._trees:
            name = '_'.join([dataset] + [f'{k}{v}' for k, v in key[1]])
            path = self.root / name
            _GENERATORS[dataset](path, **kwargs)
            self._trees[key] = path
        return self._trees[key]


def dataloader_options(data_root, splits: Sequence[str] = ('train', 'val', 'test'),
                       num_workers: int = 0) -> Dict[str, Any]:
    """``cfg_options`` that read ``data_root`` in the main process for each split's loader.

    Args:
        data_root (str | Path): The dataset root.
        splits (Sequence[str]): Loader prefixes (``<split>_dataloader``).
        num_workers (int): Loader workers (0: no worker processes, no persistent workers).

    Returns:
        dict: ``{'<split>_dataloader.dataset.data_root': ..., '<split>_dataloader.num_workers':
        ..., '<split>_dataloader.persistent_workers': False}`` for every split.
    """
    options: Dict[str, Any] = {}
    for split in splits:
        options[f'{split}_dataloader.dataset.data_root'] = str(data_root)
        options[f'{split}_dataloader.num_workers'] = num_workers
        options[f'{split}_dataloader.persistent_workers'] = False
    return options


def as_cli_options(options: Dict[str, Any]) -> List[str]:
    """``KEY=VALUE`` strings of ``options`` for the tools' ``--cfg-options``."""
    return [f'{key}={value}' for key, value in options.items()]


def tool_train_options(data_root: Path, max_iters: int) -> list:
    """``--cfg-options`` of the end-to-end ``tools/train.py`` tests: the tree, batch 2,
    ``max_iters`` iterations, a checkpoint every 2 and a log line every iteration."""
    return [
        '--cfg-options', *as_cli_options(dataloader_options(data_root)),
        'train_dataloader.batch_size=2',
        f'train_cfg.max_iters={max_iters}', f'train_cfg.val_interval={max_iters}',
        'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
    ]
