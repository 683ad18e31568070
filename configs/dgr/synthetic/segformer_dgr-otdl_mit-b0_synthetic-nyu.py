# The synthetic MiT-b0 + DGRNeck trained with Eq. 21, MSE + lambda * OTDL (lambda = 1).
_base_ = ['./segformer_dgr-neck_mit-b0_synthetic-nyu.py']
model = dict(
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=1.0)]))
