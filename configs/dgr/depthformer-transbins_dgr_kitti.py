# Agarwal & Arora's ICIP'22 DepthFormer + DGR on the KITTI Eigen split (Table 3's DepthFormer
# rows are Li et al.'s model, see depthformer_dgr_kitti.py): DGRNeck on the four MiT-b4 levels,
# Eq. 21 depth loss (MSE + 0.1 * OTDL) plus the bins' chamfer loss; the rest as the baseline.
# tools/dist_train.sh configs/dgr/depthformer-transbins_dgr_kitti.py 4
_base_ = ['../depthformer/depthformer-transbins_mit-b4_kitti.py']
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
