# ResNet-50 encoder + the same multi-scale regression head and Hu et al. loss: the paper's
# CNN target network (Sec. 4, "Models"; He et al. [12]).
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
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 2),
        dilations=(1, 1, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    decode_head=dict(
        type='MultiScaleDepthHead',
        in_channels=[256, 512, 1024, 2048],
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
