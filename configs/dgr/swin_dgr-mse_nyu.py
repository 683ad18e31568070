# Table 4, first row: Swin-L + DGRNeck trained with the MSE loss only (Eq. 20).
_base_ = ['./swin_dgr_nyu.py']
model = dict(decode_head=dict(loss_decode=[dict(type='DepthMSELoss')]))
