# SUN RGB-D (Song et al., CVPR 2015), evaluation only here: the 5050-image official test set
# listed in the Monocular-Depth-Estimation-Toolbox's splits/SUNRGBD_val_splits.txt, read from
# the release under data/sunrgbd (README "SUN RGB-D"). Models trained on NYU-Depth-v2 see the
# images at their own sizes (no resize); depth PNGs are bit-rotated millimetres
# (LoadSUNRGBDDepth). Evaluation as both toolboxes crop (the fixed pixel window
# [45:471, 41:601] of every GT, whatever its size) and as ZoeDepth caps: depths in
# (1e-3, 8) m; the toolbox instead clamps GT and predictions beyond 8 m to 8 m.
# The keys are prefixed sunrgbd_ so a model config can inherit this file next to its NYU
# config (mmengine forbids a key in two bases) and take test_dataloader / test_evaluator:
#     test_dataloader = {{_base_.sunrgbd_test_dataloader}}
#     test_evaluator = {{_base_.sunrgbd_test_evaluator}}
sunrgbd_data_root = 'data/sunrgbd'
# bts_depth.py's depth_meta_keys plus the frame's intrinsics
sunrgbd_meta_keys = ('img_path', 'rel_img_path', 'depth_map_path', 'ori_shape', 'img_shape',
                     'pad_shape', 'scale_factor', 'flip', 'flip_direction', 'focal',
                     'depth_scale', 'min_depth', 'max_depth', 'eval_crop', 'kb_crop_offset',
                     'uncropped_shape', 'calib')
sunrgbd_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadSUNRGBDDepth'),  # mm = (v >> 3) | (v << 13) in 16 bits, / 1000
    # GT outside NYU's Eigen window [45:471, 41:601] (the transform's default) -> invalid
    dict(type='MaskDepthOutsideWindow'),
    dict(type='PackSegInputs', meta_keys=sunrgbd_meta_keys),
]
# --tta: the test pipeline's two flip views (the Monocular-Depth-Estimation-Toolbox evaluates
# SUN RGB-D with flip averaging; without --tta the numbers are of the un-flipped image only).
# The depth is loaded after the flip, so both views carry the un-flipped GT (as nyu.py).
sunrgbd_tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='RandomFlip', prob=0., direction='horizontal'),
             dict(type='RandomFlip', prob=1., direction='horizontal')],
            [dict(type='LoadSUNRGBDDepth')],
            [dict(type='MaskDepthOutsideWindow')],
            [dict(type='PackSegInputs', meta_keys=sunrgbd_meta_keys)],
        ]),
]
sunrgbd_test_dataloader = dict(
    _delete_=True,  # replaces the NYU test loader of the model config it is put in
    batch_size=1,  # the images differ in size
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SUNRGBDDataset',
        data_root=sunrgbd_data_root,
        ann_file='SUNRGBD_val_splits.txt',
        data_prefix=dict(img_path='', depth_map_path=''),
        read_intrinsics=True,
        test_mode=True,
        pipeline=sunrgbd_test_pipeline))
sunrgbd_test_evaluator = dict(
    _delete_=True,
    type='DepthEvalMetric',
    min_depth_eval=1e-3,
    max_depth_eval=8.0,
    crop=None,  # the window is applied to the GT by MaskDepthOutsideWindow
    depth_scale=1000.0)
# Sizes that are no multiple of 32 (730x530, 681x531, 561x427): the network input is padded
# at test time and the padding cut from the prediction (mmseg's SegDataPreProcessor test_cfg).
sunrgbd_data_preprocessor = dict(test_cfg=dict(size_divisor=32))
