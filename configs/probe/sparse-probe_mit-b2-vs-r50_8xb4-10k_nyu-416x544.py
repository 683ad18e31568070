# The sparse-pixel study of Sec. 3.1 / 4.1 (Table 1, Figs. 3, 5, 7) on NYU-Depth-v2: SegFormer
# (MiT-b2) vs ResNet-50, both trained with configs/multiscale_depth
# (multiscale-depth_{mit-b2,r50}_8xb4-80k_nyu-416x544.py). This config trains
# ONE probe (for model.target, the Transformer by default) with tools/train.py; the whole study
# (both networks x probe_pair.lambdas, evaluation, table, figures) is
#   python tools/analysis_tools/sparse_probe.py THIS_CONFIG --transformer-ckpt T.pth --cnn-ckpt C.pth
_base_ = [
    '../_base_/models/sparse-probe.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_probe_10k.py'
]
transformer_config = '{{fileDirname}}/../multiscale_depth/multiscale-depth_mit-b2_8xb4-80k_nyu-416x544.py'
cnn_config = '{{fileDirname}}/../multiscale_depth/multiscale-depth_r50_8xb4-80k_nyu-416x544.py'
probe_pair = dict(
    transformer=dict(name='SegFormer (MiT-b2)', config=transformer_config, checkpoint=None),
    cnn=dict(name='ResNet-50', config=cnn_config, checkpoint=None),
    lambdas=[1, 2, 3, 4, 5, 6],  # Table 1
    num_panels=8)
model = dict(target=transformer_config)
# RMSE of N(I * M) with the NYU conventions (Eigen crop, 1e-3..10 m) and the kept-pixel fraction
val_evaluator = [
    dict(type='DepthEvalMetric', min_depth_eval=1e-3, max_depth_eval=10.0, crop='nyu',
         depth_scale=1000.0),
    dict(type='MaskSparsityMetric'),
]
test_evaluator = val_evaluator
