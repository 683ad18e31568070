# AdaBins + DGR + OTDL on KITTI (Table 3, "Adabins + DGR"); same design as the NYU config
# (adabins-dgr_efficientnet-b5_4xb4-80k_nyu-416x544.py): DGRNeck on all five encoder outputs
# (reduction 32), MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py)
# plus AdaBins' 0.1 chamfer bin loss, baseline data/schedule.
# tools/dist_train.sh configs/dgr/adabins-dgr_efficientnet-b5_4xb4-80k_kitti-352x704.py 4
_base_ = [
    '../adabins/adabins_efficientnet-b5_4xb4-80k_kitti-352x704.py', '../_base_/losses/mse-otdl.py'
]
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              reduction=32, norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
