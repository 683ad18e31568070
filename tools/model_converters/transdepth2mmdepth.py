"""Convert an official TransDepth checkpoint (ygjwd12345/TransDepth) to this project.

python tools/model_converters/transdepth2mmdepth.py \\
    checkpoints/nyu_depth_pretrained/<model file> transdepth_r50-vit-b16_nyu.pth
python tools/test.py configs/transdepth/transdepth_r50-vit-b16_4xb2-151k_nyu-416x544.py \\
    transdepth_r50-vit-b16_nyu.pth

The official files come from ``scripts/download_TransDepth_model.sh {nyu_depth,kitti_depth}``
(a ``{'model': state_dict, 'optimizer': ..., ...}`` dict saved from DataParallel). The key
mapping is :func:`mmdepth_dgr.models.converters.transdepth.convert_transdepth_checkpoint`;
TransUNet's decoder blocks, which the official model builds but never runs, are dropped.
"""
import argparse

from mmdepth_dgr.models.converters.transdepth import convert_transdepth_checkpoint
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
    parser.add_argument('src', help='official checkpoint')
    parser.add_argument('dst', help='output checkpoint for tools/test.py or load_from')
    return add_converter_args(parser).parse_args(argv)


def main(argv=None) -> None:
    """Entry point."""
    args = parse_args(argv)
    # official checkpoints also hold the optimizer state and numpy metadata
    checkpoint = load_official_checkpoint(args.src, trust=args.trust_checkpoint)
    state_dict, dropped = convert_transdepth_checkpoint(checkpoint_state_dict(checkpoint))
    save_converted_checkpoint(state_dict, args.dst, args.src)
    print(f'wrote {len(state_dict)} tensors to {args.dst} ({len(dropped)} unused official '
          'tensors dropped)')


if __name__ == '__main__':
    run_converter(main)
