# SegFormer MiT-b2 baseline + DGRNeck (Sec. 3.2) on all four encoder levels, same loss.
_base_ = ['../multiscale_depth/multiscale-depth_mit-b2_8xb4-80k_nyu-416x544.py']
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}))
