# The ResNet-50 depth network on the generated NYU-like data, same schedule as the SegFormer
# one. ImageNet weights off (no downloads here), BN instead of SyncBN for CPU.
_base_ = [
    '../_base_/models/depth_resnet50.py', '../_base_/datasets/synthetic_nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_1200it.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(init_cfg=None, norm_cfg=norm_cfg),
    decode_head=dict(channels=64, norm_cfg=norm_cfg, max_depth=10.0))
