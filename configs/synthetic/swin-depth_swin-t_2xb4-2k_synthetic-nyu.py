# A Swin-T depth network on the generated NYU-like data with the main job's data, schedule and
# head width (segformer-depth_mit-b0_2xb4-2k_synthetic-nyu.py); no ImageNet weights, BN.
_base_ = [
    '../_base_/models/depth_swin-t.py', '../_base_/datasets/synthetic_nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_2k.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(init_cfg=None, drop_path_rate=0.0),
    decode_head=dict(channels=64, norm_cfg=norm_cfg, max_depth=10.0))
