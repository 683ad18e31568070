"""DGRNeck: Depth Gradient Refinement of multi-level features (Sec. 3.2)."""
from mmseg.registry import MODELS

from ..utils import MultiLevelDGR


@MODELS.register_module()
class DGRNeck(MultiLevelDGR):
    """Depth Gradient Refinement neck: one :class:`DGRBlock` per selected level.

    Takes the list of multi-level features and returns a list of the same
    length, shapes and channels (refined levels are ``x + DGR(x)``, the others
    pass through unchanged), so it can be put in front of any head or neck
    (chain it with :class:`SequentialNeck`). With ``zero_init`` (default) the
    untrained neck is the identity, so it can be inserted into a pretrained
    model without changing its predictions. The per-level logic is
    :class:`~mmdepth_dgr.models.utils.MultiLevelDGR` (shared with
    :class:`~mmdepth_dgr.models.backbones.DGRBackbone`); the block weights are
    ``blocks.<i>.*``.

    Args:
        **kwargs: The arguments of
            :class:`~mmdepth_dgr.models.utils.MultiLevelDGR` (``in_channels``,
            ``levels``, ``reduction``, ``rank``, ``norm_cfg``, ``act_cfg``,
            ``zero_init``, ``init_cfg``, ``spatial_kernel``).
    """
