"""Shared test set-up: mmseg is the default registry scope, as in the configs."""
import pytest
from mmengine.registry import DefaultScope

import mmdepth_dgr  # noqa: F401  (registers the project's modules)


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Build registry objects in the ``mmseg`` scope (``default_scope`` of the configs)."""
    name = 'mmdepth_dgr_tests'
    if DefaultScope.check_instance_created(name):
        yield DefaultScope.get_instance(name)
    else:
        yield DefaultScope.get_instance(name, scope_name='mmseg')
