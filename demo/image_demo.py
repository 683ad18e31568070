"""Depth for your own images (see demo/README.md):
``python demo/image_demo.py IMG_OR_DIR CONFIG [CHECKPOINT] --out-dir DIR``.

For each image it writes ``<stem>_depth.png`` (uint16, millimetres, 0 = no prediction),
``<stem>_depth.npy`` (float32 metres), ``<stem>_color.png`` (colourised over a fixed range,
with a colour bar) and, with ``--point-cloud``, ``<stem>.ply`` (one vertex per valid pixel,
camera frame x right / y down / z forward, RGB from the image).
"""
import argparse
import os.path as osp
import sys
from typing import List

import mmcv
from mmengine.logging import print_log
from mmengine.utils import track_iter_progress

from mmdepth_dgr.apis import inference_model, init_model
from mmdepth_dgr.apis.depth_inferencer import list_images
from mmdepth_dgr.datasets import dataset_focal
from mmdepth_dgr.utils import default_intrinsics, parse_intrinsics
from mmdepth_dgr.utils.depth_outputs import save_depth_outputs
from mmdepth_dgr.utils.naming import unique_stem


def parse_args(argv: List[str]) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description='Predict depth for images')
    parser.add_argument('img', help='an image file or a folder of images')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file (random weights without it)')
    parser.add_argument('--out-dir', required=True, help='folder for the outputs')
    parser.add_argument('--device', default='cuda:0', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--flip', action='store_true',
                        help='flip test-time augmentation: (N(I) + flip(N(flip(I)))) / 2')
    parser.add_argument('--point-cloud', action='store_true', help='also write <stem>.ply')
    parser.add_argument('--intrinsics', nargs='+', metavar='FX FY CX CY',
                        help='pinhole intrinsics in pixels of the input images (default: the '
                        "training dataset's focal length and the image centre)")
    parser.add_argument('--cmap', default='magma', help='matplotlib colour map')
    parser.add_argument('--max-depth', type=float, default=None,
                        help="far end of the colour range in metres (default: the model's "
                        'max_depth)')
    parser.add_argument('--no-colorbar', action='store_true', help='no colour bar')
    args = parser.parse_args(argv)
    if args.intrinsics is not None:
        try:
            args.intrinsics = parse_intrinsics(args.intrinsics)
        except ValueError as err:
            parser.error(f'--intrinsics: {err}')
    return args


def main(argv: List[str]) -> None:
    """Entry point."""
    args = parse_args(argv)
    if osp.isdir(args.img):
        images = list_images(args.img)
    elif osp.isfile(args.img):
        images = [args.img]
    else:
        raise FileNotFoundError(f'image file or folder not found: {args.img}')
    model = init_model(args.config, args.checkpoint, device=args.device)
    max_depth = args.max_depth or float(model.cfg.model.decode_head.get('max_depth', 10.0))
    focal = None
    if args.point_cloud and args.intrinsics is None:
        focal = dataset_focal(model.cfg.train_dataloader.dataset)
        print_log(f'--intrinsics not given: using the training dataset\'s focal length '
                  f'{focal:g} px and the image centre; pass --intrinsics FX FY CX CY for '
                  'metric point clouds of another camera', logger='current')
    used: set = set()  # a.jpg and a.png of one folder get the stems a and a_1
    for path in track_iter_progress(images):
        depth = inference_model(model, path, flip=args.flip).pred_depth_map.data[0]
        depth = depth.detach().cpu().numpy()
        image = mmcv.imread(path)
        intrinsics = None
        if args.point_cloud:
            intrinsics = args.intrinsics or default_intrinsics(*depth.shape, focal)
        stem = unique_stem(osp.splitext(osp.basename(path))[0], used)
        written = save_depth_outputs(args.out_dir, stem, depth, image, max_depth=max_depth,
                                     cmap=args.cmap, colorbar=not args.no_colorbar,
                                     intrinsics=intrinsics)
        print_log(f'{path}: ' + ', '.join(sorted(written.values())), logger='current')


if __name__ == '__main__':
    main(sys.argv[1:])
