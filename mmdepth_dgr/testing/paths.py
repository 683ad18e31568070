"""Where the source checkout is (the tests run from it: configs/, tools/, launch scripts)."""
from pathlib import Path

#: Root of the checkout holding this package (``mmdepth_dgr/testing/paths.py`` -> ``..``).
REPO_ROOT = Path(__file__).resolve().parents[2]
