# The NYU-trained SegFormer MiT-b2 depth network (multiscale-depth_mit-b2_8xb4-80k_nyu-416x544)
# evaluated zero-shot on the SUN RGB-D test set: the test loader and evaluator change, and test
# inputs are padded to multiples of 32 (SUN RGB-D frames are 730x530, 681x531, ...); --tta
# averages the two flip views (sunrgbd_tta_pipeline).
#     python tools/test.py configs/multiscale_depth/multiscale-depth_mit-b2_8xb4-80k_nyu-416x544_sunrgbd.py CKPT
_base_ = ['./multiscale-depth_mit-b2_8xb4-80k_nyu-416x544.py', '../_base_/datasets/sunrgbd.py']
model = dict(data_preprocessor={{_base_.sunrgbd_data_preprocessor}})
test_dataloader = {{_base_.sunrgbd_test_dataloader}}
test_evaluator = {{_base_.sunrgbd_test_evaluator}}
tta_pipeline = {{_base_.sunrgbd_tta_pipeline}}  # --tta: flip views with the SUN RGB-D loader
