#!/usr/bin/env bash
# Shared torchrun launcher of dist_train.sh / dist_test.sh:
#   tools/torchrun.sh NPROC_PER_NODE SCRIPT [script args]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on every node. PYTHON picks the
# interpreter (default: python). Without CUDA the processes use gloo on CPU.
NPROC=$1
SCRIPT=$2
PYTHONPATH="$(dirname "$0")/..":${PYTHONPATH:-} \
"${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$NPROC" \
    --master_port="${PORT:-29500}" \
    "$SCRIPT" "${@:3}" --launcher pytorch
