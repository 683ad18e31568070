"""mmseg's ``MixVisionTransformer`` with the LayerNorm ``eps`` of the SegFormer code as options.

mmseg builds every LayerNorm of its MiT from one ``norm_cfg`` (``eps=1e-6``).
SegFormer's own ``mix_transformer.py`` (NVlabs/SegFormer, and the copies of it
in repositories built on it, e.g. ashutosh1807/Depthformer) gives ``eps=1e-6``
only to the norms of the blocks and the stage outputs; the norm of each
overlapping patch embedding and the norm after the spatial-reduction conv of
the attention are ``nn.LayerNorm(dim)`` with PyTorch's default ``eps=1e-5``.
The weights are the same either way (mmseg's ``mit2mmseg`` converts the
ImageNet checkpoints of that code); only these two ``eps`` differ, which moves
a float64 forward pass by about 1e-4 relative at the first patch embedding.
:class:`SegFormerMiT` sets them, after mmseg's constructor, to what a config
asks (by default it changes nothing).
"""
from typing import Optional

from mmseg.models.backbones import MixVisionTransformer
from mmseg.registry import MODELS


@MODELS.register_module()
class SegFormerMiT(MixVisionTransformer):
    """``MixVisionTransformer`` whose patch-embedding and reduction norms may take their own eps.

    ``forward`` is mmseg's (so :class:`~mmdepth_dgr.models.backbones.DGRBackbone`
    treats it as a MiT) and so are the parameter names; only the ``eps`` of two
    kinds of ``nn.LayerNorm`` change.

    Args:
        patch_norm_eps (float, optional): ``eps`` of the norm of each stage's
            patch embedding (``layers.<i>.0.norm``). None keeps ``norm_cfg``'s.
        sr_norm_eps (float, optional): ``eps`` of the norm after the
            spatial-reduction conv of every attention with ``sr_ratio > 1``
            (``layers.<i>.1.<j>.attn.norm``). None keeps ``norm_cfg``'s.
        **kwargs: :class:`mmseg.models.backbones.MixVisionTransformer` arguments.
    """

    def __init__(self, patch_norm_eps: Optional[float] = None,
                 sr_norm_eps: Optional[float] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        for name, eps in (('patch_norm_eps', patch_norm_eps), ('sr_norm_eps', sr_norm_eps)):
            if eps is not None and not eps > 0:
                raise ValueError(f'SegFormerMiT: {name} must be > 0, got {eps}')
        self.patch_norm_eps = patch_norm_eps
        self.sr_norm_eps = sr_norm_eps
        for patch_embed, blocks, _norm in self.layers:
            if patch_norm_eps is not None and patch_embed.norm is not None:
                patch_embed.norm.eps = patch_norm_eps
            if sr_norm_eps is None:
                continue
            for block in blocks:
                if block.attn.sr_ratio > 1:
                    block.attn.norm.eps = sr_norm_eps
