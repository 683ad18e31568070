"""Helpers shared by the test suite (``tests/``), like ``mmseg.testing`` / ``mmdet.testing``.

Nothing in :mod:`mmdepth_dgr` imports this package; the tests import it directly.
Its helpers expect the source checkout (an editable install): they run the checkout's
``tools/`` and launch scripts and read ``../shared/`` next to it (the wheel carries copies of
``configs/`` and ``tools/`` in ``mmdepth_dgr/.mim``, which the tests do not use).

* :mod:`.paths` - the checkout's root (:data:`REPO_ROOT`), the configs of the end-to-end
  tool tests (:data:`TOOL_TEST_CONFIGS`, :data:`DGR_OTDL_SYNTHETIC_CONFIG`) and the shared
  real frames (:data:`REAL_SAMPLES`).
* :mod:`.checkpoints` - a checkpoint that runs code when unpickled (import from the submodule).
* :mod:`.data` - cached synthetic NYU / KITTI trees (:class:`SyntheticTrees`,
  the ``tests/conftest.py`` fixtures) and data-loader ``--cfg-options``.
* :mod:`.models` - building a config's model offline, tiny inputs and
  ground-truth samples, random state dicts, parameter counts.
* :mod:`.runs` - :func:`evaluate_with_random_weights` (the engine's ``test``
  on generated data with a random-weight checkpoint).
* :mod:`.processes` - subprocess runs of the tools (environment, free port,
  torchrun variables).
* :mod:`.transforms` - image / depth pairs whose alignment a transform test can
  decode exactly, and the alignment checks (import from the submodule).
* :mod:`.probe` - tiny configs of the sparse-pixel probe tests (import from the
  submodule).
"""
from .data import (
    EVAL_TREES,
    TRAIN_TREE,
    SyntheticTrees,
    as_cli_options,
    dataloader_options,
    tool_train_options,
)
from .models import (
    build_depth_model,
    count_params,
    depth_batch,
    depth_samples,
    random_state_dict,
)
from .paths import DGR_OTDL_SYNTHETIC_CONFIG, REAL_SAMPLES, REPO_ROOT, TOOL_TEST_CONFIGS
from .processes import free_port, repo_env, run_in_repo, torchrun_env
from .runs import evaluate_with_random_weights

__all__ = [
    'EVAL_TREES', 'REPO_ROOT', 'TRAIN_TREE', 'SyntheticTrees', 'as_cli_options',
    'build_depth_model', 'count_params', 'dataloader_options', 'depth_batch', 'depth_samples',
    'evaluate_with_random_weights', 'free_port', 'random_state_dict', 'repo_env', 'run_in_repo',
    'torchrun_env', 'TOOL_TEST_CONFIGS', 'tool_train_options', 'REAL_SAMPLES',
    'DGR_OTDL_SYNTHETIC_CONFIG'
]
