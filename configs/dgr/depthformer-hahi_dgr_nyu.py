# Li et al.'s DepthFormer + DGR on NYU-Depth-v2 (Table 2's DepthFormer rows are the ICIP'22
# model, see depthformer_dgr_nyu.py): DGRNeck on the four Swin-L levels before the HAHI neck,
# loss of Eq. 21 (MSE + 0.1 * OTDL); the rest as the baseline.
# tools/dist_train.sh configs/dgr/depthformer-hahi_dgr_nyu.py 4
_base_ = ['../depthformer/depthformer-hahi_swin-l_nyu.py']
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
