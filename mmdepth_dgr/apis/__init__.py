"""Inference APIs (as ``mmseg.apis``); filled by the inference work.

Training and testing glue lives in :mod:`mmdepth_dgr.engine`, the libraries behind
``tools/analysis_tools`` in :mod:`mmdepth_dgr.analysis`.
"""

__all__: list = []
