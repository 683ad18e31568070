# "DepthFormer + DGR" of Table 3 (KITTI): the paper's KITTI DepthFormer numbers (0.052 / 2.143 /
# 0.079 / 0.975) are Li et al.'s published ones, so this is Li et al.'s DepthFormer (Swin-L +
# conv stem, HAHI) + DGR, trained with MSE + 0.1 * OTDL; see depthformer-hahi_dgr_kitti.py and
# configs/depthformer/README.md.
# tools/dist_train.sh configs/dgr/depthformer_dgr_kitti.py 4
_base_ = ['./depthformer-hahi_dgr_kitti.py']
