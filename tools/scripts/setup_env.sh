#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment at .venv with the decided stack:
# torch 2.14.1 + torchvision 0.29.1, mmcv 2.1.0 full (built from source with ops),
# mmengine 0.10.7, mmsegmentation 1.2.2, mmpretrain 1.2.0, POT, numpy, opencv,
# then mmdepth_dgr in editable mode.
#
# Re-running it when the venv is complete takes about a second (stamp + import check).
# The mmcv wheel it builds is cached in $MMDEPTH_CACHE (default ~/.cache/mmdepth-dgr),
# keyed by torch version and CPU/CUDA, so a fresh clone on the same machine does not
# rebuild it. GPU machines: FORCE_CUDA=1 bash tools/scripts/setup_env.sh (needs nvcc).
#
# Environment: PYTHON (default python3.11), MMDEPTH_VENV (default <repo>/.venv),
# MMDEPTH_CACHE, FORCE_CUDA, MAX_JOBS (parallel compile jobs, default nproc).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${MMDEPTH_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
CACHE="${MMDEPTH_CACHE:-$HOME/.cache/mmdepth-dgr}"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

log() { echo "[setup_env] $*" >&2; }

stamp_key() {
  cat "$ROOT"/requirements/*.txt "$ROOT/tools/scripts/setup_env.sh" "$ROOT/setup.py" \
    | sha256sum | cut -c1-16
}
STAMP="$VENV/.mmdepth-stamp-$(stamp_key)-cuda${FORCE_CUDA:-0}"

# The check also wants mmengine to find this checkout's configs (mmdepth_dgr::, setup.py develop).
if [[ -f "$STAMP" ]] && "$VENV/bin/python" - "$ROOT" >/dev/null 2>&1 <<'EOF'; then
import os.path as osp, sys
import mmcv.ops, mmseg, mmpretrain, ot, mmdepth_dgr
from mmengine.utils import get_installed_path
path = get_installed_path('mmdepth_dgr')
assert osp.samefile(path, osp.join(sys.argv[1], 'mmdepth_dgr')), path
assert osp.isfile(osp.join(path, '.mim', 'model-index.yml')), path
EOF
  log "environment at $VENV is complete (reused)"
  exit 0
fi

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  log "error: $PYTHON not found; set PYTHON to a Python 3.11 interpreter"
  exit 1
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating venv at $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
rm -f "$VENV"/.mmdepth-stamp-*

log "installing torch/torchvision"
"${PIP[@]}" install -q -r "$ROOT/requirements/torch.txt"
# torch pulls a setuptools without pkg_resources; mmcv's setup.py needs it.
"${PIP[@]}" install -q -r "$ROOT/requirements/build.txt" -r "$ROOT/requirements/runtime.txt"

TORCH_VERSION="$("$VENV/bin/python" -c 'import torch; print(torch.__version__.split("+")[0])')"
if ! "$VENV/bin/python" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" \
    >/dev/null 2>&1; then
  FLAVOUR=cpu
  [[ "${FORCE_CUDA:-0}" == "1" ]] && FLAVOUR=cuda
  WHEEL_DIR="$CACHE/wheels/mmcv-2.1.0-torch$TORCH_VERSION-$FLAVOUR"
  if ! ls "$WHEEL_DIR"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
    BUILD="$(mktemp -d)"
    log "building mmcv 2.1.0 with ops ($FLAVOUR) from source in $BUILD (about 25-35 min on 2 cores)"
    "${PIP[@]}" download -q --no-deps --no-binary :all: mmcv==2.1.0 -d "$BUILD"
    tar -xzf "$BUILD"/mmcv-2.1.0.tar.gz -C "$BUILD"
    # mmcv 2.1.0's setup.py compiles with -std=c++17, but torch >= 2.10 headers need C++20.
    sed -i 's/c++17/c++20/g' "$BUILD/mmcv-2.1.0/setup.py"
    MAX_JOBS="${MAX_JOBS:-$(nproc)}" "${PIP[@]}" wheel -q --no-build-isolation --no-deps \
      -w "$BUILD/dist" "$BUILD/mmcv-2.1.0"
    mkdir -p "$WHEEL_DIR"
    cp "$BUILD"/dist/mmcv-2.1.0-*.whl "$WHEEL_DIR/"
    rm -rf "$BUILD"
  else
    log "using cached mmcv wheel from $WHEEL_DIR"
  fi
  "${PIP[@]}" install -q "$WHEEL_DIR"/mmcv-2.1.0-*.whl
fi
# Build done. torch needs >=77.0.3; <80: mmengine 0.10.7's `mmdepth_dgr::` configs need pkg_resources and a develop install located at the checkout.
"${PIP[@]}" install -q "setuptools>=77.0.3,<80"

log "installing the OpenMMLab stack and test tools"
"${PIP[@]}" install -q -r "$ROOT/requirements/mminstall.txt" -r "$ROOT/requirements/tests.txt"
# setup.py develop (not a PEP 660 editable wheel): it links mmdepth_dgr/.mim/{configs,tools,
# model-index.yml} to the checkout, and mmengine finds `mmdepth_dgr::` configs there.
"${PIP[@]}" install -q --no-deps --no-build-isolation --no-use-pep517 -e "$ROOT"

"$VENV/bin/python" - <<'EOF'
import mmcv, mmcv.ops, mmengine, mmseg, mmpretrain, ot, torch, torchvision, mmdepth_dgr
print(f'[setup_env] torch {torch.__version__}, torchvision {torchvision.__version__}, '
      f'mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, mmseg {mmseg.__version__}, '
      f'mmpretrain {mmpretrain.__version__}, POT {ot.__version__}, '
      f'mmdepth_dgr {mmdepth_dgr.__version__}, CUDA available: {torch.cuda.is_available()}')
EOF
touch "$STAMP"
log "environment ready at $VENV"
