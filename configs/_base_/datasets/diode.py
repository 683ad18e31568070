# DIODE indoor (Vasiljevic et al. 2019), evaluation only here: the 325 images of the
# validation split's val/indoors, read from the release under data/diode (README "DIODE").
# Conventions of ZoeDepth (zoedepth/utils/config.py diode_indoor): the network sees the
# 1024x768 image resized to 640x480, the prediction is resized back (DepthEstimator resizes it
# to ori_shape) and compared with the 1024x768 GT on depths in (1e-3, 10) m inside the fixed
# pixel window [45:471, 41:601] (ZoeDepth's eigen_crop, unscaled). Unlike ZoeDepth, the GT is
# also masked with DIODE's *_depth_mask.npy (LoadDIODEDepth(apply_mask=False) to skip it).
# The keys are prefixed diode_ so a model config can inherit this file next to its NYU config
# (mmengine forbids a key in two bases) and take test_dataloader / test_evaluator:
#     test_dataloader = {{_base_.diode_test_dataloader}}
#     test_evaluator = {{_base_.diode_test_evaluator}}
diode_data_root = 'data/diode'
# bts_depth.py's depth_meta_keys plus the camera
diode_meta_keys = ('img_path', 'rel_img_path', 'depth_map_path', 'ori_shape', 'img_shape',
                   'pad_shape', 'scale_factor', 'flip', 'flip_direction', 'focal',
                   'depth_scale', 'min_depth', 'max_depth', 'eval_crop', 'kb_crop_offset',
                   'uncropped_shape', 'calib')
diode_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(640, 480), keep_ratio=True),  # 1024x768 -> 640x480, image only
    dict(type='LoadDIODEDepth', apply_mask=True),  # after the resize: GT stays 1024x768
    # GT outside NYU's Eigen window [45:471, 41:601] (the transform's default) -> invalid
    dict(type='MaskDepthOutsideWindow'),
    dict(type='PackSegInputs', meta_keys=diode_meta_keys),
]
diode_test_dataloader = dict(
    _delete_=True,  # replaces the NYU test loader of the model config it is put in
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='DIODEDataset',
        data_root=diode_data_root,
        data_prefix=dict(img_path='val/indoors'),
        test_mode=True,
        pipeline=diode_test_pipeline))
diode_test_evaluator = dict(
    _delete_=True,
    type='DepthEvalMetric',
    min_depth_eval=1e-3,
    max_depth_eval=10.0,
    crop=None,  # the window is applied to the GT by MaskDepthOutsideWindow
    depth_scale=1000.0)
