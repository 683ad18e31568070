"""The sparse-pixel study of Sec. 3.1 / 4.1: which pixels a Transformer and a CNN need.

Trains one probe per network and lambda (each an mmengine runner run), evaluates them with
binarised masks (own and cross masks, Eq. 7-8) and writes Table 1 (Markdown + CSV), the Fig. 5
plot and Fig. 3 / Fig. 7 panels into the work dir::

    python tools/analysis_tools/sparse_probe.py CONFIG --transformer-ckpt T.pth --cnn-ckpt C.pth \
        [--lambdas 1 2 3 4 5 6 | --lambda-factors 0.3 0.4 0.5] [--work-dir DIR] \
        [--threshold 0.5] [--num-panels 8] [--check-trend] [--check-range]
    bash tools/torchrun.sh NPROC tools/analysis_tools/sparse_probe.py CONFIG ...   # distributed
"""
import argparse

from mmdepth_dgr.analysis.probe import run_sparse_probe
from mmdepth_dgr.engine import (
    add_runtime_args,
    finish_distributed,
    init_distributed,
    load_config,
    prepare_runtime,
)


def parse_args() -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='probe config (configs/probe/...) with probe_pair')
    parser.add_argument('--work-dir', help='output dir (default ./work_dirs/<config name>)')
    parser.add_argument('--transformer-config', help='Transformer depth config (default: '
                        'probe_pair.transformer.config)')
    parser.add_argument('--transformer-ckpt', help='trained Transformer checkpoint')
    parser.add_argument('--cnn-config', help='CNN depth config (default: probe_pair.cnn.config)')
    parser.add_argument('--cnn-ckpt', help='trained CNN checkpoint')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--lambdas', type=float, nargs='+',
                       help='absolute lambdas of Eq. 6, the same for both networks (default: '
                       'probe_pair.lambdas or probe_pair.lambda_factors)')
    group.add_argument('--lambda-factors', type=float, nargs='+',
                       help='lambdas as factors of each network\'s removal gap (L_dif with '
                       'every pixel removed minus with none, measured before training)')
    parser.add_argument('--threshold', type=float,
                        help='mask binarisation threshold (default: model.test_cfg.threshold, '
                        '0.5)')
    parser.add_argument('--num-panels', type=int,
                        help='test images drawn as Fig. 3/7 panels (default: '
                        'probe_pair.num_panels)')
    parser.add_argument('--reuse', action='store_true',
                        help='reuse probes already trained in the work dir')
    parser.add_argument('--check-trend', action='store_true',
                        help='exit with an error unless the sparsity of both networks falls as '
                        'lambda grows')
    parser.add_argument('--check-range', action='store_true',
                        help='exit with an error unless, in the table1.csv written, each '
                        'network has >= 3 lambdas with sparsity in (0.1, 0.9) and RMSE between '
                        'the full-image and the all-removed RMSE')
    return add_runtime_args(parser).parse_args()


def main() -> None:
    """Entry point."""
    args = parse_args()
    init_distributed(prepare_runtime(load_config(args.config, args.cfg_options), args.config,
                                     args.work_dir, args.launcher))
    overrides = dict(
        transformer=dict(config=args.transformer_config, checkpoint=args.transformer_ckpt),
        cnn=dict(config=args.cnn_config, checkpoint=args.cnn_ckpt))
    run_sparse_probe(args.config, work_dir=args.work_dir, lambdas=args.lambdas,
                     overrides=overrides, threshold=args.threshold, num_panels=args.num_panels,
                     cfg_options=args.cfg_options, launcher=args.launcher, reuse=args.reuse,
                     check_trend=args.check_trend, lambda_factors=args.lambda_factors,
                     check_range=args.check_range)
    finish_distributed()


if __name__ == '__main__':
    main()
