# Ablation pair, in-backbone placement (the paper's "after each encoder block"): the same DGR
# blocks as multiscale-depth-dgr-neck_mit-b0_2xb4-2k_synthetic-nyu-96x128.py, but each refined
# stage output of MiT-b0 also feeds the next stage (DGRBackbone). Stage channels come from the
# backbone. Baseline (Hu et al.) loss.
_base_ = ['../multiscale_depth/multiscale-depth_mit-b0_2xb4-2k_synthetic-nyu-96x128.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='DGRBackbone',
        backbone={{_base_.model.backbone}},
        dgr=dict(levels=None, reduction=4, rank=8, norm_cfg={{_base_.norm_cfg}},
                 zero_init=True)))
