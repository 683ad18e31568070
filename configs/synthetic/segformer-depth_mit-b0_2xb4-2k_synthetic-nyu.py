# The README's main job: the synthetic SegFormer (MiT-b0) depth network trained for 2000
# iterations (2 CPU processes x 4 images) on 800 generated 96x128 NYU-like frames from 200 rooms
# (tools/run_main_job.sh); measured abs_rel <= 0.5x the constant-mean-depth predictor.
_base_ = ['./segformer-depth_mit-b0_2xb4-1200it_synthetic-nyu.py']
max_iters = 2000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=50, by_epoch=False),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=50, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
