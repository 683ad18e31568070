# Agarwal & Arora's ICIP'22 DepthFormer + DGR on NYU-Depth-v2: Table 2's "DepthFormer + DGR"
# row (0.096 / 0.329 / - / 0.922). DGRNeck on the four MiT-b4 levels; depth loss
# MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py) in place of SILog, the
# bins' chamfer loss kept (it trains the bin centres, which the depth losses reach only through
# the pixel probabilities); the rest as the baseline.
# tools/dist_train.sh configs/dgr/depthformer-transbins-dgr_mit-b4_4xb4-80k_nyu-416x544.py 4
_base_ = [
    '../depthformer/depthformer-transbins_mit-b4_4xb4-80k_nyu-416x544.py',
    '../_base_/losses/mse-otdl.py'
]
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
