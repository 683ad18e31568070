# A Swin-T depth network with the main job's data, schedule and head width
# (multiscale-depth_mit-b0_2xb4-2k_synthetic-nyu-96x128.py) and the CPU settings of
# _base_/cpu_synthetic.py.
_base_ = [
    '../_base_/models/multiscale-depth_swin-t.py', '../_base_/datasets/synthetic_nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_2k.py',
    '../_base_/cpu_synthetic.py'
]
norm_cfg = {{_base_.cpu_norm_cfg}}
model = {{_base_.cpu_model}}
