# The SegFormer depth network at small size on the generated NYU-like data: the main job of
# the README (2 CPU processes x 4 images, 1200 iterations). ImageNet weights are off because
# nothing may be downloaded here; BN instead of SyncBN so it runs on CPU with gloo.
_base_ = [
    '../_base_/models/depth_segformer_mit-b0.py', '../_base_/datasets/synthetic_nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_1200it.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(init_cfg=None, drop_path_rate=0.0),
    decode_head=dict(channels=64, norm_cfg=norm_cfg, max_depth=10.0))
