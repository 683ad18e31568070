"""Convert an official PixelFormer checkpoint (ashutosh1807/PixelFormer) to this project.

python tools/model_converters/pixelformer2mmdepth.py nyu.pth pixelformer_swin-l_nyu.pth
python tools/test.py configs/pixelformer/pixelformer_swin-l_4xb2-80k_nyu-416x544.py \\
    pixelformer_swin-l_nyu.pth

The key mapping is :func:`mmdepth_dgr.models.converters.convert_pixelformer`.
"""
import argparse

from mmdepth_dgr.models.converters.pixelformer import convert_pixelformer
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
    parser.add_argument('src', help='official checkpoint (nyu.pth / kitti.pth)')
    parser.add_argument('dst', help='output checkpoint for tools/test.py or load_from')
    return add_converter_args(parser).parse_args(argv)


def main(argv=None) -> None:
    """Entry point."""
    args = parse_args(argv)
    # official checkpoints also hold the optimizer state (plain tensors and numbers)
    checkpoint = load_official_checkpoint(args.src, trust=args.trust_checkpoint)
    state_dict = convert_pixelformer(checkpoint_state_dict(checkpoint))
    save_converted_checkpoint(state_dict, args.dst, args.src)
    print(f'wrote {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    run_converter(main)
