"""Shared test set-up: mmseg is the default registry scope, as in the configs; generated data
trees and thread settings shared by several test modules."""
import pytest
import torch
from mmengine.registry import DefaultScope

import mmdepth_dgr  # noqa: F401  (registers the project's modules)

pytest.register_assert_rewrite('mmdepth_dgr.testing')  # detailed failures in the shared checks
from mmdepth_dgr.testing import EVAL_TREES, TRAIN_TREE, SyntheticTrees  # noqa: E402


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Build registry objects in the ``mmseg`` scope (``default_scope`` of the configs)."""
    name = 'mmdepth_dgr_tests'
    if DefaultScope.check_instance_created(name):
        yield DefaultScope.get_instance(name)
    else:
        yield DefaultScope.get_instance(name, scope_name='mmseg')


@pytest.fixture(scope='session')
def synthetic_trees(tmp_path_factory) -> SyntheticTrees:
    """Generated NYU / KITTI trees of the session, one per argument set (read-only)."""
    return SyntheticTrees(tmp_path_factory.mktemp('synthetic_trees'))


@pytest.fixture(scope='session')
def nyu_eval_root(synthetic_trees):
    """NYU-like tree (2 train, 2 test frames of 64x96) the model tests evaluate on."""
    return synthetic_trees.get('nyu', **EVAL_TREES['nyu'])


@pytest.fixture(scope='session')
def kitti_eval_root(synthetic_trees):
    """KITTI-like tree (2 test frames of 356x1220, just above the KB crop)."""
    return synthetic_trees.get('kitti', **EVAL_TREES['kitti'])


@pytest.fixture(scope='session')
def nyu_train_root(synthetic_trees):
    """NYU-like tree (8 train, 4 test frames of 48x64) of the end-to-end tool runs."""
    return synthetic_trees.get('nyu', **TRAIN_TREE)


@pytest.fixture(scope='session')
def nyu_multiscene_root(synthetic_trees):
    """The 8-frame NYU-like train tree in 4 scenes: ``rgb_00000.jpg`` in every scene."""
    return synthetic_trees.get('nyu', **TRAIN_TREE, num_scenes=4)


@pytest.fixture(scope='module')
def single_thread():
    """Single-threaded torch for a module: many small ops, and 2 threads on a shared 2-core
    box thrash (use with ``pytestmark = pytest.mark.usefixtures('single_thread')``)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
