# SegFormer MiT-b2 depth network on NYU-Depth-v2 (Transformer target network of Sec. 3.1/4):
# 416x544 crops, Hu et al. loss, Sec. 4 optimiser and poly schedule, 8 GPUs x 4 images.
_base_ = [
    '../_base_/models/depth_segformer_mit-b0.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(
    backbone=dict(
        embed_dims=64,
        num_layers=[3, 4, 6, 3],
        init_cfg=dict(checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/'
                      'pretrain/segformer/mit_b2_20220624-66e8bf70.pth')),
    decode_head=dict(in_channels=[64, 128, 320, 512], channels=256, max_depth=10.0))
