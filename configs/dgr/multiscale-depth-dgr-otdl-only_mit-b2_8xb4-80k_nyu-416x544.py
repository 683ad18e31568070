# Table 4, second row: SegFormer MiT-b2 + DGRNeck trained with the OTDL loss only (Eq. 19,
# weight 1).
_base_ = ['./multiscale-depth-dgr_mit-b2_8xb4-80k_nyu-416x544.py']
model = dict(decode_head=dict(loss_decode=[dict(type='OTDLLoss', loss_weight=1.0)]))
