# Swin-Depth + DGR on NYU-Depth-v2: Table 2's "SwinDepth + DGR" row (0.094 / 0.336 / 0.040 /
# 0.920). DGRNeck (Sec. 3.2, identity at initialisation) on the four Swin levels with a
# channel-attention reduction of 8 instead of the default 4 (at 4, the 768-channel level alone
# would add 1.0M parameters, +3.1% of this small Swin-T model; at 8 DGR adds +2.5%), loss
# MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py) (the paper does not
# give lambda). Everything else as the baseline (Sec. 4 recipe, 416x544, 4 GPUs x 4).
# tools/dist_train.sh configs/dgr/swindepth-dgr_swin-t_4xb4-80k_nyu-416x544.py 4
_base_ = ['../swindepth/swindepth_swin-t_4xb4-80k_nyu-416x544.py', '../_base_/losses/mse-otdl.py']
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              reduction=8, norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
