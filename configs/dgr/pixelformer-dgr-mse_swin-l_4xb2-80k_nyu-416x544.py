# Table 4, first row: PixelFormer + DGR trained with the MSE loss only (Eq. 20).
_base_ = ['./pixelformer-dgr_swin-l_4xb2-80k_nyu-416x544.py']
model = dict(decode_head=dict(loss_decode=[dict(type='DepthMSELoss')]))
