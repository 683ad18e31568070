# Swin-L baseline trained with the paper's combined loss, Eq. 21: MSE + lambda * OTDL
# (lambda = 0.1; the paper does not give it), no DGR.
_base_ = ['../swin_depth/swin-depth_swin-l_8xb4-80k_kitti-352x704.py']
model = dict(
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
