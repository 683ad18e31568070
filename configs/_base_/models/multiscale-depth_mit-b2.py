# SegFormer MiT-b2 encoder + multi-scale regression head (Hu et al. loss): the full-size
# Transformer target network of the NYU/KITTI configs.
_base_ = ['./multiscale-depth_mit-b0.py']
model = dict(
    backbone=dict(
        embed_dims=64,
        num_layers=[3, 4, 6, 3],
        init_cfg=dict(checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/'
                      'pretrain/segformer/mit_b2_20220624-66e8bf70.pth')),
    decode_head=dict(in_channels=[64, 128, 320, 512], channels=256))
