# TransDepth R50+ViT-B/16 on KITTI (Eigen split, Table 3 baseline row "TransDepth [30]").
# Data: BTS recipe, KB crop, 352x704 crops (the official arguments_train_eigen.txt), depth cap
# 80 m. Optimiser: Sec. 4 recipe as for NYU. Length: TransDepth's own, 50 epochs at batch 16 =
# 50 * ceil(23157 / 16) = 72400 iterations; run with 4 GPUs x 4 images.
_base_ = [
    '../_base_/models/transdepth_r50-vit-b16.py', '../_base_/datasets/kitti.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
num_iters = 72400
model = dict(decode_head=dict(max_depth=80.0))
train_dataloader = dict(batch_size=4)
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'decode_head.reassemble': dict(decay_mult=1.0)}))
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=num_iters, by_epoch=False),
]
train_cfg = dict(max_iters=num_iters, val_interval=num_iters // 10)
default_hooks = dict(checkpoint=dict(interval=num_iters // 10))
