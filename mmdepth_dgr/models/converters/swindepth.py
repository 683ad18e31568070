"""Map Swin-Depth checkpoints with an official-Swin-layout encoder onto this project's model.

Cheng et al. released no Swin-Depth code or weights, so there is no official
Swin-Depth key layout to convert. What does exist, and what a Swin-Depth
re-implementation built on Microsoft's Swin code (as the 2021 Swin depth
models were) stores, is an encoder in the official Swin layout
(``patch_embed.proj``, ``layers.<i>.blocks.<j>.attn.*``, ``mlp.fc1``, ...).
:func:`convert_swindepth_checkpoint` maps such an encoder (under any prefix,
e.g. ``backbone.``/``encoder.``, or a bare ImageNet classification checkpoint
such as ``swin_tiny_patch4_window7_224.pth``) onto mmseg's ``SwinTransformer``
keys under ``backbone.`` with :func:`~mmdepth_dgr.models.converters.pixelformer.
convert_official_swin`, and keeps keys that are already in this project's
layout (``decode_head.*``, ``neck.*``).
"""
from typing import List, Tuple

from .pixelformer import convert_official_swin
from .utils import StateDict, add_prefix, strip_prefix

OWN_PREFIXES = ('decode_head.', 'neck.')
# classifier-only entries of an ImageNet Swin checkpoint: the head and the final norm that
# feeds global pooling (the depth model has its own per-level output norms norm0..norm3)
CLASSIFIER_KEYS = ('head.', 'norm.')


def convert_swindepth_checkpoint(state: StateDict, encoder_prefix: str = 'backbone.'
                                 ) -> Tuple[StateDict, List[str]]:
    """Convert a Swin-Depth state dict whose encoder uses the official Swin layout.

    Args:
        state (dict[str, Tensor]): State dict (a ``module.`` prefix is removed).
        encoder_prefix (str): Prefix of the encoder keys; ``''`` for a bare
            Swin classification checkpoint. Defaults to ``'backbone.'``.

    Returns:
        tuple[dict[str, Tensor], list[str]]: ``backbone.*`` (mmseg Swin keys)
        plus the kept ``decode_head.*``/``neck.*`` keys, and the dropped keys
        (classifier head and final norm, ``attn_mask`` buffers).

    Raises:
        KeyError: A key that is neither encoder nor in this project's layout.
    """
    state = strip_prefix(state)
    encoder: StateDict = {}
    out: StateDict = {}
    dropped: List[str] = []
    for key, value in state.items():
        if key.startswith(OWN_PREFIXES):
            out[key] = value
        elif key.startswith(encoder_prefix):
            rest = key[len(encoder_prefix):]
            if rest.startswith(CLASSIFIER_KEYS) or rest.endswith('attn_mask'):
                dropped.append(key)
            else:
                encoder[rest] = value
        else:
            raise KeyError(f'convert_swindepth_checkpoint: key {key!r} is neither under the '
                           f'encoder prefix {encoder_prefix!r} nor one of {OWN_PREFIXES}')
    out.update(add_prefix(convert_official_swin(encoder), 'backbone.'))
    return out, dropped
