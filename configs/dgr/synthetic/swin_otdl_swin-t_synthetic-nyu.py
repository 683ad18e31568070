# The synthetic swin-t baseline trained with Eq. 21, MSE + lambda * OTDL (lambda = 1), no DGR.
_base_ = ['../../synthetic/swin-depth_swin-t_2xb4-2k_synthetic-nyu.py']
model = dict(
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=1.0)]))
