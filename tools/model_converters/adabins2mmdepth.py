"""Convert an official AdaBins checkpoint (shariqfarooq123/AdaBins) to this project.

python tools/model_converters/adabins2mmdepth.py AdaBins_nyu.pt adabins_efficientnet-b5_nyu.pth
python tools/test.py configs/adabins/adabins_efficientnet-b5_4xb4-80k_nyu-416x544.py \\
    adabins_efficientnet-b5_nyu.pth

The result also loads into configs/dgr/adabins-dgr_efficientnet-b5_*.py (``load_from``), whose
only extra weights are the zero-initialised DGR blocks. The key mapping is
:func:`mmdepth_dgr.models.converters.adabins.convert_adabins`.
"""
import argparse

from mmdepth_dgr.models.converters.adabins import convert_adabins
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
    parser.add_argument('src', help='official checkpoint (AdaBins_nyu.pt / AdaBins_kitti.pt)')
    parser.add_argument('dst', help='output checkpoint for tools/test.py or load_from')
    return add_converter_args(parser).parse_args(argv)


def main(argv=None) -> None:
    """Entry point."""
    args = parse_args(argv)
    # official checkpoints also hold the optimizer state and the epoch; a checkpoint
    # without a 'model'/'state_dict' entry is passed on as is (strict=False)
    checkpoint = load_official_checkpoint(args.src, trust=args.trust_checkpoint)
    state_dict, dropped = convert_adabins(checkpoint_state_dict(checkpoint, strict=False))
    save_converted_checkpoint(state_dict, args.dst, args.src)
    print(f'wrote {len(state_dict)} tensors to {args.dst}; dropped {len(dropped)} unused '
          f'official tensors: {dropped}')


if __name__ == '__main__':
    run_converter(main)
