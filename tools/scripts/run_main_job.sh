#!/usr/bin/env bash
# The main job, end to end on the built-in synthetic data (about 10 minutes on 2 CPU cores):
#   1. create or reuse the environment (.venv),
#   2. generate NYU-format synthetic data in data/synthetic_nyu,
#   3. train the SegFormer (MiT-b0) depth network with tools/dist_train.sh on 2 processes,
#   4. evaluate it with tools/test.py (metrics table, pictures, 16-bit PNG predictions),
#   5. compare it with the constant-mean-depth predictor (must reach <= 0.5x its abs_rel).
# Outputs: work_dirs/main_job/{summary.md,test/metrics.json,test/vis/,test/pred/,*.log}.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/job_lib.sh"
CONFIG=configs/multiscale_depth/multiscale-depth_mit-b0_2xb4-2k_synthetic-nyu-96x128.py
WORK=work_dirs/main_job
START=$(date +%s)

make_indoor_data data/synthetic_nyu
train_and_test "$CONFIG" "$WORK" --show-dir "$WORK/test/vis" --vis-interval 8 \
  --out "$WORK/test/pred"
"$PY" tools/analysis_tools/constant_baseline.py "$CONFIG" --compare "$WORK/test/metrics.json" \
  --max-ratio 0.5 --out "$WORK/summary.md"
echo "main job finished in $(( $(date +%s) - START )) s; summary: $WORK/summary.md," \
  "pictures: $(find "$WORK/test/vis" -name '*.png' | wc -l) in $WORK/test/vis"
