"""Visualisation of depth samples and predictions (``DepthLocalVisualizer``, a
``SegLocalVisualizer`` registered in mmseg's VISUALIZERS, and its pure drawing functions)."""
from .depth_visualizer import DepthLocalVisualizer, colorize_depth, depth_panels

__all__ = ['DepthLocalVisualizer', 'colorize_depth', 'depth_panels']
