# TransDepth + DGR on NYU-Depth-v2: Table 2's "TransDepth + DGR" row (0.101 / 0.348 / 0.043 /
# 0.911). DGRNeck (Sec. 3.2, identity at initialisation) on the four encoder outputs the head
# reads (R50 maps at 1/2, 1/4, 1/8 and the ViT map at 1/16), loss
# MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py) (the paper does not give
# lambda; Table 4 shows the "+ DGR" rows were trained with MSE + OTDL). Everything else as the
# baseline (Sec. 4 recipe, 416x544, 4 GPUs x 2).
# tools/dist_train.sh configs/dgr/transdepth-dgr_r50-vit-b16_4xb2-151k_nyu-416x544.py 4
_base_ = [
    '../transdepth/transdepth_r50-vit-b16_4xb2-151k_nyu-416x544.py', '../_base_/losses/mse-otdl.py'
]
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
