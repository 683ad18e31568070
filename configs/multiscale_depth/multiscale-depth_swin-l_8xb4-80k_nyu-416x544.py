# Swin-L (22k, w12) depth network on NYU-Depth-v2: the Swin baseline that
# configs/dgr/multiscale-depth-{dgr,otdl,dgr-otdl,dgr-mse,dgr-otdl-only}_swin-l_* add DGR and OTDL
# to. 416x544 crops, Hu et al. loss, Sec. 4 optimiser, 8 GPUs x 4 images.
_base_ = [
    '../_base_/models/multiscale-depth_swin-l.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(channels=256, max_depth=10.0))
