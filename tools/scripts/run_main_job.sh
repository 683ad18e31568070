#!/usr/bin/env bash
# The main job, end to end on the built-in synthetic data (about 10 minutes on 2 CPU cores):
#   1. create or reuse the environment (.venv),
#   2. generate NYU-format synthetic data in data/synthetic_nyu,
#   3. train the paper's variant of the SegFormer (MiT-b0) depth network, DGRNeck + the Eq. 21
#      loss (MSE + OTDL), with tools/dist_train.sh on 2 processes,
#   4. evaluate it with tools/test.py (metrics table, pictures, 16-bit PNG predictions),
#   5. compare it with the constant-mean-depth predictor (must reach <= 0.5x its abs_rel),
#   6. run demo/image_demo.py on a held-out test frame: colourised depth and a point cloud.
# Outputs: work_dirs/main_job/{summary.md,test/metrics.json,test/vis/,test/pred/,demo/,*.log}.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/job_lib.sh"
CONFIG=configs/dgr/multiscale-depth-dgr-otdl_mit-b0_2xb4-2k_synthetic-nyu-96x128.py
WORK=work_dirs/main_job
START=$(date +%s)

make_indoor_data data/synthetic_nyu
train_and_test "$CONFIG" "$WORK" --show-dir "$WORK/test/vis" --vis-interval 8 \
  --out "$WORK/test/pred"
"$PY" tools/analysis_tools/constant_baseline.py "$CONFIG" --compare "$WORK/test/metrics.json" \
  --max-ratio 0.5 --out "$WORK/summary.md"
# The demo on the first test frame (a room never seen in training), with the camera of its
# split line (focal length; principal point at the image centre).
read -r RGB _ FOCAL < data/synthetic_nyu/splits/nyu_test.txt
IMG="data/synthetic_nyu/official_splits/test/${RGB#/}"
read -r -a INTRINSICS < <("$PY" -c "import cv2, sys; h, w = cv2.imread(sys.argv[1]).shape[:2]
print(sys.argv[2], sys.argv[2], (w - 1) / 2, (h - 1) / 2)" "$IMG" "$FOCAL")
"$PY" demo/image_demo.py "$IMG" "$CONFIG" "$WORK/$(xargs basename < "$WORK/last_checkpoint")" \
  --out-dir "$WORK/demo" --device cpu --point-cloud --intrinsics "${INTRINSICS[@]}"
echo "main job finished in $(( $(date +%s) - START )) s; summary: $WORK/summary.md," \
  "pictures: $(find "$WORK/test/vis" -name '*.png' | wc -l) in $WORK/test/vis," \
  "demo: $(ls "$WORK/demo" | tr '\n' ' ')"
