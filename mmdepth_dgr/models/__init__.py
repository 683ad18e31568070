"""Models: backbone wrappers, decode heads, necks, losses, segmentors (in mmseg's MODELS)."""
from . import backbones, decode_heads, losses, necks, segmentors  # noqa: F401
