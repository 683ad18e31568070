# SegFormer MiT-b2 depth network on the KITTI Eigen split: KB crop, 352x704 training crops,
# Hu et al. loss, Sec. 4 optimiser and poly schedule, depth up to 80 m, 8 GPUs x 4 images.
_base_ = [
    '../_base_/models/multiscale-depth_mit-b2.py', '../_base_/datasets/kitti.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(max_depth=80.0))
