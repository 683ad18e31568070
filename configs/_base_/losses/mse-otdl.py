# The paper's training loss, Eq. 21: L = L_MSE + lambda_OTDL * L_OTDL (Eq. 20 + Eq. 19).
# The paper does not give lambda_OTDL; 0.1 is this project's value for every NYU/KITTI "+ DGR"
# config (configs/dgr/README.md). A config adds this file to its _base_ list and sets
# `loss_decode={{_base_.loss_mse_otdl}}` (or `{{_base_.loss_otdl}}` beside another main loss).
lambda_otdl = 0.1
loss_otdl = dict(type='OTDLLoss', loss_weight=lambda_otdl)
loss_mse_otdl = [dict(type='DepthMSELoss'), loss_otdl]
