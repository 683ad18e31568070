"""Importing mmdepth_dgr registers every module of the project in mmseg's registries."""
import subprocess
import sys


def test_import_registers_everything_in_mmseg_registries():
    code = (
        'import mmdepth_dgr\n'
        'from mmseg.registry import DATASETS, METRICS, MODELS, TRANSFORMS, VISUALIZERS\n'
        'names = {DATASETS: ["NYUDepthDataset", "KITTIDepthDataset"],\n'
        '         METRICS: ["DepthEvalMetric"],\n'
        '         MODELS: ["MultiScaleDepthHead", "HuDepthLoss", "ScaleInvariantLoss",\n'
        '                  "DepthMSELoss"],\n'
        '         TRANSFORMS: ["LoadDepthMap", "KBCrop", "DepthRandomRotate", "DepthColorAug",\n'
        '                      "NYUBorderCrop"],\n'
        '         VISUALIZERS: ["DepthLocalVisualizer"]}\n'
        'missing = [n for r, ns in names.items() for n in ns if r.get(n) is None]\n'
        'assert not missing, missing\n'
        'print("registered")\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert 'registered' in proc.stdout
