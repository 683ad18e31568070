# KITTI Eigen split, BTS layout: raw images under data/kitti/raw/<date>/<drive>/image_0x/data,
# annotated depth under data/kitti/gt/<drive>/proj_depth/groundtruth/image_0x, split files in
# data/kitti/splits. BTS recipe: KB crop 352x1216, rotation +-1 deg, random 352x704 crop, flip,
# colour augmentation; evaluation in (1e-3, 80) m inside the Garg crop.
_base_ = ['./bts_depth.py']
dataset_type = 'KITTIDepthDataset'
data_root = 'data/kitti'
crop_size = (352, 704)
max_depth = 80.0
depth_meta_keys = {{_base_.depth_meta_keys}}
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthMap', depth_rescale_factor=1 / 256.0),
    dict(type='KBCrop'),
    dict(type='DepthRandomRotate', max_degree=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='DepthColorAug', prob=0.5, brightness_range=(0.9, 1.1)),
    dict(type='PackSegInputs', meta_keys=depth_meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthMap', depth_rescale_factor=1 / 256.0),
    dict(type='KBCrop'),
    dict(type='PackSegInputs', meta_keys=depth_meta_keys),
]
# test_pipeline's two flip views (--tta). The KB crop comes before the flip (its centred window
# is not mirror-symmetric on odd-width frames, e.g. 1241 px), so the depth it crops is loaded
# before the flip too and is flipped in the flipped view: DepthTTAModel keeps the ground truth
# of the un-flipped view.
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthMap', depth_rescale_factor=1 / 256.0),
    dict(type='KBCrop'),
    dict(
        type='TestTimeAug',
        transforms=[
            {{_base_.tta_flip_views}},
            [dict(type='PackSegInputs', meta_keys=depth_meta_keys)],
        ]),
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='splits/kitti_eigen_train.txt',
        data_prefix=dict(img_path='raw', depth_map_path='gt'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='splits/kitti_eigen_test.txt',
        data_prefix=dict(img_path='raw', depth_map_path='gt'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthEvalMetric', min_depth_eval=1e-3, max_depth_eval=max_depth,
                     crop='garg', depth_scale=256.0)
test_evaluator = val_evaluator
