# TransDepth (Yang et al., ICCV'21): R50+ViT-B/16 hybrid encoder (TransUNet variant: symmetric
# padding, per-channel projection GroupNorm, no class token, no position embedding, dropout
# 0.1) + TransDepthHead (reassembling convs, attention gate decoder, BTS decoder with local
# planar guidance, bts_size 512). Loss: BTS SILog over the pooled batch, 10 * sqrt(mean d^2 -
# 0.85 mean(d)^2). Encoder weights: Google's ImageNet-21k R50+ViT-B_16.npz, as in the official
# README. Input normalisation: ImageNet mean/std, as the official BTS data loader.
norm_cfg = dict(type='SyncBN', requires_grad=True)
bts_norm_cfg = dict(type='SyncBN', momentum=0.01, eps=1.1e-5, requires_grad=True)
_base_ = ['./depth_estimator.py']  # DepthEstimator and its data preprocessor
model = dict(
    backbone=dict(
        type='ViTHybrid',
        stage_blocks=(3, 4, 9),
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        mlp_ratio=4,
        drop_rate=0.1,
        with_cls_token=False,
        use_pos_embed=False,
        out_indices=(11, ),
        stem_out_indices=(0, 1, 2),
        padding='symmetric',
        ws_eps=1e-5,
        gn_eps=1e-6,
        proj_gn_per_channel=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://storage.googleapis.com/vit_models/imagenet21k/R50+ViT-B_16.npz')),
    decode_head=dict(
        _delete_=True,
        type='TransDepthHead',
        in_channels=[64, 256, 512, 768],
        in_index=(0, 1, 2, 3),
        channels=512,
        reassemble_channels=(1024, 2048),
        agd_channels=512,
        attention_rank=3,
        test_attention_rank=5,
        norm_cfg=norm_cfg,
        bts_norm_cfg=bts_norm_cfg,
        daspp_mid_eps=1e-5,  # official atrous_conv: the norm after each 1x1 conv keeps eps 1e-5
        min_depth=1e-3,
        max_depth=10.0,
        depth_act='sigmoid',
        loss_decode=dict(type='ScaleInvariantLoss', lamb=0.85, use_sqrt=True, scale=10.0,
                         reduction='batch', loss_name='loss_silog')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
