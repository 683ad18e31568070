"""Check that a converted official model computes what the official code computes.

python tools/model_converters/check_parity.py OFFICIAL_REPO_DIR MODEL [--dtype float64]

OFFICIAL_REPO_DIR is a checkout of the model's official repository (see the model-zoo page);
its code is imported from there at run time, with its own dependencies (e.g. timm 0.4.5 for
DPT and PixelFormer). The official model is built with random weights and perturbed norm
statistics, converted with this project's converter, loaded into the model of the matching
config and both are run in eval mode on one random input. Printed: the max absolute and
relative differences at the head output and at full resolution, and both parameter counts.
The library part is :mod:`mmdepth_dgr.models.converters.parity`; the recipes of the models are
in :mod:`mmdepth_dgr.models.converters.parity_models`.
"""
import argparse
import subprocess
import sys
from pathlib import Path

import torch

from mmdepth_dgr.models.converters.parity import run_parity
from mmdepth_dgr.models.converters.parity_models import SPECS

DTYPES = {'float64': torch.float64, 'float32': torch.float32}


def parse_args(argv=None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('official_repo', help='checkout of the official repository')
    parser.add_argument('model', choices=sorted(SPECS), help='model to check')
    parser.add_argument('--dtype', choices=sorted(DTYPES), default='float64',
                        help='precision of both models (default float64)')
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'),
                        help="input size instead of the recipe's")
    parser.add_argument('--seed', type=int, default=0, help='seed of weights and input')
    parser.add_argument('--device', default='cpu', help='device (default cpu)')
    parser.add_argument('--commit', help='official commit to report when OFFICIAL_REPO_DIR is '
                        'an exported tree (not a git checkout)')
    return parser.parse_args(argv)


def official_commit(repo: Path) -> str:
    """The checkout's git commit, or 'unknown' (an exported tree has none)."""
    try:
        out = subprocess.run(['git', '-C', str(repo), 'rev-parse', 'HEAD'], check=True,
                             capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return 'unknown (not a git checkout)'
    return out.stdout.strip()


def main(argv=None) -> int:
    """Entry point; exit status 1 if the converted state dict does not load strictly."""
    args = parse_args(argv)
    spec = SPECS[args.model]
    repo = Path(args.official_repo)
    print(f'official code: {repo.resolve()} (commit {args.commit or official_commit(repo)})')
    print(f'config: {spec.config}')
    try:
        result = run_parity(spec, repo, dtype=DTYPES[args.dtype], seed=args.seed,
                            input_size=args.size, device=args.device)
    except RuntimeError as err:  # strict loading failed: name the keys
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(result.format())
    if spec.note:
        print(f'note: {spec.note}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
