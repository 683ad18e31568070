# Ablation pair, neck placement: the synthetic SegFormer MiT-b0 depth network with a DGRNeck
# (Sec. 3.2) on all four levels between the encoder and the head. Compare with
# segformer_dgr-backbone_mit-b0_synthetic-nyu.py (same DGR blocks inside the encoder).
_base_ = ['../../synthetic/segformer-depth_mit-b0_2xb4-2k_synthetic-nyu.py']
model = dict(
    neck=dict(
        type='DGRNeck',
        in_channels=[32, 64, 160, 256],
        levels=None,
        reduction=4,
        rank=8,
        norm_cfg={{_base_.norm_cfg}},
        zero_init=True))
