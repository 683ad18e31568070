# Swin-L (22k, w12) depth network on the KITTI Eigen split: KB crop, 352x704 crops, Hu et al.
# loss, Sec. 4 optimiser, depth up to 80 m, 8 GPUs x 4 images.
_base_ = [
    '../_base_/models/multiscale-depth_swin-l.py', '../_base_/datasets/kitti.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(channels=256, max_depth=80.0))
