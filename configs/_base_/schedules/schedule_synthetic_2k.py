# The synthetic schedule of schedule_synthetic_1200it.py stretched to 2000 iterations (the
# README's main job and the DGR/OTDL comparison on the generated indoor data).
_base_ = ['./schedule_synthetic_1200it.py']
max_iters = 2000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=50, by_epoch=False),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=50, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
