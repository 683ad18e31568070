# PixelFormer (Agarwal & Arora, WACV'23, ref. [3]): Swin-L encoder (ImageNet-22k, 224, window 7,
# drop path 0.3) + Skip Attention Module decoder with the Bin Center Predictor (256 bins from
# 0.1 m, SAM widths 128/256/512/1024, window 7, PPM queries of 512 channels), trained with
# SILog (10 * sqrt(mean d^2 - 0.85 mean(d)^2) over the pooled batch), as in
# ashutosh1807/PixelFormer (networks/PixelFormer.py, train.py).
_base_ = ['./multiscale-depth_swin-l.py']
model = dict(
    backbone=dict(
        pretrain_img_size=224,
        window_size=7,
        drop_path_rate=0.3,
        init_cfg=dict(
            checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/swin/'
            'swin_large_patch4_window7_224_22k_20220412-aeecf2aa.pth')),
    decode_head=dict(
        _delete_=True,
        type='PixelFormerHead',
        in_channels=[192, 384, 768, 1536],
        channels=512,
        sam_dims=[128, 256, 512, 1024],
        sam_heads=[4, 8, 16, 32],
        window_size=7,
        num_bins=256,
        bcp_hidden=2048,
        pool_scales=(1, 2, 3, 6),
        # official norms: BN in the PPM bottleneck, GroupNorm(256) in every PPM branch
        norm_cfg=dict(type='BN', requires_grad=True),
        ppm_norm_cfg=dict(type='GN', num_groups=256, requires_grad=True),
        # the official SAMs: a 3x3 projection only where the channels differ (all of them here)
        sam_proj_when_equal=False,
        min_depth=0.1,
        max_depth=10.0,
        loss_decode=dict(type='ScaleInvariantLoss', lamb=0.85, use_sqrt=True, scale=10.0,
                         reduction='batch', loss_name='loss_silog')))
