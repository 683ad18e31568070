# TransDepth + DGR on KITTI (Eigen): Table 3's "TransDepth + DGR" row (0.061 / 2.748 / 0.094 /
# 0.962). DGRNeck on the four encoder outputs, loss MSE + 0.1 * OTDL (Eq. 21), otherwise the
# KITTI baseline (Sec. 4 recipe, KB crop, 352x704, 4 GPUs x 4).
# tools/dist_train.sh configs/dgr/transdepth_dgr_kitti.py 4
_base_ = ['../transdepth/transdepth_r50-vit-b16_kitti.py']
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
