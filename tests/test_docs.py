"""The documentation points at code that exists: docs/paper_map.md's files and symbols."""
import re

import pytest

from mmdepth_dgr.testing.paths import REPO_ROOT

PAPER_MAP = (REPO_ROOT / 'docs' / 'paper_map.md').read_text()
ENTRIES = sorted(set(re.findall(r'`(mmdepth_dgr/[\w/]+\.py):(\w+)(?:\.(\w+))?', PAPER_MAP)))
PATHS = sorted(set(re.findall(r'`((?:mmdepth_dgr|configs)/[\w/.-]+\.py)', PAPER_MAP)))


@pytest.mark.parametrize('path', PATHS)
def test_paper_map_path_exists(path):
    assert (REPO_ROOT / path).is_file(), f'docs/paper_map.md names a missing file: {path}'


@pytest.mark.parametrize('path,name,member', ENTRIES, ids=[f'{p}:{n}' for p, n, _ in ENTRIES])
def test_paper_map_symbol_exists(path, name, member):
    source = (REPO_ROOT / path).read_text()
    assert re.search(rf'^(class|def) {name}\b', source, re.M), f'{path} has no {name}'
    if member:
        assert re.search(rf'^    def {member}\b', source, re.M), f'{path}:{name} has no {member}'
