# Swin-L + DGRNeck trained with MSE + lambda * OTDL
# (Eq. 21, lambda = 0.1): the paper's full method, Table 4's third row.
_base_ = ['./swin_dgr_kitti.py']
model = dict(
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
