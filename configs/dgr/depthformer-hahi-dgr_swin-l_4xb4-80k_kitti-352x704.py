# Li et al.'s DepthFormer + DGR on the KITTI Eigen split: Table 3's "DepthFormer + DGR" row (0.050 /
# 2.124 / 0.074 / 0.979; also run as depthformer_dgr_kitti.py). A DGRNeck on the four Swin-L levels
# (Sec. 3.2: after the Transformer's encoder blocks; the conv-stem level passes through) runs before
# the HAHI neck; loss MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py); the
# rest as the baseline.
# tools/dist_train.sh configs/dgr/depthformer-hahi-dgr_swin-l_4xb4-80k_kitti-352x704.py 4
_base_ = [
    '../depthformer/depthformer-hahi_swin-l_4xb4-80k_kitti-352x704.py',
    '../_base_/losses/mse-otdl.py'
]
model = dict(
    neck=dict(
        _delete_=True,
        type='SequentialNeck',
        necks=[
            dict(type='DGRNeck', in_channels={{_base_.levels}}, levels=(1, 2, 3, 4),
                 norm_cfg={{_base_.norm_cfg}}),
            {{_base_.model.neck}},
        ]),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
