# The synthetic MiT-b0 + DGRNeck trained with the baseline's Hu et al. loss plus lambda * OTDL
# (lambda = 1): isolates what OTDL adds on top of DGR without changing the main loss.
_base_ = ['./segformer_dgr-neck_mit-b0_synthetic-nyu.py']
model = dict(
    decode_head=dict(
        loss_decode=[dict(type='HuDepthLoss'), dict(type='OTDLLoss', loss_weight=1.0)]))
