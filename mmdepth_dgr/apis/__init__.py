"""Inference APIs (as ``mmseg.apis``): :func:`init_model`, :func:`inference_model` and
:class:`DepthInferencer`; the inference pipeline they share is in :mod:`.utils`.

Training and testing glue lives in :mod:`mmdepth_dgr.engine`, the libraries behind
``tools/analysis_tools`` in :mod:`mmdepth_dgr.analysis`.
"""
from .depth_inferencer import DepthInferencer
from .inference import inference_model, init_model

__all__ = ['init_model', 'inference_model', 'DepthInferencer']
