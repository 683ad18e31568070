# PixelFormer + DGR on NYU-Depth-v2: Table 2's "PixelFormer + DGR" row (0.086 / 0.310 / 0.036 /
# 0.937) and Table 4's third row. DGRNeck (Sec. 3.2) on the four Swin-L levels (identity at
# initialisation), loss MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py)
# (the paper does not give lambda): Table 4 shows this row was trained with MSE + OTDL, not with
# PixelFormer's SILog. Everything else as the baseline (Sec. 4 recipe, 416x544 crops, 4 GPUs x 2).
# tools/dist_train.sh configs/dgr/pixelformer-dgr_swin-l_4xb2-80k_nyu-416x544.py 4
_base_ = [
    '../pixelformer/pixelformer_swin-l_4xb2-80k_nyu-416x544.py', '../_base_/losses/mse-otdl.py'
]
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
