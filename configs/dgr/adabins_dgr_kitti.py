# AdaBins + DGR + OTDL on KITTI (Table 3, "Adabins + DGR"); same design as adabins_dgr_nyu.py:
# DGRNeck on all five encoder outputs (reduction 32), MSE + OTDL (Eq. 21, lambda = 0.1) plus
# AdaBins' 0.1 chamfer bin loss, baseline data/schedule.
# tools/dist_train.sh configs/dgr/adabins_dgr_kitti.py 4
_base_ = ['../adabins/adabins_efficientnet-b5_kitti.py']
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              reduction=32, norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
