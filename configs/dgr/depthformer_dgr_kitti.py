# "DepthFormer + DGR" of Table 3 (KITTI), under the name users run: the paper's KITTI
# DepthFormer numbers (0.052 / 2.143 / 0.079 / 0.975) are Li et al.'s published ones, so this is
# Li et al.'s DepthFormer (Swin-L + conv stem, HAHI) + DGR, trained with
# MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py); the same config as
# depthformer-hahi-dgr_swin-l_4xb4-80k_kitti-352x704.py (see configs/depthformer/README.md).
# tools/dist_train.sh configs/dgr/depthformer_dgr_kitti.py 4
_base_ = ['./depthformer-hahi-dgr_swin-l_4xb4-80k_kitti-352x704.py']
