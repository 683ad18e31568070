# Li et al.'s DepthFormer + DGR on the KITTI Eigen split: Table 3's "DepthFormer + DGR" row
# (0.050 / 2.124 / 0.074 / 0.979). A DGRNeck on the four Swin-L levels (Sec. 3.2: after the
# Transformer's encoder blocks; the conv-stem level passes through) runs before the HAHI neck;
# loss of Eq. 21, MSE + lambda * OTDL with lambda = 0.1; the rest as the baseline.
# tools/dist_train.sh configs/dgr/depthformer-hahi_dgr_kitti.py 4
_base_ = ['../depthformer/depthformer-hahi_swin-l_kitti.py']
model = dict(
    neck=dict(
        _delete_=True,
        type='SequentialNeck',
        necks=[
            dict(type='DGRNeck', in_channels={{_base_.levels}}, levels=(1, 2, 3, 4),
                 norm_cfg={{_base_.norm_cfg}}),
            {{_base_.model.neck}},
        ]),
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
