# Li et al.'s DepthFormer + DGR on NYU-Depth-v2 (Table 2's DepthFormer rows are the ICIP'22 model,
# see depthformer-transbins-dgr_mit-b4_4xb4-80k_nyu-416x544.py): DGRNeck on the four Swin-L levels
# before the HAHI neck, loss MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py);
# the rest as the baseline.
# tools/dist_train.sh configs/dgr/depthformer-hahi-dgr_swin-l_4xb4-80k_nyu-416x544.py 4
_base_ = [
    '../depthformer/depthformer-hahi_swin-l_4xb4-80k_nyu-416x544.py', '../_base_/losses/mse-otdl.py'
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
