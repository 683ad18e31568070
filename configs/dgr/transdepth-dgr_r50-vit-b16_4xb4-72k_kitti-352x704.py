# TransDepth + DGR on KITTI (Eigen): Table 3's "TransDepth + DGR" row (0.061 / 2.748 / 0.094 /
# 0.962). DGRNeck on the four encoder outputs, loss MSE + lambda * OTDL (Eq. 21, lambda_OTDL of
# _base_/losses/mse-otdl.py), otherwise the KITTI baseline (Sec. 4 recipe, KB crop, 352x704, 4 GPUs
# x 4).
# tools/dist_train.sh configs/dgr/transdepth-dgr_r50-vit-b16_4xb4-72k_kitti-352x704.py 4
_base_ = [
    '../transdepth/transdepth_r50-vit-b16_4xb4-72k_kitti-352x704.py', '../_base_/losses/mse-otdl.py'
]
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
