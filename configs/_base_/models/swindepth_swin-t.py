# Swin-Depth (Cheng, Zhang and Tang, IEEE Sensors J. 2021; reference [6] of the DGR paper),
# reconstructed (no code or weights were released; see configs/swindepth/README.md): Swin-T encoder
# (ImageNet-1k, window 7; the project's multiscale-depth_swin-t base) + SwinDepthHead (multi-scale
# fusion attention at 1/32, U-Net decoder to full resolution, max_depth * sigmoid). Loss: BTS SILog
# over the pooled batch.
_base_ = ['./multiscale-depth_swin-t.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    decode_head=dict(
        _delete_=True,
        type='SwinDepthHead',
        in_channels=[96, 192, 384, 768],
        in_index=(0, 1, 2, 3),
        channels=512,
        decoder_channels=(256, 128, 64, 32, 16),
        num_extra_upsample=2,
        attention_reduction=16,
        norm_cfg=norm_cfg,
        min_depth=1e-3,
        max_depth=10.0,
        depth_act='sigmoid',
        loss_decode=dict(type='ScaleInvariantLoss', lamb=0.85, use_sqrt=True, scale=10.0,
                         reduction='batch', loss_name='loss_silog')))
