# DPT-Hybrid (Ranftl et al., ICCV'21): R50+ViT-B/16 encoder (timm vit_base_resnet50_384, the
# encoder of DPT's NYU/KITTI models), Reassemble of ResNet stages 1-2 and ViT layers 9 and 12
# (readout 'project'), four fusion blocks (256 features) and the depth head; the output is an
# inverse depth turned into metres with 1 / (x + shift). Input normalised to [-1, 1] as DPT.
_base_ = ['./depth_estimator.py']  # DepthEstimator and its data preprocessor
model = dict(
    data_preprocessor=dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5]),
    backbone=dict(
        type='ViTHybrid',
        stage_blocks=(3, 4, 9),
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        with_cls_token=True,
        use_pos_embed=True,
        pos_embed_grid=(24, 24),
        out_indices=(8, 11),  # DPT hooks on blocks 8 and 11 (before the final LayerNorm)
        stem_out_indices=(1, 2),  # ResNet stages 1 and 2 (256 ch at 1/4, 512 ch at 1/8)
        output_cls_token=True,
        final_norm=False,
        padding='tf_same',
        # as DPT runs it (timm 0.4.5 StdConv2dSame): (w - mean) / (std + 1e-5) in every conv
        # of the BiT trunk, and DPT's _resize_pos_embed: bilinear for non-384 inputs
        ws_formula='std',
        ws_eps=1e-5,
        pos_embed_resize='bilinear',
        gn_eps=1e-5,
        ln_eps=1e-6,
        init_cfg=dict(
            type='Pretrained',
            # timm's R50+ViT-B/16 (ImageNet-21k, fine-tuned on ImageNet-1k at 384)
            checkpoint='https://github.com/rwightman/pytorch-image-models/releases/download/'
            'v0.1-vitjx/jx_vit_base_resnet50_384-9fd3c705.pth')),
    neck=dict(
        type='DPTReassemble',
        embed_dims=768,
        out_channels=[256, 512, 768, 768],
        scale_factors=(4, 2, 1, 0.5),
        token_levels=(2, 3),
        readout_type='project'),
    decode_head=dict(
        _delete_=True,
        type='DPTDepthHead',
        in_channels=[256, 512, 768, 768],
        in_index=(0, 1, 2, 3),
        channels=256,
        head_channels=(128, 32),
        output_mode='inverse',
        inverse_scale=1.0,
        inverse_shift=0.1378,
        non_negative=True,
        min_depth=1e-3,
        max_depth=10.0,
        align_corners=True,
        loss_decode=dict(type='ScaleInvariantLoss', lamb=0.85, use_sqrt=True, scale=10.0,
                         reduction='batch', loss_name='loss_silog')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
