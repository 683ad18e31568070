# "DepthFormer + DGR" of Table 2 (NYU): the paper's NYU DepthFormer numbers (0.100 / 0.345 /
# 0.911) are Agarwal & Arora's ICIP'22 ones (ref. [2]), so this is the ICIP'22 DepthFormer
# (MiT-b4, Transbins) + DGR, trained with MSE + 0.1 * OTDL (+ the bins' chamfer loss); see
# depthformer-transbins_dgr_nyu.py and configs/depthformer/README.md.
# tools/dist_train.sh configs/dgr/depthformer_dgr_nyu.py 4
_base_ = ['./depthformer-transbins_dgr_nyu.py']
