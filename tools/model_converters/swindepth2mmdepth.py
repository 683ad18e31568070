"""Convert a Swin-Depth checkpoint with an official-Swin-layout encoder to this project.

No official Swin-Depth weights exist (see configs/swindepth/README.md); this maps a checkpoint
whose encoder uses Microsoft's Swin layout (``--encoder-prefix``, default ``backbone.``; ``''``
for a bare ImageNet Swin checkpoint) onto ``backbone.*`` and keeps ``decode_head.*``/``neck.*``:

python tools/model_converters/swindepth2mmdepth.py swindepth_official_swin.pth out.pth
python tools/model_converters/swindepth2mmdepth.py --encoder-prefix '' \\
    swin_tiny_patch4_window7_224.pth swin-t_backbone.pth

The key mapping is :func:`mmdepth_dgr.models.converters.swindepth.convert_swindepth_checkpoint`.
"""
import argparse

from mmdepth_dgr.models.converters.swindepth import convert_swindepth_checkpoint
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
    parser.add_argument('src', help='checkpoint with an official-Swin-layout encoder')
    parser.add_argument('dst', help='output checkpoint for tools/test.py or load_from')
    parser.add_argument('--encoder-prefix', default='backbone.',
                        help="prefix of the encoder keys ('' for a bare Swin checkpoint)")
    return add_converter_args(parser).parse_args(argv)


def main(argv=None) -> None:
    """Entry point."""
    args = parse_args(argv)
    # released Swin/depth checkpoints may hold optimizer state and other metadata
    checkpoint = load_official_checkpoint(args.src, trust=args.trust_checkpoint)
    state_dict, dropped = convert_swindepth_checkpoint(checkpoint_state_dict(checkpoint),
                                                       args.encoder_prefix)
    save_converted_checkpoint(state_dict, args.dst, args.src)
    print(f'wrote {len(state_dict)} tensors to {args.dst} ({len(dropped)} classifier/buffer '
          'tensors dropped)')


if __name__ == '__main__':
    run_converter(main)
