"""Models: decode heads, necks, losses and segmentors (registered in mmseg's MODELS)."""
from . import decode_heads, losses, necks, segmentors  # noqa: F401
