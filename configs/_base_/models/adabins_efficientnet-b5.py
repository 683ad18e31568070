# AdaBins (Bhat et al., CVPR'21): EfficientNet-B5 (AdvProp) encoder, U-Net decoder, mini-ViT
# adaptive bins (256 bins, embedding 128, 4 layers, patch 16, 'linear' norm), SILog + 0.1 chamfer.
# Published hyper-parameters as in the official args_train_{nyu,kitti_eigen}.txt; ImageNet
# mean/std input normalisation as the official data loader (also for the AdvProp weights).
norm_cfg = dict(type='SyncBN', requires_grad=True)
_base_ = ['./depth_estimator.py']  # DepthEstimator and its data preprocessor
model = dict(
    backbone=dict(
        type='EfficientNetEncoder',
        arch='b5',
        out_indices=(1, 2, 3, 4, 6),  # skips at 1/2, 1/4, 1/8, 1/16 and the head conv at 1/32
        head_norm_act=False,  # AdaBins reads the head conv before its BN and Swish
        norm_cfg=dict(type='SyncBN', eps=1e-3, requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            # tf_efficientnet_b5_ap (AdvProp + AutoAugment), converted by mmpretrain
            checkpoint='https://download.openmmlab.com/mmclassification/v0/efficientnet/'
            'efficientnet-b5_3rdparty_8xb32-aa-advprop_in1k_20220119-f57a895a.pth')),
    decode_head=dict(
        _delete_=True,
        type='AdaBinsHead',
        in_channels=[24, 40, 64, 176, 2048],
        in_index=(0, 1, 2, 3, 4),
        decoder_channels=2048,
        channels=128,
        n_bins=256,
        minivit_cfg=dict(
            n_queries=128,
            patch_size=16,
            embed_dims=128,
            num_heads=4,
            num_layers=4,
            feedforward_channels=1024,
            norm='linear',
            # inputs below ~370x370 px have fewer than 129 patches: zero extra queries
            # (never happens at the NYU/KITTI training and test sizes)
            pad_queries=True),
        norm_cfg=norm_cfg,
        min_depth=1e-3,
        max_depth=10.0,
        align_corners=True,
        loss_decode=dict(type='ScaleInvariantLoss', lamb=0.85, use_sqrt=True, scale=10.0,
                         reduction='batch', loss_name='loss_silog'),
        loss_bins=dict(type='BinsChamferLoss', loss_weight=0.1)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
