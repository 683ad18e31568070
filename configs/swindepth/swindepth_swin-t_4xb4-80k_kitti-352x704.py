# Swin-Depth (Swin-T) on KITTI (Eigen split, Table 3 baseline row "SwinDepth [6]"): KB crop,
# 352x704 crops, 80 m cap; Sec. 4 optimiser and schedule as for NYU, 4 GPUs x 4 images.
_base_ = [
    '../_base_/models/swindepth_swin-t.py', '../_base_/datasets/kitti.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(max_depth=80.0))
train_dataloader = dict(batch_size=4)
