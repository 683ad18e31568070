# ResNet-50 depth network on NYU-Depth-v2 (CNN target network of Sec. 3.1/4), trained exactly
# like the SegFormer (MiT-b2) one: 416x544 crops, Hu et al. loss, Sec. 4 optimiser, 8 GPUs x 4 images.
_base_ = [
    '../_base_/models/multiscale-depth_r50.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(channels=256, max_depth=10.0))
