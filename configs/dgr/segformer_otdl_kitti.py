# SegFormer MiT-b2 baseline trained with the paper's combined loss, Eq. 21: MSE + lambda * OTDL
# (lambda = 0.1; the paper does not give it), no DGR.
_base_ = ['../segformer_depth/segformer-depth_mit-b2_8xb4-80k_kitti-352x704.py']
model = dict(
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
