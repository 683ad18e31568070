"""Convert an official DPT-Hybrid depth checkpoint (isl-org/DPT) to this project.

python tools/model_converters/dpt2mmdepth.py dpt_hybrid_nyu-2ce69ec7.pt dpt_nyu.pth --dataset nyu
python tools/test.py configs/dpt/dpt_r50-vit-b16_4xb4-80k_nyu-416x544.py dpt_nyu.pth

``--dataset nyu|kitti`` folds the official inverse-depth scale (0.000305 / 6.016e-5) into
the last conv; the configs carry the matching shift (0.1378 / 0.00579). ``--dgr`` writes
the neck keys for configs/dgr/dpt-dgr_*.py (``SequentialNeck([DPTReassemble, DGRNeck])``).
For the relative MiDaS model (dpt_hybrid-midas-501f0c75.pt) give ``--scale`` yourself or
none. The key mapping is :func:`mmdepth_dgr.models.converters.dpt.convert_dpt_hybrid`.
"""
import argparse

from mmdepth_dgr.models.converters.dpt import DPT_INVERSE_DEPTH, convert_dpt_hybrid
from mmdepth_dgr.models.converters.utils import (
    add_converter_args,
    checkpoint_state_dict,
    load_official_checkpoint,
    run_converter,
    save_converted_checkpoint,
)


def parse_args(argv=None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official checkpoint (dpt_hybrid_{nyu,kitti}-*.pt)')
    parser.add_argument('dst', help='output checkpoint for tools/test.py or load_from')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--dataset', choices=sorted(DPT_INVERSE_DEPTH),
                       help='fold the official inverse-depth scale of this model')
    group.add_argument('--scale', type=float, help='fold this inverse-depth scale instead')
    parser.add_argument('--dgr', action='store_true',
                        help='target the DGR configs (neck keys under neck.necks.0.)')
    return add_converter_args(parser).parse_args(argv)


def main(argv=None) -> None:
    """Entry point."""
    args = parse_args(argv)
    # DPT's loader accepts a bare state dict or {'model': ..., 'optimizer': ...}
    official = load_official_checkpoint(args.src, trust=args.trust_checkpoint)
    checkpoint = checkpoint_state_dict(official, keys=('model', ), strict=False)
    scale = DPT_INVERSE_DEPTH[args.dataset][0] if args.dataset else args.scale
    state_dict, dropped = convert_dpt_hybrid(
        checkpoint, depth_scale=scale, neck_prefix='neck.necks.0.' if args.dgr else 'neck.')
    meta = {'folded_inverse_depth_scale': scale}
    if args.dataset:
        meta['inverse_shift'] = DPT_INVERSE_DEPTH[args.dataset][1]
    save_converted_checkpoint(state_dict, args.dst, args.src, **meta)
    print(f'wrote {len(state_dict)} tensors to {args.dst} (inverse-depth scale folded: {scale}); '
          f'dropped {len(dropped)} unused official tensors: {dropped}')


if __name__ == '__main__':
    run_converter(main)
