# SegFormer MiT-b2 depth network on NYU-Depth-v2 (Transformer target network of Sec. 3.1/4):
# 416x544 crops, Hu et al. loss, Sec. 4 optimiser and poly schedule, 8 GPUs x 4 images.
_base_ = [
    '../_base_/models/multiscale-depth_mit-b2.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(max_depth=10.0))
