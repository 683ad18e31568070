# Swin-T synthetic baseline + DGRNeck on all four levels, baseline (Hu et al.) loss.
_base_ = ['../multiscale_depth/multiscale-depth_swin-t_2xb4-2k_synthetic-nyu-96x128.py']
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}))
