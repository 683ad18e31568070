# SegFormer (MiT-b0) encoder + multi-scale regression head, trained with the Hu et al. loss
# (Eq. 22): the paper's Transformer target network (Sec. 4, "Models"; Xie et al. [29]).
_base_ = ['./depth_estimator.py']
model = dict(
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
    decode_head=dict(in_channels=[32, 64, 160, 256]))
