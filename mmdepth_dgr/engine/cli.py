"""Command-line options shared by the tools (mmsegmentation's names and defaults)."""
import argparse

from mmengine.config import DictAction


def add_runtime_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``--cfg-options``, ``--launcher`` and ``--local_rank`` to a tool's parser.

    ``--cfg-options`` keys are checked against the config by
    :func:`~mmdepth_dgr.engine.runner.load_config` (:mod:`~mmdepth_dgr.engine.cfg_options`):
    an unknown key is an error (with the
    closest existing key), a ``+`` prefix (``+model.foo=1``) adds a new one.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.

    Returns:
        argparse.ArgumentParser: The same parser, for chaining.
    """
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value (e.g. '
                        'model.decode_head.channels=8, train_pipeline.2.scale=[480,640]); '
                        'a key the config does not have is an error naming the closest '
                        'one, unless it is prefixed with + to add it (+model.foo=1)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser
