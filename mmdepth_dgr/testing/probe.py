"""Tiny configs of the sparse-pixel probe tests: the data preprocessor of the depth networks,
a small depth network standing for N and a small mask generator G."""

#: ImageNet mean / std of the depth networks' data preprocessor (RGB order).
MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
PREPROCESSOR = dict(type='SegDataPreProcessor', mean=MEAN, std=STD, bgr_to_rgb=True, pad_val=0,
                    seg_pad_val=0, size_divisor=32)
BN = dict(type='BN', requires_grad=True)
#: A tiny DepthEstimator (ResNet-18 layout at width 8, BN everywhere) standing for N.
TINY_TARGET = dict(
    type='DepthEstimator',
    data_preprocessor=PREPROCESSOR,
    backbone=dict(type='ResNet', depth=18, base_channels=8, stem_channels=8, num_stages=4,
                  out_indices=(0, 1, 2, 3), norm_cfg=BN),
    decode_head=dict(type='MultiScaleDepthHead', in_channels=[8, 16, 32, 64],
                     in_index=(0, 1, 2, 3), channels=16, num_upsample=2, norm_cfg=BN,
                     min_depth=1e-3, max_depth=10.0, depth_act='sigmoid',
                     loss_decode=dict(type='HuDepthLoss')),
    test_cfg=dict(mode='whole'))
#: A small MaskNet (G).
SMALL_G = dict(type='MaskNet', base_channels=4, num_stages=3, norm_cfg=BN)
