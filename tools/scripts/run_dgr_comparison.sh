#!/usr/bin/env bash
# Baseline vs +DGR vs +DGR+OTDL on the generated indoor data (Sec. 3.2-3.3, issue evidence):
# the main job's data, schedule and seed for every run, 2 CPU processes each (~8 min per run on
# 2 cores), then one Markdown table with abs_rel, rmse, d1 and the depth-boundary errors
# (edge_abs_rel / edge_rmse: the same numbers on GT depth discontinuities only).
# Output: work_dirs/dgr_comparison/{table.md,<run>/...}.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/job_lib.sh"
OUT=work_dirs/dgr_comparison
RUNS=(
  "baseline=configs/multiscale_depth/multiscale-depth_mit-b0_2xb4-2k_synthetic-nyu-96x128.py"
  "+DGR=configs/dgr/multiscale-depth-dgr-neck_mit-b0_2xb4-2k_synthetic-nyu-96x128.py"
  "+DGR+OTDL=configs/dgr/multiscale-depth-dgr-hu-otdl_mit-b0_2xb4-2k_synthetic-nyu-96x128.py"
  "+DGR, Eq. 21 (MSE+OTDL)=configs/dgr/multiscale-depth-dgr-otdl_mit-b0_2xb4-2k_synthetic-nyu-96x128.py"
)
make_indoor_data data/synthetic_nyu
ARGS=()
for run in "${RUNS[@]}"; do
  name=${run%%=*}
  config=${run#*=}
  dir="$OUT/$(echo "$name" | tr -c 'A-Za-z0-9+\n-' '_')"
  train_and_test "$config" "$dir" --cfg-options test_evaluator.edge_metrics=True
  ARGS+=("$name=$config=$dir/test/metrics.json")
done
"$PY" tools/analysis_tools/compare_runs.py "${ARGS[@]}" --out "$OUT/table.md"
