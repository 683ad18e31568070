# AdaBins (EfficientNet-B5 + mini-ViT bins, SILog + 0.1 chamfer) on the KITTI Eigen split: KB crop,
# 352x704 random crops, bins in [1e-3, 80] m. Training recipe of the DGR paper (Sec. 4), as in
# adabins_efficientnet-b5_4xb4-80k_nyu-416x544.py; 4 GPUs x 4 images = AdaBins' batch of 16.
# tools/dist_train.sh configs/adabins/adabins_efficientnet-b5_4xb4-80k_kitti-352x704.py 4
_base_ = [
    '../_base_/models/adabins_efficientnet-b5.py', '../_base_/datasets/kitti.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(min_depth=1e-3, max_depth=80.0))
