# Swin-L + DGRNeck trained with MSE + lambda * OTDL (Eq. 21, lambda_OTDL of
# _base_/losses/mse-otdl.py): the paper's full method, Table 4's third row.
_base_ = ['./multiscale-depth-dgr_swin-l_8xb4-80k_kitti-352x704.py', '../_base_/losses/mse-otdl.py']
model = dict(decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
