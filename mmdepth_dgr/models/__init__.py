"""Models: backbone wrappers, decode heads, necks, losses, segmentors and reusable blocks
(``utils``), registered in mmseg's MODELS."""
from . import backbones, decode_heads, losses, necks, segmentors, utils  # noqa: F401
