# The NYU-trained SegFormer MiT-b2 depth network (multiscale-depth_mit-b2_8xb4-80k_nyu-416x544)
# evaluated on iBims-1: only the test loader and evaluator change.
#     python tools/test.py configs/multiscale_depth/multiscale-depth_mit-b2_8xb4-80k_nyu-416x544_ibims.py CKPT
_base_ = ['./multiscale-depth_mit-b2_8xb4-80k_nyu-416x544.py', '../_base_/datasets/ibims.py']
test_dataloader = {{_base_.ibims_test_dataloader}}
test_evaluator = {{_base_.ibims_test_evaluator}}
