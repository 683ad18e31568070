# DPT-Hybrid (R50+ViT-B/16) on the KITTI Eigen split: KB crop, 352x704 random crops. Output
# 1 / (x + 0.00579): the inverse-depth shift of DPT's released KITTI model, so converted
# official weights (tools/model_converters/dpt2mmdepth.py --dataset kitti) evaluate and
# fine-tune with this config; depth clamped to [1e-3, 80] m. BTS SILog loss and the DGR
# paper's Sec. 4 recipe, as in dpt_r50-vit-b16_4xb4-80k_nyu-416x544.py.
# tools/dist_train.sh configs/dpt/dpt_r50-vit-b16_4xb4-80k_kitti-352x704.py 4
_base_ = [
    '../_base_/models/dpt_r50-vit-b16.py', '../_base_/datasets/kitti.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(inverse_shift=0.00579, min_depth=1e-3, max_depth=80.0))
