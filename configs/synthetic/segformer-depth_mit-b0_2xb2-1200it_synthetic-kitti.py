# The SegFormer depth network on the generated KITTI-like data (KB crop, Garg crop, 80 m cap).
_base_ = [
    '../_base_/models/depth_segformer_mit-b0.py', '../_base_/datasets/synthetic_kitti.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_1200it.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(init_cfg=None, drop_path_rate=0.0),
    decode_head=dict(channels=64, norm_cfg=norm_cfg, max_depth=80.0))
