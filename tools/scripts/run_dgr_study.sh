#!/usr/bin/env bash
# The controlled DGR / OTDL study (issue evidence for Sec. 3.2-3.3) on the generated indoor data:
# baseline, +DGR (neck), +DGR (backbone), MSE (the control of OTDL), +OTDL, +DGR +OTDL, 3 seeds
# each, 600 iterations on 2 CPU processes per run (about 3 minutes a run, 18 runs), then the
# tables and the plot of tools/analysis_tools/dgr_study.py (mean +- std over seeds, paired tests
# against the reference of each variant). Extra arguments go to dgr_study.py (e.g. --retest).
# Output: work_dirs/dgr_study/{table.md,summary.csv,comparisons.csv,differences.png,<variant>/}.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/job_lib.sh"
make_indoor_data data/synthetic_nyu
"$PY" tools/analysis_tools/dgr_study.py --work-dir work_dirs/dgr_study "$@"
