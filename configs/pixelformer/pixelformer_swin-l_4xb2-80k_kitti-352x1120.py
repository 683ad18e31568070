# PixelFormer (Swin-L w7 22k, SAM decoder, BCP bins) on the KITTI Eigen split, the baseline of Table
# 3 (published: Abs Rel 0.051, RMSE 2.081, RMSE log 0.077, d1 0.976). Recipe: the DGR paper's Sec. 4
# optimiser and schedule (see pixelformer_swin-l_4xb2-80k_nyu-416x544.py) with the KB crop;
# PixelFormer's own for the rest: 352x1120 random crops, bins in [0.1, 80] m, loss on ground truth
# deeper than 1 m (its KITTI mask), total batch 8 (4 GPUs x 2).
# tools/dist_train.sh configs/pixelformer/pixelformer_swin-l_4xb2-80k_kitti-352x1120.py 4
_base_ = [
    '../_base_/models/pixelformer_swin-l.py', '../_base_/datasets/kitti.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(min_depth=0.1, max_depth=80.0, loss_min_depth=1.0))
crop_size = (352, 1120)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthMap', depth_rescale_factor=1 / 256.0),
    dict(type='KBCrop'),
    dict(type='DepthRandomRotate', max_degree=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='DepthColorAug', prob=0.5, brightness_range=(0.9, 1.1)),
    dict(type='PackSegInputs', meta_keys={{_base_.depth_meta_keys}}),
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
auto_scale_lr = dict(enable=False, base_batch_size=8)
