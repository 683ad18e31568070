# The synthetic MiT-b0 + DGRNeck trained with the baseline's Hu et al. loss plus lambda * OTDL
# (lambda = 1, the synthetic comparison's weight): isolates what OTDL adds on top of DGR without
# changing the main loss.
_base_ = [
    './multiscale-depth-dgr-neck_mit-b0_2xb4-2k_synthetic-nyu-96x128.py',
    '../_base_/losses/mse-otdl_synthetic.py'
]
model = dict(decode_head=dict(loss_decode=[dict(type='HuDepthLoss'), {{_base_.loss_otdl}}]))
