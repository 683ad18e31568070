# Ablation pair, neck placement: the synthetic SegFormer MiT-b0 depth network with a DGRNeck
# (Sec. 3.2) on all four levels between the encoder and the head, baseline (Hu et al.) loss.
# Compare with multiscale-depth-dgr-backbone_mit-b0_2xb4-2k_synthetic-nyu-96x128.py (the same
# DGR blocks inside the encoder).
_base_ = ['../multiscale_depth/multiscale-depth_mit-b0_2xb4-2k_synthetic-nyu-96x128.py']
model = dict(
    neck=dict(
        type='DGRNeck',
        in_channels=[32, 64, 160, 256],
        levels=None,
        reduction=4,
        rank=8,
        norm_cfg={{_base_.norm_cfg}},
        zero_init=True))
