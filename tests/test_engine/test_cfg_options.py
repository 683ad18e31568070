"""``--cfg-options`` keys are checked against the config before anything runs (load_config)."""
import argparse

import pytest

from mmdepth_dgr.engine import add_runtime_args, load_config
from mmdepth_dgr.engine.cfg_options import ConfigKeyError
from mmdepth_dgr.testing import REPO_ROOT, dataloader_options

CONFIG = str(REPO_ROOT / 'configs' / 'multiscale_depth'
             / 'multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py')
PROBE = str(REPO_ROOT / 'configs' / 'probe'
            / 'sparse-probe_mit-b0-vs-r50_2xb2-120it_synthetic-nyu-96x128.py')


def _error(options: dict, config: str = CONFIG) -> str:
    with pytest.raises(ConfigKeyError) as err:
        load_config(config, options)
    assert isinstance(err.value, KeyError)
    return str(err.value)


def test_typo_in_the_first_part_suggests_the_existing_key():
    """The reported case: ``modle.decode_head.channels=8`` was silently added and ignored."""
    message = _error({'modle.decode_head.channels': 8})
    assert "'modle.decode_head.channels': did you mean 'model.decode_head.channels'?" in message
    assert '+model.foo=1' in message  # how to add a key on purpose


def test_typo_in_a_hook_argument_is_an_error_before_training():
    message = _error({'default_hooks.checkpoint.intervl': 1})
    assert "did you mean 'default_hooks.checkpoint.interval'?" in message


def test_every_bad_key_is_reported_at_once():
    message = _error({'model.decode_head.chanels': 8, 'train_cfg.max_iter': 3,
                      'train_cfg.max_iters': 3})
    assert "'model.decode_head.chanels': did you mean 'model.decode_head.channels'?" in message
    assert "'train_cfg.max_iter': did you mean 'train_cfg.max_iters'?" in message
    assert len([line for line in message.splitlines() if line.startswith("  '")]) == 2


def test_a_key_far_from_any_lists_its_neighbours():
    message = _error({'model.decode_head.xqzw': 1})
    assert "'model.decode_head' has type, " in message and 'channels' in message
    assert "'zzz' is not a top-level key" in _error({'zzz': 1})


def test_plus_prefix_adds_a_new_key():
    cfg = load_config(CONFIG, {'+model.foo': 1, '+newtop.a.b': 'x'})
    assert cfg.model.foo == 1 and cfg.newtop.a.b == 'x'
    assert '+model' not in cfg and 'model.foo' not in cfg


def test_existing_keys_and_list_indices():
    cfg = load_config(CONFIG, {'model.decode_head.channels': 8,
                               'train_dataloader.dataset.pipeline.5.crop_size': (64, 96),
                               'param_scheduler.1.end': 3, 'custom_hooks': []})
    assert cfg.model.decode_head.channels == 8
    assert cfg.train_dataloader.dataset.pipeline[5].crop_size == (64, 96)
    assert cfg.param_scheduler[1].end == 3 and cfg.custom_hooks == []


def test_list_index_out_of_range_and_typo_inside_a_list_of_dicts():
    message = _error({'train_dataloader.dataset.pipeline.9.crop_size': (1, 1)})
    assert "'train_dataloader.dataset.pipeline' has 0, 1, 2" in message
    message = _error({'train_dataloader.dataset.pipeline.5.crop_sise': (1, 1)})
    assert "did you mean 'train_dataloader.dataset.pipeline.5.crop_size'?" in message
    assert 'did you mean' in _error({'custom_hooks.0.check_weight': False})


def test_arguments_left_at_their_default_are_accepted():
    """Keys the config does not spell but its classes take (the project's scripts use them)."""
    options = {'train_cfg.val_begin': 10, 'test_evaluator.edge_metrics': True,
               'train_dataloader.pin_memory': True, 'work_dir': 'w',
               'custom_hooks.0.check_weights': False, 'default_hooks.checkpoint.save_last': False}
    cfg = load_config(CONFIG, options)
    assert cfg.train_cfg.val_begin == 10 and cfg.test_evaluator.edge_metrics is True
    assert cfg.default_hooks.checkpoint.save_last is False
    cfg = load_config(PROBE, {'model.mask_net.init_bias': 0.0, 'model.target_checkpoint': 'x.pth',
                              'model.lambda_sparsity': 3.0})
    assert cfg.model.mask_net.init_bias == 0.0


def test_the_test_helpers_options_pass():
    cfg = load_config(CONFIG, dataloader_options('/data/x'))
    assert cfg.test_dataloader.dataset.data_root == '/data/x'
    assert cfg.train_dataloader.persistent_workers is False


def test_cli_help_documents_the_plus_prefix():
    parser = add_runtime_args(argparse.ArgumentParser())
    text = ' '.join(parser.format_help().split())
    assert '+model.foo=1' in text and 'closest' in text
    args = parser.parse_args(['--cfg-options', '+model.foo=1', 'model.decode_head.channels=8'])
    assert args.cfg_options == {'+model.foo': 1, 'model.decode_head.channels': 8}
