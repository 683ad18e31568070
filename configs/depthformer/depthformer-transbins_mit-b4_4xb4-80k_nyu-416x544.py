# Agarwal & Arora's ICIP'22 DepthFormer (MiT-b4, U-Net decoder, Transbins adaptive bins) on
# NYU-Depth-v2: the DepthFormer baseline of Table 2 (published: Abs Rel 0.100, RMSE 0.345,
# d1 0.911; no log10 reported).
# Recipe: the DGR paper's Sec. 4 (AdamW betas (0.9, 0.999), eps 1e-6, weight decay 0.01 encoder /
# 0 decoder, poly lr 1e-4 -> 1e-5 power 0.9, 80k iterations, 416x544 crops); the model's own for
# the rest: SILog (lambda 0.5, x10, pooled batch) + 0.1 chamfer bin loss, bins in [1e-3, 10] m,
# total batch 16 (4 GPUs x 4). (Its own optimiser: AdamW, weight decay 0.1, one-cycle lr 1e-4
# with the encoder at 1/10, 25 epochs, gradient clipping 0.1, 448x576 crops.)
# tools/dist_train.sh configs/depthformer/depthformer-transbins_mit-b4_4xb4-80k_nyu-416x544.py 4
_base_ = [
    '../_base_/models/depthformer-transbins_mit-b4.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(min_depth=1e-3, max_depth=10.0))
train_dataloader = dict(batch_size=4)
auto_scale_lr = dict(enable=False, base_batch_size=16)
