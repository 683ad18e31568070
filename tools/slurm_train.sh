#!/usr/bin/env bash
# Slurm training: tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args]
# GPUS (total), GPUS_PER_NODE, CPUS_PER_TASK and SRUN_ARGS come from the environment.
exec bash "$(dirname "$0")/srun.sh" "$1" "$2" "$(dirname "$0")/train.py" "$3" \
    --work-dir="$4" "${@:5}"
