"""The study's tables and plot from per-image CSVs with a planted effect."""
import csv

import numpy as np
import pytest

from mmdepth_dgr.analysis.dgr_study.report import (
    STUDY_METRICS,
    collect,
    read_per_image,
    write_report,
)
from mmdepth_dgr.analysis.dgr_study.runs import plan_runs


def _write_csv(path, values):
    """A per_image_metrics.csv whose every metric of image i is values[i]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=['name', 'n_valid', *STUDY_METRICS])
        writer.writeheader()
        for i, v in enumerate(values):
            writer.writerow(dict(name=f'img{i:02d}', n_valid=10,
                                 **{m: f'{v:.6f}' for m in STUDY_METRICS}))


@pytest.fixture
def planted_study(tmp_path):
    """Baseline and +DGR (neck), 3 seeds, 32 images: +DGR lowers every value by 0.2 (errors
    improve, d1 / F1 get worse); tiny seed and image noise."""
    runs = plan_runs(tmp_path, [0, 1, 2], ['+DGR (neck)'])
    rng = np.random.default_rng(0)
    base = rng.uniform(1.0, 2.0, 32)
    for run in runs:
        shift = -0.2 if run.variant != 'baseline' else 0.0
        _write_csv(run.per_image_csv, base + shift + rng.normal(0, 0.01, 32) + 0.01 * run.seed)
    return runs, tmp_path


def test_report_finds_the_planted_effect_in_both_directions(planted_study):
    runs, out = planted_study
    text = write_report(runs, out, n_boot=500)
    row = next(line for line in text.splitlines() if line.startswith('| +DGR (neck) vs baseline'))
    cells = [c.strip() for c in row.strip('|').split('|')][1:]
    header = next(line for line in text.splitlines() if line.startswith('| variant vs'))
    names = [c.strip() for c in header.strip('|').split('|')][1:]
    marks = dict(zip(names, cells, strict=True))
    assert marks['abs_rel'].startswith('-0.2') and marks['abs_rel'].endswith('(+)')
    assert marks['d1'].endswith('(-)') and marks['boundary_f1'].endswith('(-)')
    with open(out / 'comparisons.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(STUDY_METRICS)  # one comparison (vs baseline) per metric
    assert {r['verdict'] for r in rows} == {'better', 'worse'}
    assert all(float(r['ci_images_high']) < 0 for r in rows)
    png = (out / 'differences.png').read_bytes()
    assert png[:8] == b'\x89PNG\r\n\x1a\n' and len(png) > 10000
    assert 'Seeds [0, 1, 2], 32 test images' in (out / 'table.md').read_text()


def test_collect_names_a_missing_metric_and_a_missing_file(planted_study, tmp_path):
    runs, _ = planted_study
    with pytest.raises(KeyError, match="'not_a_metric'"):
        collect(runs, ['abs_rel', 'not_a_metric'])
    with pytest.raises(FileNotFoundError, match='per-image metrics not found'):
        read_per_image(tmp_path / 'nope.csv')
