# PixelFormer (Swin-L w7 22k, SAM decoder, BCP bins) on NYU-Depth-v2, the baseline of Table 2
# (published: Abs Rel 0.090, RMSE 0.322, log10 0.039, d1 0.929).
# Recipe: the DGR paper's Sec. 4 (AdamW betas (0.9, 0.999), eps 1e-6, weight decay 0.01 encoder /
# 0 decoder, poly lr 1e-4 -> 1e-5 power 0.9, 80k iterations, 416x544 crops), so that the baseline
# and +DGR rows train alike; PixelFormer's own for the rest: SILog loss (lambda 0.85, x10, pooled
# batch), bins from 0.1 m, total batch 8 (4 GPUs x 2). (PixelFormer's own optimiser: Adam, lr
# 4e-5 -> 4e-6 poly 0.9, 20 epochs, 480x640 inputs with the border depth masked.)
# tools/dist_train.sh configs/pixelformer/pixelformer_swin-l_4xb2-80k_nyu-416x544.py 4
_base_ = [
    '../_base_/models/pixelformer_swin-l.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(min_depth=0.1, max_depth=10.0))
train_dataloader = dict(batch_size=2)
auto_scale_lr = dict(enable=False, base_batch_size=8)
