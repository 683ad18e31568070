# SegFormer MiT-b2 baseline trained with the paper's combined loss,
# MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py), no DGR.
_base_ = [
    '../multiscale_depth/multiscale-depth_mit-b2_8xb4-80k_nyu-416x544.py',
    '../_base_/losses/mse-otdl.py'
]
model = dict(decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
