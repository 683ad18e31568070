#!/usr/bin/env bash
# Run mmseg's own tools/dist_train.sh (2 CPU processes, gloo through DepthRunner) N times on a
# tiny generated tree and count the runs that exit non-zero, e.g. a rank aborting at exit
# ("terminate called without an active exception"). Usage: stress_mmseg_dist_train.sh [N]
# Failed runs keep their log in work_dirs/stress_mmseg_dist_train/run_<i>.log.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/job_lib.sh"
N=${1:-40}
WORK=work_dirs/stress_mmseg_dist_train
DATA="$WORK/data"
rm -rf "$WORK"
"$PY" tools/dataset_converters/make_synthetic.py nyu --out "$DATA" --num-train 8 --num-test 4 \
  --height 48 --width 64 --seed 0
MMSEG_TOOLS="$("$PY" -c 'import mmseg, os; print(os.path.join(os.path.dirname(mmseg.__file__), ".mim", "tools"))')"
CONFIG=configs/multiscale_depth/multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py
OPTIONS=()
for split in train val test; do
  OPTIONS+=("${split}_dataloader.dataset.data_root=$DATA" "${split}_dataloader.num_workers=0"
            "${split}_dataloader.persistent_workers=False")
done
export PATH="$ROOT/.venv/bin:$PATH"  # mmseg's script calls `python`
failures=0
for i in $(seq 1 "$N"); do
  if ! PORT=$((30000 + i)) bash "$MMSEG_TOOLS/dist_train.sh" "$CONFIG" 2 --work-dir "$WORK/run" \
      --cfg-options "${OPTIONS[@]}" train_dataloader.batch_size=2 train_cfg.max_iters=2 \
      train_cfg.val_interval=2 > "$WORK/run_$i.log" 2>&1; then
    failures=$((failures + 1))
    echo "run $i failed: $WORK/run_$i.log"
  else
    rm -f "$WORK/run_$i.log"
  fi
  rm -rf "$WORK/run"
done
echo "$N runs of mmseg's dist_train.sh, $failures failed"
[[ $failures -eq 0 ]]
