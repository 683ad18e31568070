# PixelFormer + DGR on NYU-Depth-v2: Table 2's "PixelFormer + DGR" row (0.086 / 0.310 / 0.036 /
# 0.937). DGRNeck (Sec. 3.2) on the four Swin-L levels (identity at initialisation), loss of
# Eq. 21, MSE + lambda * OTDL with lambda = 0.1 (the paper does not give lambda): Table 4 shows
# this row was trained with MSE + OTDL, not with PixelFormer's SILog. Everything else as the
# baseline (Sec. 4 recipe, 416x544 crops, 4 GPUs x 2).
# tools/dist_train.sh configs/dgr/pixelformer_dgr_nyu.py 4
_base_ = ['../pixelformer/pixelformer_swin-l_nyu.py']
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
