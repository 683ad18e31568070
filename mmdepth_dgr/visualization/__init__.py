"""Visualisation of depth predictions (registered in mmseg's VISUALIZERS)."""
from .depth_visualizer import DepthLocalVisualizer, colorize_depth, depth_panels

__all__ = ['DepthLocalVisualizer', 'colorize_depth', 'depth_panels']
