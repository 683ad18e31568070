# Short schedule for the generated data on CPU: 1200 iterations, warm-up then poly decay,
# evaluation and a checkpoint at the end.
_base_ = ['./schedule_poly_80k.py']
max_iters = 1200
optim_wrapper = dict(optimizer=dict(lr=6e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=50, by_epoch=False),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=50, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1, save_best=None),
    visualization=dict(interval=10))
# One seed for every synthetic run, so that runs compared with each other (e.g. the DGR/OTDL
# comparison) start from the same initialisation and see the same batches.
randomness = dict(seed=0)
