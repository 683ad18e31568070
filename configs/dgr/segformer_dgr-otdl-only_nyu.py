# Table 4, second row: SegFormer MiT-b2 + DGRNeck trained with the OTDL loss only (Eq. 19).
_base_ = ['./segformer_dgr_nyu.py']
model = dict(decode_head=dict(loss_decode=[dict(type='OTDLLoss', loss_weight=1.0)]))
