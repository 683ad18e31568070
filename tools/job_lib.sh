#!/usr/bin/env bash
# Shared steps of the end-to-end jobs (run_main_job.sh, run_dgr_comparison.sh); source it.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
PY="$ROOT/.venv/bin/python"
NPROC=${NPROC:-2}

# make_indoor_data DIR: the generated NYU-like data of the jobs (800 training frames from 200
# rooms, 64 test frames from 64 other rooms, 96x128, seed 0), regenerated from scratch.
make_indoor_data() {
  rm -rf "$1"
  "$PY" tools/dataset_converters/make_synthetic.py nyu --out "$1" --num-train 800 \
    --num-test 64 --num-scenes 200 --height 96 --width 128 --seed 0
}

# train_and_test CONFIG WORK_DIR [test.py args]: tools/dist_train.sh on NPROC processes, then
# tools/test.py on the last checkpoint (metrics in WORK_DIR/test/metrics.json).
train_and_test() {
  local config=$1 work=$2
  rm -rf "$work"
  PYTHON="$PY" PORT=${PORT:-29511} bash tools/dist_train.sh "$config" "$NPROC" --work-dir "$work"
  local ckpt
  ckpt="$work/$(xargs basename < "$work/last_checkpoint")"
  "$PY" tools/test.py "$config" "$ckpt" --work-dir "$work/test" \
    --metrics-out "$work/test/metrics.json" "${@:3}"
}
