# The synthetic MiT-b0 baseline trained with Eq. 21, MSE + lambda * OTDL (lambda = 1, the
# synthetic comparison's weight), no DGR.
_base_ = [
    '../multiscale_depth/multiscale-depth_mit-b0_2xb4-2k_synthetic-nyu-96x128.py',
    '../_base_/losses/mse-otdl_synthetic.py'
]
model = dict(decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
