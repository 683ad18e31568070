"""Convert an official DepthFormer checkpoint to this project.

Two DepthFormers exist (see configs/depthformer/README.md):

python tools/model_converters/depthformer2mmdepth.py hahi depthformer_swinl_22k_w7_kitti.pth \\
    depthformer-hahi_swin-l_kitti.pth       # Li et al., zhyever/Monocular-Depth-Estimation-Toolbox
python tools/model_converters/depthformer2mmdepth.py transbins Depthformer_nyu.pt \\
    depthformer-transbins_mit-b4_nyu.pth    # Agarwal & Arora (ICIP'22), ashutosh1807/Depthformer
python tools/test.py configs/depthformer/depthformer-hahi_swin-l_4xb4-80k_kitti-352x704.py \\
    depthformer-hahi_swin-l_kitti.pth

With ``--dgr`` the HAHI weights go to ``neck.necks.1.*``, the layout of the
``configs/dgr/depthformer-hahi-dgr_*.py`` models (``SequentialNeck([DGRNeck, HAHI])``),
to fine-tune the official weights with DGR (``--cfg-options load_from=...``).

The key mappings are :func:`mmdepth_dgr.models.converters.convert_depthformer_hahi` and
:func:`~mmdepth_dgr.models.converters.convert_depthformer_transbins`.
"""
import argparse

from mmdepth_dgr.models.converters.depthformer import (
    convert_depthformer_hahi,
    convert_depthformer_transbins,
)
from mmdepth_dgr.models.converters.utils import (
    add_converter_args,
    checkpoint_state_dict,
    load_official_checkpoint,
    run_converter,
    save_converted_checkpoint,
)

CONVERTERS = {'hahi': convert_depthformer_hahi, 'transbins': convert_depthformer_transbins}


def parse_args(argv=None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('variant', choices=sorted(CONVERTERS),
                        help="'hahi': Li et al.'s DepthFormer, 'transbins': the ICIP'22 one")
    parser.add_argument('src', help='official checkpoint')
    parser.add_argument('dst', help='output checkpoint for tools/test.py or load_from')
    parser.add_argument('--dgr', action='store_true',
                        help="'hahi' only: lay the neck out for the DGR configs")
    return add_converter_args(parser).parse_args(argv)


def main(argv=None) -> None:
    """Entry point."""
    args = parse_args(argv)
    # official checkpoints also hold the optimizer state and metadata
    checkpoint = load_official_checkpoint(args.src, trust=args.trust_checkpoint)
    state_dict = checkpoint_state_dict(checkpoint)
    if args.variant == 'hahi':
        state_dict = convert_depthformer_hahi(
            state_dict, neck_prefix='neck.necks.1.' if args.dgr else 'neck.')
    elif args.dgr:
        raise SystemExit('--dgr applies to the hahi variant only (the other DGR configs keep '
                         'the baseline keys)')
    else:
        state_dict = convert_depthformer_transbins(state_dict)
    save_converted_checkpoint(state_dict, args.dst, args.src)
    print(f'wrote {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    run_converter(main)
