"""mmdepth-dgr: DGR neck, OT depth loss and depth toolbox for MMSegmentation 1.x.

Importing this package registers every dataset, transform, metric, model and
hook of the project into mmseg's registries, so configs only need
``custom_imports=dict(imports=['mmdepth_dgr'], allow_failed_imports=False)``.
"""
# registry: the mmdepth_dgr scope of configs that inherit `mmdepth_dgr::<config>`
from . import datasets, engine, evaluation, models, registry, utils, visualization  # noqa: F401
from .utils import enable_weights_only_checkpoints
from .version import __version__, version_info

enable_weights_only_checkpoints()

__all__ = ['__version__', 'version_info']
