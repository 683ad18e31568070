# Agarwal & Arora's ICIP'22 DepthFormer (MiT-b4, U-Net decoder, Transbins adaptive bins) on the
# KITTI Eigen split (published: Abs Rel 0.058, RMSE 2.285, RMSE log 0.087, d1 0.967; Table 3's KITTI
# DepthFormer row is Li et al.'s model, see depthformer-hahi_swin-l_4xb4-80k_kitti-352x704.py).
# Recipe: the DGR paper's Sec. 4 optimiser and schedule (see
# depthformer-transbins_mit-b4_4xb4-80k_nyu-416x544.py) with the KB crop and 352x704 random crops
# (also the model's own); bins in [1e-3, 80] m; total batch 16 (4 GPUs x 4).
# tools/dist_train.sh configs/depthformer/depthformer-transbins_mit-b4_4xb4-80k_kitti-352x704.py 4
_base_ = [
    '../_base_/models/depthformer-transbins_mit-b4.py', '../_base_/datasets/kitti.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(min_depth=1e-3, max_depth=80.0))
train_dataloader = dict(batch_size=4)
auto_scale_lr = dict(enable=False, base_batch_size=16)
