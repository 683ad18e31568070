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
