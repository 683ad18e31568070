# AdaBins + DGR + OTDL on NYU-Depth-v2 (Table 2, "Adabins + DGR"): a DGRNeck refines all five
# encoder outputs (4 skips and the 1/32 head conv; channel-attention reduction 32 keeps the
# 2048-channel level's block small: +1.4 % parameters in all), and the depth loss is
# MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py), in place of SILog.
# AdaBins' bin-centre chamfer loss (weight 0.1) is kept: it is what trains the adaptive bins.
# Same data, schedule and 4x4 batch as the baseline. A converted official checkpoint
# (tools/model_converters/adabins2mmdepth.py) can start it: --cfg-options load_from=CKPT
# (the DGR blocks are zero-initialised, so the loaded model starts as the baseline).
# tools/dist_train.sh configs/dgr/adabins-dgr_efficientnet-b5_4xb4-80k_nyu-416x544.py 4
_base_ = [
    '../adabins/adabins_efficientnet-b5_4xb4-80k_nyu-416x544.py', '../_base_/losses/mse-otdl.py'
]
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              reduction=32, norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
