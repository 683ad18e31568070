# Swin-L (ImageNet-22k, 384, window 12) encoder + multi-scale regression head: the large
# Transformer encoder of the paper's target models; peer model of the DGR cost benchmark.
_base_ = ['./multiscale-depth_swin-t.py']
model = dict(
    backbone=dict(
        pretrain_img_size=384,
        embed_dims=192,
        window_size=12,
        depths=[2, 2, 18, 2],
        num_heads=[6, 12, 24, 48],
        init_cfg=dict(
            checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/swin/'
            'swin_large_patch4_window12_384_22k_20220412-6580f57d.pth')),
    decode_head=dict(in_channels=[192, 384, 768, 1536]))
