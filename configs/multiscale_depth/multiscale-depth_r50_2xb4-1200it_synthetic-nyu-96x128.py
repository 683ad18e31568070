# The ResNet-50 depth network on the generated NYU-like data, same data and schedule as
# multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py (the CNN target network of the
# probe job), with the CPU settings of _base_/cpu_synthetic.py: the ResNet has no stochastic
# depth, and its own norms become BN too.
_base_ = [
    '../_base_/models/multiscale-depth_r50.py', '../_base_/datasets/synthetic_nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_1200it.py',
    '../_base_/cpu_synthetic.py'
]
norm_cfg = {{_base_.cpu_norm_cfg}}
model = dict(
    backbone=dict(init_cfg=None, norm_cfg=norm_cfg), decode_head={{_base_.cpu_model.decode_head}})
