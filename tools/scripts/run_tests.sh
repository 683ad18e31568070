#!/usr/bin/env bash
# The test command: create or reuse the environment, lint with ruff, run the pytest suite.
# Extra arguments go to pytest (e.g. `bash tools/scripts/run_tests.sh -k metrics`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
bash tools/scripts/setup_env.sh
"$ROOT/.venv/bin/ruff" check .
"$ROOT/.venv/bin/python" -m pytest "$@"
