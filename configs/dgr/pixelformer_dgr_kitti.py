# PixelFormer + DGR on the KITTI Eigen split: Table 3's "PixelFormer + DGR" row (0.049 / 2.041 /
# 0.075 / 0.979). DGRNeck on the four Swin-L levels, loss of Eq. 21 (MSE + 0.1 * OTDL); the rest
# as the baseline (Sec. 4 recipe, KB crop, 352x1120 crops, loss on ground truth > 1 m).
# tools/dist_train.sh configs/dgr/pixelformer_dgr_kitti.py 4
_base_ = ['../pixelformer/pixelformer_swin-l_kitti.py']
model = dict(
    neck=dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
              norm_cfg={{_base_.norm_cfg}}),
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
