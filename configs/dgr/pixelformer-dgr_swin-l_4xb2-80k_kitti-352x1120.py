# PixelFormer + DGR on the KITTI Eigen split: Table 3's "PixelFormer + DGR" row (0.049 / 2.041 /
# 0.075 / 0.979). DGRNeck on the four Swin-L levels, loss MSE + lambda * OTDL (Eq. 21, lambda_OTDL
# of _base_/losses/mse-otdl.py); the rest as the baseline (Sec. 4 recipe, KB crop, 352x1120 crops,
# loss on ground truth > 1 m).
# tools/dist_train.sh configs/dgr/pixelformer-dgr_swin-l_4xb2-80k_kitti-352x1120.py 4
_base_ = [
    '../pixelformer/pixelformer_swin-l_4xb2-80k_kitti-352x1120.py', '../_base_/losses/mse-otdl.py'
]
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
