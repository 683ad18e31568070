"""The study's run plan and the options every run gets."""
import json
from pathlib import Path

import pytest

from mmdepth_dgr.analysis.dgr_study.runs import (
    COMPARISONS,
    VARIANTS,
    check_reusable,
    plan_runs,
    run_stamp,
    schedule_options,
    slug,
)
from mmdepth_dgr.engine import load_config


def test_plan_is_seed_major_with_the_baseline_first(tmp_path):
    runs = plan_runs(tmp_path, [3, 4], ['+OTDL'])
    assert [(r.variant, r.seed) for r in runs] == [('baseline', 3), ('+OTDL', 3),
                                                  ('baseline', 4), ('+OTDL', 4)]
    assert runs[1].work_dir == tmp_path.resolve() / 'otdl' / 'seed3'
    assert all(Path(r.config).is_file() for r in plan_runs(tmp_path, [0, 1]))
    assert len({slug(v) for v, _ in VARIANTS}) == len(VARIANTS)


@pytest.mark.parametrize('seeds, variants, match', [
    ([0], None, 'at least 2 distinct seeds'),
    ([0, 0], None, 'at least 2 distinct seeds'),
    ([0, 1], ['+DGR'], "unknown variant"),
])
def test_plan_rejects_bad_requests(tmp_path, seeds, variants, match):
    with pytest.raises(ValueError, match=match):
        plan_runs(tmp_path, seeds, variants)


def test_comparisons_cover_the_baseline_and_the_single_changes_of_the_loss():
    names = [v for v, _ in VARIANTS]
    assert all(v in names and r in names for v, r in COMPARISONS)
    # every variant is compared with the baseline, as the issue asks ...
    assert {v for v, r in COMPARISONS if r == 'baseline'} == set(names[1:])
    # ... and the loss change (Hu -> MSE) is separated from OTDL and DGR
    assert ('+OTDL', 'MSE') in COMPARISONS and ('+DGR +OTDL', '+OTDL') in COMPARISONS


@pytest.mark.parametrize('variant, config', VARIANTS)
def test_schedule_options_pass_the_config_check_and_set_the_schedule(variant, config):
    opts = dict(item.split('=', 1) for item in schedule_options(37, seed=5))
    cfg = load_config(config, {k: int(v) for k, v in opts.items()})
    assert cfg.train_cfg.max_iters == 37 and cfg.train_cfg.val_interval == 37
    assert cfg.param_scheduler[1].end == 37 and cfg.param_scheduler[1].type == 'PolyLR'
    assert cfg.param_scheduler[0].end == cfg.param_scheduler[1].begin == 9  # 37 // 4 < 50
    assert cfg.default_hooks.checkpoint.interval == 37
    assert cfg.randomness.seed == 5
    assert 'param_scheduler.0.end=50' in schedule_options(600, seed=0)  # the configs' warm-up
    assert 'param_scheduler.0.end=1' in schedule_options(2, seed=0)
    with pytest.raises(ValueError, match='iters must be >= 2'):
        schedule_options(1, seed=0)


def test_a_trained_run_is_reused_only_with_the_settings_it_was_trained_with(tmp_path):
    run = plan_runs(tmp_path, [0, 1])[0]
    run.work_dir.mkdir(parents=True)
    with pytest.raises(ValueError, match='without study_run.json'):
        check_reusable(run, 600, 2)
    run.stamp.write_text(json.dumps(run_stamp(run, 600, 2)))
    check_reusable(run, 600, 2)  # same settings: fine
    with pytest.raises(ValueError, match=r'iters: 600 then, 800 now'):
        check_reusable(run, 800, 2)
    with pytest.raises(ValueError, match=r'cfg_options: \[\] then'):
        check_reusable(run, 600, 2, ['model.x=1'])
