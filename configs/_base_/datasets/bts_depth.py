# What the BTS-layout depth datasets (nyu.py, kitti.py) share: the meta keys the depth
# transforms, metric and visualiser read, and the data loaders' sampling settings.
depth_meta_keys = ('img_path', 'rel_img_path', 'depth_map_path', 'ori_shape', 'img_shape',
                   'pad_shape', 'scale_factor', 'flip', 'flip_direction', 'focal',
                   'depth_scale', 'min_depth', 'max_depth', 'eval_crop', 'kb_crop_offset',
                   'uncropped_shape')
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(test_mode=True))
test_dataloader = val_dataloader
# Flip test-time augmentation (tools/test.py --tta, mmseg's too): the nyu.py / kitti.py
# tta_pipeline makes an un-flipped and a horizontally flipped view of each test image and
# DepthTTAModel averages N(I) and flip(N(flip(I))), the flip averaging of AdaBins' and
# PixelFormer's (NeWCRFs') official evaluation code.
tta_model = dict(type='DepthTTAModel')
# The two views of the TestTimeAug step of those tta_pipelines.
tta_flip_views = [dict(type='RandomFlip', prob=0., direction='horizontal'),
                  dict(type='RandomFlip', prob=1., direction='horizontal')]
