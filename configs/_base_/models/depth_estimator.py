# mmseg DepthEstimator with the plain multi-scale regression head and the Hu et al. loss
# (Eq. 22) that the paper trains its target networks with (Sec. 4, "Models"). The model
# configs next to this one add a backbone and set the head's in_channels.
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
    type='SlidingDepthEstimator',  # mmseg's DepthEstimator whose mode='slide' slides
    data_preprocessor=data_preprocessor,
    pretrained=None,
    decode_head=dict(
        type='MultiScaleDepthHead',
        in_index=(0, 1, 2, 3),
        channels=128,
        num_upsample=2,
        norm_cfg=norm_cfg,
        min_depth=1e-3,
        max_depth=10.0,
        depth_act='sigmoid',
        loss_decode=dict(type='HuDepthLoss')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))  # or mode='slide', crop_size=(h, w), stride=(h, w)
