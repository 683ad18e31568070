# Table 4, second row: PixelFormer + DGR trained with the OTDL loss only (Eq. 19).
_base_ = ['./pixelformer_dgr_nyu.py']
model = dict(decode_head=dict(loss_decode=[dict(type='OTDLLoss', loss_weight=1.0)]))
