#!/usr/bin/env bash
# Shared steps of the end-to-end jobs (run_main_job.sh, run_probe_job.sh,
# run_dgr_study.sh); source it.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
bash tools/scripts/setup_env.sh
PY="$ROOT/.venv/bin/python"
NPROC=${NPROC:-2}

# Seeded CPU runs give the same numbers only where the float kernels are the same: one thread
# per process (torchrun's default, made explicit against an inherited OMP_NUM_THREADS) and the
# AVX2 code paths of torch's own kernels, oneDNN and MKL whatever the CPU offers beyond them
# (AVX-512 kernels sum in another order). MMDEPTH_NATIVE_KERNELS=1 keeps the machine's fastest.
if [[ "${MMDEPTH_NATIVE_KERNELS:-0}" != "1" ]]; then
  export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 \
    MKL_CBWR=AVX2
fi

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
