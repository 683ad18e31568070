"""Convert an official AdaBins checkpoint (shariqfarooq123/AdaBins) to this project.

python tools/model_converters/adabins2mmdepth.py AdaBins_nyu.pt adabins_efficientnet-b5_nyu.pth
python tools/test.py configs/adabins/adabins_efficientnet-b5_nyu.py adabins_efficientnet-b5_nyu.pth

The result also loads into configs/dgr/adabins_dgr_{nyu,kitti}.py (``load_from``), whose
only extra weights are the zero-initialised DGR blocks. The key mapping is
:func:`mmdepth_dgr.models.converters.adabins.convert_adabins`.
"""
import argparse

import torch

from mmdepth_dgr.models.converters.adabins import checkpoint_state_dict, convert_adabins


def parse_args(argv=None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official checkpoint (AdaBins_nyu.pt / AdaBins_kitti.pt)')
    parser.add_argument('dst', help='output checkpoint for tools/test.py or load_from')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Entry point."""
    args = parse_args(argv)
    # official checkpoints also hold the optimizer state and the epoch
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=False)
    state_dict, dropped = convert_adabins(checkpoint_state_dict(checkpoint))
    torch.save({'state_dict': state_dict, 'meta': {'converted_from': args.src}}, args.dst)
    print(f'wrote {len(state_dict)} tensors to {args.dst}; dropped {len(dropped)} unused '
          f'official tensors: {dropped}')


if __name__ == '__main__':
    main()
