# Table 4, first row: SegFormer MiT-b2 + DGRNeck trained with the MSE loss only (Eq. 20).
_base_ = ['./segformer_dgr_nyu.py']
model = dict(decode_head=dict(loss_decode=[dict(type='DepthMSELoss')]))
