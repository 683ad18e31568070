"""The controlled DGR / OTDL study on the generated indoor data (tools/analysis_tools/dgr_study.py).

:mod:`.runs` trains and tests every (variant, seed) with the project's tools, :mod:`.stats`
holds the paired statistics, :mod:`.report` the table and the plot.
"""
from .runs import COMPARISONS, VARIANTS, StudyRun, execute, plan_runs

__all__ = ['COMPARISONS', 'VARIANTS', 'StudyRun', 'execute', 'plan_runs']
