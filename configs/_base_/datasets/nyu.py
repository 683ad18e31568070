# NYU-Depth-v2, BTS layout: data/nyu/sync (24231 training frames), data/nyu/official_splits/test
# (654 test images) and the split files in data/nyu/splits. BTS training recipe: white-border
# crop, rotation +-2.5 deg, flip, random 416x544 crop, gamma/brightness/colour augmentation.
_base_ = ['./bts_depth.py']
dataset_type = 'NYUDepthDataset'
data_root = 'data/nyu'
crop_size = (416, 544)
max_depth = 10.0
depth_meta_keys = {{_base_.depth_meta_keys}}
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthMap', depth_rescale_factor=1e-3),
    dict(type='NYUBorderCrop'),
    dict(type='DepthRandomRotate', max_degree=2.5),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='DepthColorAug', prob=0.5, brightness_range=(0.75, 1.25)),
    dict(type='PackSegInputs', meta_keys=depth_meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthMap', depth_rescale_factor=1e-3),
    dict(type='PackSegInputs', meta_keys=depth_meta_keys),
]
# test_pipeline's two flip views (--tta): the depth is loaded after the flip, so every view's
# ground truth is the un-flipped one.
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            {{_base_.tta_flip_views}},
            [dict(type='LoadDepthMap', depth_rescale_factor=1e-3)],
            [dict(type='PackSegInputs', meta_keys=depth_meta_keys)],
        ]),
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='splits/nyu_train.txt',
        data_prefix=dict(img_path='sync', depth_map_path='sync'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='splits/nyu_test.txt',
        data_prefix=dict(img_path='official_splits/test', depth_map_path='official_splits/test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthEvalMetric', min_depth_eval=1e-3, max_depth_eval=max_depth,
                     crop='nyu', depth_scale=1000.0)
test_evaluator = val_evaluator
