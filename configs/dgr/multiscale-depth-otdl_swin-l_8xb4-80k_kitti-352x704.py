# Swin-L baseline trained with the paper's combined loss,
# MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py), no DGR.
_base_ = [
    '../multiscale_depth/multiscale-depth_swin-l_8xb4-80k_kitti-352x704.py',
    '../_base_/losses/mse-otdl.py'
]
model = dict(decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
