"""Utilities."""
from .checkpoint import enable_weights_only_checkpoints
from .config_utils import strip_pretrained, sync_bn_to_bn

__all__ = ['enable_weights_only_checkpoints', 'strip_pretrained', 'sync_bn_to_bn']
