# Swin-Depth + DGR on KITTI (Eigen): Table 3's "SwinDepth + DGR" row (0.098 / 4.485 / 0.151 /
# 0.894). DGRNeck on the four Swin levels (reduction 8, see swindepth_dgr_nyu.py), loss
# MSE + 0.1 * OTDL (Eq. 21), otherwise the KITTI baseline (Sec. 4 recipe, KB crop, 352x704,
# 4 GPUs x 4).
# tools/dist_train.sh configs/dgr/swindepth_dgr_kitti.py 4
_base_ = ['../swindepth/swindepth_swin-t_kitti.py']
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              reduction=8, norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
