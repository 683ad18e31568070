#!/usr/bin/env bash
# Distributed training through torchrun + mmengine: tools/dist_train.sh CONFIG GPUS [train.py args]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on every node.
# On machines without CUDA the processes use the gloo backend on CPU.
exec bash "$(dirname "$0")/torchrun.sh" "$2" "$(dirname "$0")/train.py" "$1" "${@:3}"
