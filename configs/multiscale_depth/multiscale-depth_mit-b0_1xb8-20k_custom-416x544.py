# The SegFormer (MiT-b0, ImageNet weights) depth network on your own RGB-D data
# (_base_/datasets/custom.py: edit its data block, README "Train on your own RGB-D data in four
# steps"): 416x544 crops, Hu et al. loss, the Sec. 4 optimiser, one GPU x 8 images, 20k
# iterations with an evaluation and a checkpoint every 2k. The head's depth range is the data's.
_base_ = [
    '../_base_/models/multiscale-depth_mit-b0.py', '../_base_/datasets/custom.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
max_iters = 20000
model = dict(decode_head=dict(min_depth=_base_.min_depth, max_depth=_base_.max_depth))
train_dataloader = dict(batch_size=8)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
# Stops train.py / test.py before anything is read when a child config changes the depth range
# of the datasets but not of the head and the metrics (or the other way round); keys named.
custom_hooks = [dict(type='NonFiniteLossHook'), dict(type='DepthRangeCheckHook')]
