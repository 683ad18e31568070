# Li et al.'s DepthFormer (Swin-L w7 22k + conv stem, HAHI neck, DenseDepth decoder) on the KITTI
# Eigen split: the DepthFormer baseline of Table 3 (published: Abs Rel 0.052, RMSE 2.143, RMSE log
# 0.079, d1 0.975). Recipe: the DGR paper's Sec. 4 optimiser and schedule (see
# depthformer-hahi_swin-l_4xb4-80k_nyu-416x544.py) with the KB crop and 352x704 random crops (also
# DepthFormer's); depth in [1e-3, 80] m; total batch 16 (4 GPUs x 4).
# tools/dist_train.sh configs/depthformer/depthformer-hahi_swin-l_4xb4-80k_kitti-352x704.py 4
_base_ = [
    '../_base_/models/depthformer-hahi_swin-l.py', '../_base_/datasets/kitti.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(min_depth=1e-3, max_depth=80.0))
train_dataloader = dict(batch_size=4)
auto_scale_lr = dict(enable=False, base_batch_size=16)
