# SegFormer (MiT) encoder + multi-scale regression head, trained with the Hu et al. loss
# (Eq. 22), the paper's Transformer target network (Sec. 4, "Models").
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=0,  # padded depth is 0 = invalid
    size_divisor=32)
model = dict(
    type='DepthEstimator',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='MixVisionTransformer',
        in_channels=3,
        embed_dims=32,
        num_stages=4,
        num_layers=[2, 2, 2, 2],
        num_heads=[1, 2, 5, 8],
        patch_sizes=[7, 3, 3, 3],
        sr_ratios=[8, 4, 2, 1],
        out_indices=(0, 1, 2, 3),
        mlp_ratio=4,
        qkv_bias=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/'
            'segformer/mit_b0_20220624-7e0fe6dd.pth')),
    decode_head=dict(
        type='MultiScaleDepthHead',
        in_channels=[32, 64, 160, 256],
        in_index=(0, 1, 2, 3),
        channels=128,
        num_upsample=2,
        norm_cfg=norm_cfg,
        min_depth=1e-3,
        max_depth=10.0,
        depth_act='sigmoid',
        loss_decode=dict(type='HuDepthLoss')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
