# DepthFormer of Agarwal & Arora (ICIP'22, ref. [2]; the NYU row of Table 2): SegFormer MiT-b4
# encoder (drop path 0.1) + U-Net decoder with transposed-conv upsampling (1/2 resolution, 128
# channels) + Transbins adaptive bins (AdaBins mini-ViT: 256 bins, patch 16, embedding 128,
# 4 layers, 1500 positions, 'linear' width norm), trained with SILog
# 10 * sqrt(Var(g) + 0.5 mean(g)^2) over the pooled batch + 0.1 * bin chamfer loss, as in
# ashutosh1807/Depthformer (models/unet_adaptive_bins.py, loss.py, args_train_*.txt).
_base_ = ['./multiscale-depth_mit-b0.py']
model = dict(
    backbone=dict(
        # mmseg's MiT with SegFormer's own LayerNorm eps: 1e-5 (PyTorch's default) in the patch
        # embeddings and after the attention's spatial reduction, 1e-6 elsewhere
        type='SegFormerMiT',
        patch_norm_eps=1e-5,
        sr_norm_eps=1e-5,
        embed_dims=64,
        num_layers=[3, 8, 27, 3],
        num_heads=[1, 2, 5, 8],
        drop_path_rate=0.1,
        init_cfg=dict(checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/'
                      'pretrain/segformer/mit_b4_20220624-d588d980.pth')),
    decode_head=dict(
        _delete_=True,
        type='DepthFormerTransbinsHead',
        in_channels=[64, 128, 320, 512],
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
            max_patches=1500,
            # the range-attention maps are not used by this model; small inputs (< 129
            # patches of the 1/2-resolution map) get zero extra queries instead of an error
            pad_queries=True),
        norm_cfg=dict(type='SyncBN', requires_grad=True),  # the official run converts to SyncBN
        act_cfg=dict(type='LeakyReLU', negative_slope=0.01),
        align_corners=True,
        min_depth=1e-3,
        max_depth=10.0,
        loss_decode=dict(type='ScaleInvariantLoss', lamb=0.5, use_sqrt=True, scale=10.0,
                         reduction='batch', loss_name='loss_silog'),
        loss_bins=dict(type='BinsChamferLoss', loss_weight=0.1)))
# conv3x3 of the mini-ViT feeds only the (unused) range-attention maps: no gradient reaches it,
# so DDP must allow unused parameters (the official DDP sets find_unused_parameters=True too)
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
