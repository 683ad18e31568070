#!/usr/bin/env bash
# The sparse-pixel probe job (Sec. 3.1 / 4.1), end to end on generated NYU-like data on CPU:
#   1. create or reuse the environment (.venv),
#   2. generate 400 training and 32 test frames at 80x112 in data/synthetic_nyu_probe,
#   3. train the SegFormer (MiT-b0) and ResNet-50 depth networks of configs/multiscale_depth with
#      tools/dist_train.sh on NPROC processes, shortened with --cfg-options (2 x 2 random
#      64x96 crops, T_ITERS / C_ITERS iterations: the SegFormer as long as its config, 1200; the
#      ResNet, 3-4x slower per step, 400: enough for both to rely on the image, i.e. for their
#      RMSE with every pixel removed to lie well above their full-image RMSE),
#   4. run tools/analysis_tools/sparse_probe.py through torchrun: one probe per network and lambda
#      factor (configs/probe/*_synthetic-*.py; lambda = factor x the network's removal gap),
#      evaluation with binarised masks, cross masks and matched-sparsity cross masks, Table 1, the
#      Fig. 5 plot, the Fig. 3 / Fig. 7 panels and the edge affinities; it fails unless the
#      sparsity of both networks falls as lambda grows and, read back from table1.csv, each network
#      has at least 3 lambdas with sparsity in (0.1, 0.9) and RMSE between full and all-removed.
# Outputs in work_dirs/probe_job/: table1.md, table1.csv, fig5_rmse_vs_sparsity.png, panels/,
# sparse_probe.log, probes/<net>_gapx<f>/, and the two depth networks in transformer/, cnn/.
# Environment: NPROC (2), PORT (29521), T_ITERS (1200), C_ITERS (400), LAMBDA_FACTORS (default:
# the probe config's), REUSE_TARGETS=1 keeps the trained depth networks and data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/job_lib.sh"
PORT=${PORT:-29521}
T_ITERS=${T_ITERS:-1200}
C_ITERS=${C_ITERS:-400}
LAMBDA_ARGS=()
[[ -z "${LAMBDA_FACTORS:-}" ]] || read -r -a LAMBDA_ARGS <<< "--lambda-factors $LAMBDA_FACTORS"
WORK=work_dirs/probe_job
DATA=data/synthetic_nyu_probe
T_CONFIG=configs/multiscale_depth/multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py
C_CONFIG=configs/multiscale_depth/multiscale-depth_r50_2xb4-1200it_synthetic-nyu-96x128.py
PROBE_CONFIG=configs/probe/sparse-probe_mit-b0-vs-r50_2xb2-120it_synthetic-nyu-96x128.py
# 64x96 training crops (pipeline step 5 of configs/_base_/datasets/nyu.py is the RandomCrop): a
# multiple of the size divisor 32, so no batch is padded (the probe's G is unconstrained on padding)
DATA_OPTS=(train_dataloader.dataset.data_root="$DATA" val_dataloader.dataset.data_root="$DATA"
  test_dataloader.dataset.data_root="$DATA" "train_dataloader.dataset.pipeline.5.crop_size=(64,96)")
START=$(date +%s)

# train_target CONFIG ITERS NAME: a depth network of configs/multiscale_depth, shortened to ITERS
train_target() {
  local config=$1 iters=$2 name=$3
  if [[ "${REUSE_TARGETS:-0}" == 1 && -f "$WORK/$name/last_checkpoint" ]]; then
    return
  fi
  rm -rf "${WORK:?}/$name"
  PYTHON="$PY" PORT="$PORT" bash tools/dist_train.sh "$config" "$NPROC" --work-dir "$WORK/$name" \
    --cfg-options "${DATA_OPTS[@]}" train_dataloader.batch_size=2 train_cfg.max_iters="$iters" \
    train_cfg.val_interval="$iters" default_hooks.checkpoint.interval="$iters" \
    param_scheduler.1.end="$iters" default_hooks.logger.interval=50
  echo "[probe job] $name trained ($(( $(date +%s) - START )) s so far)"
}

if [[ "${REUSE_TARGETS:-0}" != 1 || ! -f "$DATA/splits/nyu_test.txt" ]]; then
  rm -rf "$DATA"
  "$PY" tools/dataset_converters/make_synthetic.py nyu --out "$DATA" --num-train 400 \
    --num-test 32 --num-scenes 100 --height 80 --width 112 --seed 0
fi
[[ "${REUSE_TARGETS:-0}" == 1 ]] || rm -rf "$WORK"
train_target "$T_CONFIG" "$T_ITERS" transformer
train_target "$C_CONFIG" "$C_ITERS" cnn
rm -rf "$WORK/probes"
# val_begin: no validation inside the probe runs, the study evaluates every probe itself;
# --check-trend: fail unless the sparsity of both networks falls as lambda grows;
# --check-range: fail unless table1.csv shows >= 3 selective lambdas per network (see above)
PYTHON="$PY" PORT="$PORT" bash tools/torchrun.sh "$NPROC" tools/analysis_tools/sparse_probe.py \
  "$PROBE_CONFIG" --work-dir "$WORK" "${LAMBDA_ARGS[@]}" \
  --transformer-ckpt "$WORK/transformer/$(xargs basename < "$WORK/transformer/last_checkpoint")" \
  --cnn-ckpt "$WORK/cnn/$(xargs basename < "$WORK/cnn/last_checkpoint")" \
  --check-trend --check-range --cfg-options "${DATA_OPTS[@]}" train_cfg.val_begin=1000000
echo "probe job finished in $(( $(date +%s) - START )) s: $WORK/table1.md, $WORK/table1.csv," \
  "$WORK/fig5_rmse_vs_sparsity.png, $(find "$WORK/panels" -name '*.png' | wc -l) panels in" \
  "$WORK/panels"
