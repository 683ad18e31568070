#!/usr/bin/env bash
# Slurm testing: tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]
# GPUS (total), GPUS_PER_NODE, CPUS_PER_TASK and SRUN_ARGS come from the environment.
exec bash "$(dirname "$0")/srun.sh" "$1" "$2" "$(dirname "$0")/test.py" "$3" "$4" "${@:5}"
