# Swin-Depth + DGR on KITTI (Eigen): Table 3's "SwinDepth + DGR" row (0.098 / 4.485 / 0.151 /
# 0.894). DGRNeck on the four Swin levels (reduction 8, see the NYU config), loss
# MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py), otherwise the KITTI
# baseline (Sec. 4 recipe, KB crop, 352x704, 4 GPUs x 4).
# tools/dist_train.sh configs/dgr/swindepth-dgr_swin-t_4xb4-80k_kitti-352x704.py 4
_base_ = ['../swindepth/swindepth_swin-t_4xb4-80k_kitti-352x704.py', '../_base_/losses/mse-otdl.py']
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              reduction=8, norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
