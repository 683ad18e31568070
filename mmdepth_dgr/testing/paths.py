"""Where the source checkout is (the tests run from it: configs/, tools/, launch scripts)."""
from pathlib import Path

#: Root of the checkout holding this package (``mmdepth_dgr/testing/paths.py`` -> ``..``).
REPO_ROOT = Path(__file__).resolve().parents[2]

#: The synthetic configs the end-to-end tool tests run (tiny schedules set by --cfg-options).
TOOL_TEST_CONFIGS = {
    'nyu': REPO_ROOT / 'configs' / 'multiscale_depth'
    / 'multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py',
    'kitti': REPO_ROOT / 'configs' / 'multiscale_depth'
    / 'multiscale-depth_mit-b0_2xb2-1200it_synthetic-kitti-352x704.py',
}

#: The real frames shared with the project (read there, never copied into the repository):
#: ``nyu/`` (3 RGB + 16-bit depth), ``kitti/{rgb,depth}`` (3 frames), ``wild/`` (3 photographs).
REAL_SAMPLES = REPO_ROOT.parent / 'shared' / 'real_samples'

#: A DGR + Eq. 21 (MSE + OTDL) config on the generated NYU-like data.
DGR_OTDL_SYNTHETIC_CONFIG = (REPO_ROOT / 'configs' / 'dgr'
                             / 'multiscale-depth-dgr-otdl_mit-b0_2xb4-2k_synthetic-nyu-96x128.py')

#: The real split files shared with the project (``nyu_test.txt``, ``kitti_eigen_test.txt``, ...;
#: read there, never copied into the repository).
SHARED_SPLITS = REPO_ROOT.parent / 'shared' / 'splits'
