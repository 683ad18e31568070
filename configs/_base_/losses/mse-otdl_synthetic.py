# Eq. 21 with lambda_OTDL = 1 for the DGR/OTDL comparison on the generated indoor data
# (configs/dgr/*_synthetic-nyu-*.py, tools/scripts/run_dgr_study.sh): OTDL weighs as much
# as the main loss there. Only the weight differs from mse-otdl.py.
_base_ = ['./mse-otdl.py']
lambda_otdl = 1.0
loss_otdl = dict(_base_.loss_otdl, loss_weight=lambda_otdl)
loss_mse_otdl = [_base_.loss_mse_otdl[0], loss_otdl]
