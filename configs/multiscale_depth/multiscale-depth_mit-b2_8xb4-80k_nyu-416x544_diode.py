# The NYU-trained SegFormer MiT-b2 depth network (multiscale-depth_mit-b2_8xb4-80k_nyu-416x544)
# evaluated zero-shot on DIODE indoor (val): only the test loader and evaluator change.
#     python tools/test.py configs/multiscale_depth/multiscale-depth_mit-b2_8xb4-80k_nyu-416x544_diode.py CKPT
_base_ = ['./multiscale-depth_mit-b2_8xb4-80k_nyu-416x544.py', '../_base_/datasets/diode.py']
test_dataloader = {{_base_.diode_test_dataloader}}
test_evaluator = {{_base_.diode_test_evaluator}}
