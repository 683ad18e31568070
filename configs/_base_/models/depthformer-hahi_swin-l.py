# DepthFormer of Li et al. (MIR'23, arXiv:2203.14211; the KITTI row of Table 3): Swin-L encoder
# (ImageNet-22k, 224, window 7, drop path 0.3) with a convolution-stem branch (7x7/2 conv, BN,
# ReLU: 64 channels at 1/2), HAHI neck (deformable self-attention over the Swin levels and
# cross-attention from the conv branch, 512 channels, 8 heads, 8 points) and a DenseDepth
# decoder (LeakyReLU, no norm, ReLU output + min_depth), SigLoss
# sqrt(Var(g) + 0.15 mean(g)^2) over the pooled batch, as released in
# zhyever/Monocular-Depth-Estimation-Toolbox (configs/depthformer/depthformer_swinl_22k_w7_*).
_base_ = ['./multiscale-depth_swin-l.py']
levels = [64, 192, 384, 768, 1536]
model = dict(
    backbone=dict(
        type='DepthFormerSwin',
        pretrain_img_size=224,
        window_size=7,
        drop_path_rate=0.3,
        stem_channels=64,
        stem_norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=dict(
            checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/swin/'
            'swin_large_patch4_window7_224_22k_20220412-aeecf2aa.pth')),
    neck=dict(
        type='DepthFormerHAHINeck',
        in_channels=levels,
        out_channels=levels,
        embed_dims=512,
        num_heads=8,
        num_points=8,
        norm_cfg=dict(type='BN', requires_grad=True),
        act_cfg=dict(type='ReLU', inplace=True)),
    decode_head=dict(
        _delete_=True,
        type='DepthFormerDenseHead',
        in_channels=levels,
        up_channels=levels,
        channels=64,
        norm_cfg=None,
        act_cfg=dict(type='LeakyReLU', inplace=True),
        align_corners=True,
        depth_act='relu',
        min_depth=1e-3,
        max_depth=10.0,
        loss_decode=dict(type='ScaleInvariantLoss', lamb=0.85, use_sqrt=True, scale=1.0,
                         reduction='batch', loss_name='loss_silog')))
