# Table 4, second row: Swin-L + DGRNeck trained with the OTDL loss only (Eq. 19, weight 1).
_base_ = ['./multiscale-depth-dgr_swin-l_8xb4-80k_nyu-416x544.py']
model = dict(decode_head=dict(loss_decode=[dict(type='OTDLLoss', loss_weight=1.0)]))
