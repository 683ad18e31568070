# Agarwal & Arora's ICIP'22 DepthFormer + DGR on the KITTI Eigen split (Table 3's DepthFormer
# rows are Li et al.'s model, see depthformer_dgr_kitti.py): DGRNeck on the four MiT-b4 levels,
# depth loss MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py) plus the
# bins' chamfer loss; the rest as the baseline.
# tools/dist_train.sh configs/dgr/depthformer-transbins-dgr_mit-b4_4xb4-80k_kitti-352x704.py 4
_base_ = [
    '../depthformer/depthformer-transbins_mit-b4_4xb4-80k_kitti-352x704.py',
    '../_base_/losses/mse-otdl.py'
]
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
