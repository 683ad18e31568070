# Table 4, second row: PixelFormer + DGR trained with the OTDL loss only (Eq. 19, weight 1).
_base_ = ['./pixelformer-dgr_swin-l_4xb2-80k_nyu-416x544.py']
model = dict(decode_head=dict(loss_decode=[dict(type='OTDLLoss', loss_weight=1.0)]))
