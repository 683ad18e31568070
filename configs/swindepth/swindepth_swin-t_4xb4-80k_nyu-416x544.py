# Swin-Depth (Swin-T) on NYU-Depth-v2 (Table 2 baseline row "SwinDepth [6]"). The original
# training recipe is not available, so the DGR paper's Sec. 4 recipe is used throughout: BTS
# data pipeline with 416x544 crops, AdamW (0.9, 0.999), eps 1e-6, weight decay 0.01 encoder /
# 0 decoder, poly lr 1e-4 -> 1e-5 (power 0.9), 80k iterations at 4 GPUs x 4 images.
_base_ = [
    '../_base_/models/swindepth_swin-t.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(max_depth=10.0))
train_dataloader = dict(batch_size=4)
