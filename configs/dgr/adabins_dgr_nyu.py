# AdaBins + DGR + OTDL on NYU-Depth-v2 (Table 2, "Adabins + DGR"): a DGRNeck refines all five
# encoder outputs (4 skips and the 1/32 head conv; channel-attention reduction 32 keeps the
# 2048-channel level's block small: +1.4 % parameters in all), and the depth loss is Eq. 21,
# MSE + lambda * OTDL (lambda = 0.1, as the project's other DGR configs), in place of SILog.
# AdaBins' bin-centre chamfer loss (weight 0.1) is kept: it is what trains the adaptive bins.
# Same data, schedule and 4x4 batch as the baseline. A converted official checkpoint
# (tools/model_converters/adabins2mmdepth.py) can start it: --cfg-options load_from=CKPT
# (the DGR blocks are zero-initialised, so the loaded model starts as the baseline).
# tools/dist_train.sh configs/dgr/adabins_dgr_nyu.py 4
_base_ = ['../adabins/adabins_efficientnet-b5_nyu.py']
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              reduction=32, norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
