"""The converters load official checkpoints weights-only: a pickle that runs code is refused."""
import argparse
import os
import pickle
import sys

import numpy as np
import pytest
import torch

from mmdepth_dgr.models.converters import convert_pixelformer
from mmdepth_dgr.models.converters.utils import (
    OFFICIAL_CHECKPOINT_GLOBALS,
    checkpoint_state_dict,
    load_official_checkpoint,
)
from mmdepth_dgr.testing import random_state_dict, run_in_repo
from mmdepth_dgr.testing.checkpoints import PAYLOAD_GLOBAL, save_malicious_checkpoint
from mmdepth_dgr.utils.checkpoint import UnsafeCheckpointError, load_weights_only, refused_global

from ..test_pixelformer import official_pixelformer_shapes

# each converter's arguments before SRC DST
CONVERTERS = {'adabins': [], 'depthformer': ['hahi'], 'dpt': [], 'pixelformer': [],
              'swindepth': [], 'transdepth': []}


def _convert(name: str, src, dst, *options: str):
    """Run ``tools/model_converters/<name>2mmdepth.py`` in a subprocess (no check)."""
    return run_in_repo([sys.executable, f'tools/model_converters/{name}2mmdepth.py',
                        *CONVERTERS[name], str(src), str(dst), *options], check=False)


def _official_pixelformer():
    """A small official-layout PixelFormer state dict (the converter test's sizes)."""
    swin = dict(embed=16, depths=[2, 2, 2, 2], heads=[1, 2, 4, 8], window=7)
    shapes = official_pixelformer_shapes([16, 32, 64, 128], 32, [16, 32, 64, 128], [1, 2, 4, 8],
                                         7, 16, 64, swin)
    return {f'module.{k}': v for k, v in random_state_dict(shapes).items()}


@pytest.mark.parametrize('name', sorted(CONVERTERS))
def test_converter_refuses_a_pickle_that_runs_code(tmp_path, name):
    src, dst, marker = tmp_path / 'official.pth', tmp_path / 'out.pth', tmp_path / 'MARKER'
    save_malicious_checkpoint(src, marker)
    proc = _convert(name, src, dst)
    assert proc.returncode != 0
    assert (f'error: {src}: refused to unpickle {PAYLOAD_GLOBAL} (weights-only loading; pass '
            '--trust-checkpoint if you trust this file)') in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not marker.exists()
    assert not dst.exists()


def test_trust_checkpoint_lifts_the_restriction(tmp_path):
    """With --trust-checkpoint the same kind of file is unpickled (the payload runs)."""
    src, dst, marker = tmp_path / 'nyu.pth', tmp_path / 'out.pth', tmp_path / 'MARKER'
    save_malicious_checkpoint(src, marker, _official_pixelformer())
    proc = _convert('pixelformer', src, dst, '--trust-checkpoint')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert marker.exists()
    assert 'loading with weights_only=False (trusted checkpoint)' in proc.stderr
    assert dst.exists()


def test_official_checkpoint_with_training_args_converts(tmp_path):
    """An official BTS-style checkpoint (training args, numpy step array) needs no flag."""
    official = _official_pixelformer()
    src, dst = tmp_path / 'nyu.pth', tmp_path / 'out.pth'
    torch.save({'model': official, 'global_step': 5, 'optimizer': {},
                'args': argparse.Namespace(encoder='large07', max_depth=10.0, lr=4e-5),
                'best_eval_steps': np.zeros(9, dtype=np.int32),
                'best_eval_measures_lower_better': torch.zeros(6)}, src)
    proc = _convert('pixelformer', src, dst)
    assert proc.returncode == 0, proc.stderr[-3000:]
    converted = torch.load(dst, map_location='cpu', weights_only=True)['state_dict']
    expected = convert_pixelformer(checkpoint_state_dict({'model': official}))
    assert converted.keys() == expected.keys()
    assert all(torch.equal(converted[k], expected[k]) for k in expected)


def test_load_official_checkpoint_allow_list_is_per_call(tmp_path):
    """Namespace and numpy arrays are allowed for the converters' load only, nothing else."""
    src = tmp_path / 'official.pth'
    torch.save({'args': argparse.Namespace(lr=1.0), 'steps': np.arange(3)}, src)
    loaded = load_official_checkpoint(str(src))
    assert loaded['args'].lr == 1.0 and loaded['steps'].tolist() == [0, 1, 2]
    assert argparse.Namespace in OFFICIAL_CHECKPOINT_GLOBALS
    with pytest.raises(UnsafeCheckpointError) as info:  # not a global change
        load_weights_only(str(src))
    assert info.value.refused in ('argparse.Namespace', 'numpy.core.multiarray._reconstruct',
                                  'numpy._core.multiarray._reconstruct')
    assert str(info.value).startswith(f'{src}: refused to unpickle {info.value.refused} ')
    assert isinstance(info.value, pickle.UnpicklingError)


def test_refused_global_names_blocked_and_unlisted_globals(tmp_path):
    class System:
        def __reduce__(self):
            return os.system, ('true', )

    src = tmp_path / 'blocked.pth'
    torch.save({'x': System()}, src)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_official_checkpoint(str(src))
    assert info.value.refused == f'{os.system.__module__}.system'  # posix.system on Linux
    assert info.value.path == str(src)
    assert refused_global(ValueError('WeightsUnpickler error: Unsupported operand 149\n')) == \
        'an unsupported object (Unsupported operand 149)'
