"""Convert an official PixelFormer checkpoint (ashutosh1807/PixelFormer) to this project.

python tools/model_converters/pixelformer2mmdepth.py nyu.pth pixelformer_swin-l_nyu.pth
python tools/test.py configs/pixelformer/pixelformer_swin-l_nyu.py pixelformer_swin-l_nyu.pth

The key mapping is :func:`mmdepth_dgr.models.converters.convert_pixelformer`.
"""
import argparse

import torch

from mmdepth_dgr.models.converters.pixelformer import checkpoint_state_dict, convert_pixelformer


def parse_args(argv=None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official checkpoint (nyu.pth / kitti.pth)')
    parser.add_argument('dst', help='output checkpoint for tools/test.py or load_from')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Entry point."""
    args = parse_args(argv)
    # official checkpoints also hold the optimizer state (plain tensors and numbers)
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=False)
    state_dict = convert_pixelformer(checkpoint_state_dict(checkpoint))
    torch.save({'state_dict': state_dict, 'meta': {'converted_from': args.src}}, args.dst)
    print(f'wrote {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
