# The SegFormer (MiT-b0) depth network on the generated KITTI-like data (375x1242 frames: KB crop,
# 352x704 random crops, Garg crop, 80 m cap), 2 CPU processes x 2 images, 1200 iterations, with
# the CPU settings of _base_/cpu_synthetic.py.
_base_ = [
    '../_base_/models/multiscale-depth_mit-b0.py', '../_base_/datasets/synthetic_kitti.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_1200it.py',
    '../_base_/cpu_synthetic.py'
]
norm_cfg = {{_base_.cpu_norm_cfg}}
model = dict(_base_.cpu_model, decode_head=dict(_base_.cpu_model.decode_head, max_depth=80.0))
