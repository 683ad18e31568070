# Control of the OTDL comparison on the generated indoor data: the synthetic MiT-b0 baseline
# trained with Eq. 21's first term only (MSE, no OTDL), so that
# multiscale-depth-otdl_mit-b0_2xb4-2k_synthetic-nyu-96x128.py differs from it by the OTDL term
# alone (the baseline's Hu et al. loss differs from both). Used by the DGR/OTDL study
# (tools/analysis_tools/dgr_study.py).
_base_ = ['../multiscale_depth/multiscale-depth_mit-b0_2xb4-2k_synthetic-nyu-96x128.py']
model = dict(decode_head=dict(loss_decode=dict(type='DepthMSELoss')))
