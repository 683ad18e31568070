"""The ``mmdepth_dgr`` registry scope, for configs that inherit ``mmdepth_dgr::<path>``.

mmengine 0.10.7 resolves ``_base_ = ['mmdepth_dgr::dgr/depthformer_dgr_kitti.py']`` only for a
package named in ``mmengine.config.utils.MODULE2PACKAGE`` (importing this module adds
``mmdepth_dgr``), and it marks every dict with a ``type`` that such a base defines with
``_scope_='mmdepth_dgr'``, so mmengine builds it in the registries of that scope. The project
registers its modules into mmseg's registries; the registries here are children of mmseg's with
the scope ``mmdepth_dgr``, hold nothing themselves and find every type (the project's, mmseg's,
mmengine's) through their parents. ``locations`` makes a build in this scope import the package.
"""
from mmengine.config.utils import MODULE2PACKAGE
from mmengine.registry import Registry
from mmseg import registry as mmseg_registry

SCOPE = 'mmdepth_dgr'
MODULE2PACKAGE.setdefault(SCOPE, 'mmdepth_dgr')


def _child(parent: Registry) -> Registry:
    """A registry of scope :data:`SCOPE` under one of mmseg's, with the parent's name."""
    return Registry(parent.name, parent=parent, scope=SCOPE, locations=['mmdepth_dgr'])


RUNNERS = _child(mmseg_registry.RUNNERS)
RUNNER_CONSTRUCTORS = _child(mmseg_registry.RUNNER_CONSTRUCTORS)
LOOPS = _child(mmseg_registry.LOOPS)
HOOKS = _child(mmseg_registry.HOOKS)
DATASETS = _child(mmseg_registry.DATASETS)
DATA_SAMPLERS = _child(mmseg_registry.DATA_SAMPLERS)
TRANSFORMS = _child(mmseg_registry.TRANSFORMS)
MODELS = _child(mmseg_registry.MODELS)
MODEL_WRAPPERS = _child(mmseg_registry.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _child(mmseg_registry.WEIGHT_INITIALIZERS)
OPTIMIZERS = _child(mmseg_registry.OPTIMIZERS)
OPTIM_WRAPPERS = _child(mmseg_registry.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child(mmseg_registry.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child(mmseg_registry.PARAM_SCHEDULERS)
METRICS = _child(mmseg_registry.METRICS)
EVALUATOR = _child(mmseg_registry.EVALUATOR)
TASK_UTILS = _child(mmseg_registry.TASK_UTILS)
VISUALIZERS = _child(mmseg_registry.VISUALIZERS)
VISBACKENDS = _child(mmseg_registry.VISBACKENDS)
LOG_PROCESSORS = _child(mmseg_registry.LOG_PROCESSORS)
INFERENCERS = _child(mmseg_registry.INFERENCERS)
