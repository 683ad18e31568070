"""Checkpoint key mappings from official releases onto this project's modules (pure functions).

The helpers shared by the converters and ``tools/model_converters`` are in :mod:`.utils`.
"""
from .adabins import convert_adabins  # noqa: F401
from .depthformer import convert_depthformer_hahi, convert_depthformer_transbins  # noqa: F401
from .dpt import convert_dpt_hybrid  # noqa: F401
from .pixelformer import convert_official_swin, convert_pixelformer  # noqa: F401
from .swindepth import convert_swindepth_checkpoint  # noqa: F401
from .transdepth import convert_transdepth_checkpoint  # noqa: F401
from .utils import (  # noqa: F401
    StateDict,
    add_prefix,
    checkpoint_state_dict,
    load_official_checkpoint,
    replace_prefix,
    save_converted_checkpoint,
    strip_prefix,
    sub_state_dict,
)
from .vit_hybrid import convert_vit_hybrid_checkpoint  # noqa: F401
