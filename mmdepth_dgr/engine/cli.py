"""Command-line options shared by the tools (mmsegmentation's names and defaults)."""
import argparse

from mmengine.config import DictAction


def add_runtime_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``--cfg-options``, ``--launcher`` and ``--local_rank`` to a tool's parser.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.

    Returns:
        argparse.ArgumentParser: The same parser, for chaining.
    """
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser
