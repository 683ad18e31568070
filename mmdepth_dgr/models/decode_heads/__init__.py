"""Depth decode heads (registered in mmseg's MODELS)."""
from .adabins_head import AdaBinsHead
from .adabins_minivit import AdaBinsMiniViT, normalize_bin_widths
from .depth_base_head import DEPTH_ACTIVATIONS, DepthBaseHead, depth_activation
from .depthformer_head import DepthFormerDenseHead, DepthFormerTransbinsHead
from .dpt_depth_head import DPTDepthHead
from .multiscale_depth_head import MultiScaleDepthHead
from .pixelformer_head import PixelFormerHead
from .swindepth_head import SwinDepthHead
from .transdepth_head import TransDepthHead

__all__ = ['DepthBaseHead', 'MultiScaleDepthHead', 'DEPTH_ACTIVATIONS', 'depth_activation']
__all__ += ['DepthFormerDenseHead', 'DepthFormerTransbinsHead']
__all__ += ['PixelFormerHead']
__all__ += ['AdaBinsHead']
__all__ += ['AdaBinsMiniViT', 'normalize_bin_widths']
__all__ += ['DPTDepthHead']
__all__ += ['TransDepthHead', 'SwinDepthHead']
