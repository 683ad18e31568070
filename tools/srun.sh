#!/usr/bin/env bash
# Shared srun launcher of slurm_train.sh / slurm_test.sh:
#   tools/srun.sh PARTITION JOB_NAME SCRIPT [script args]
# GPUS (total), GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS and PYTHON come from the environment.
set -x
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
PYTHONPATH="$(dirname "$0")/..":${PYTHONPATH:-} \
srun -p "$1" \
    --job-name="$2" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS:-4}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK:-5}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} \
    "${PYTHON:-python}" -u "$3" "${@:4}" --launcher=slurm
