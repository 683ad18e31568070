"""Fixtures of the dataset tests: a tiny iBims-1 tree in the official layout."""
import pytest

from mmdepth_dgr.testing.ibims import write_ibims_tree


@pytest.fixture(scope='session')
def ibims_tree(tmp_path_factory):
    """(root, facts) of a two-image iBims-1 tree (:func:`write_ibims_tree`); read-only."""
    root = tmp_path_factory.mktemp('ibims')
    return str(root), write_ibims_tree(str(root))
