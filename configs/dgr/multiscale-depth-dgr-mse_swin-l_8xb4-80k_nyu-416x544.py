# Table 4, first row: Swin-L + DGRNeck trained with the MSE loss only (Eq. 20).
_base_ = ['./multiscale-depth-dgr_swin-l_8xb4-80k_nyu-416x544.py']
model = dict(decode_head=dict(loss_decode=[dict(type='DepthMSELoss')]))
