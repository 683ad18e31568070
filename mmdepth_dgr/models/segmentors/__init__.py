"""Segmentors (mmseg's ``DepthEstimator`` is used as is)."""
