# TransDepth R50+ViT-B/16 on NYU-Depth-v2 (Table 2 baseline row "TransDepth [30]").
# Data: BTS recipe, 416x544 crops (the official arguments_train_nyu.txt). Optimiser: the DGR
# paper's Sec. 4 recipe (AdamW betas 0.9/0.999, eps 1e-6, weight decay 0.01 on the encoder and 0
# on the decoder, poly lr 1e-4 -> 1e-5, power 0.9); the official run differs only in Adam eps
# (1e-3). The reassembling convs get the encoder's weight decay, as in the official code where
# they live in the encoder. Length: TransDepth's own, 50 epochs at batch 8 = 50 * ceil(24231 / 8)
# = 151450 iterations; run with 4 GPUs x 2 images: tools/dist_train.sh CONFIG 4.
_base_ = [
    '../_base_/models/transdepth_r50-vit-b16.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
num_iters = 151450
model = dict(decode_head=dict(max_depth=10.0))
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'decode_head.reassemble': dict(decay_mult=1.0)}))
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=num_iters, by_epoch=False),
]
train_cfg = dict(max_iters=num_iters, val_interval=num_iters // 10)
default_hooks = dict(checkpoint=dict(interval=num_iters // 10))
