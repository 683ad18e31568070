# Li et al.'s DepthFormer (Swin-L w7 22k + conv stem, HAHI neck, DenseDepth decoder) on
# NYU-Depth-v2 (published: Abs Rel 0.096, RMSE 0.339, log10 0.041, d1 0.921; Table 2's NYU
# DepthFormer row is the ICIP'22 model, see depthformer-transbins_mit-b4_4xb4-80k_nyu-416x544.py).
# Recipe: the DGR paper's Sec. 4 (AdamW betas (0.9, 0.999), eps 1e-6, weight decay 0.01 encoder /
# 0 decoder, poly lr 1e-4 -> 1e-5 power 0.9, 80k iterations, 416x544 crops); DepthFormer's own for
# the rest: SigLoss (lambda 0.85, no x10, pooled batch), depth in [1e-3, 10] m, total batch 16
# (4 GPUs x 4; the official run used 8 GPUs x 2). (Its own optimiser: AdamW lr 1e-4, weight decay
# 0.01, linear warm-up 12.8k iterations + cosine, gradient clipping 35, 38.4k iterations.)
# tools/dist_train.sh configs/depthformer/depthformer-hahi_swin-l_4xb4-80k_nyu-416x544.py 4
_base_ = [
    '../_base_/models/depthformer-hahi_swin-l.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(min_depth=1e-3, max_depth=10.0))
train_dataloader = dict(batch_size=4)
auto_scale_lr = dict(enable=False, base_batch_size=16)
