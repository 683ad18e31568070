# The README's main job: the synthetic SegFormer (MiT-b0) depth network trained for 2000
# iterations (2 CPU processes x 4 images) on 800 generated 96x128 NYU-like frames from 200 rooms
# (tools/run_main_job.sh). No ImageNet weights (nothing is downloaded here); BN instead of
# SyncBN so that it runs on CPU with gloo.
_base_ = [
    '../_base_/models/depth_segformer_mit-b0.py', '../_base_/datasets/synthetic_nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_2k.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(init_cfg=None, drop_path_rate=0.0),
    decode_head=dict(channels=64, norm_cfg=norm_cfg, max_depth=10.0))
