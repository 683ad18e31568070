# DPT-Hybrid (R50+ViT-B/16) on NYU-Depth-v2, 416x544 crops. Output 1 / (x + 0.1378): the
# inverse-depth shift of DPT's released NYU model (depth <= 7.26 m), so converted official
# weights (tools/model_converters/dpt2mmdepth.py --dataset nyu) evaluate and fine-tune with
# this config. Loss: BTS SILog (DPT fine-tunes on NYU/KITTI following BTS; its fine-tuning
# code is not released). Training recipe of the DGR paper (Sec. 4): Adam(W) betas
# (0.9, 0.999), eps 1e-6, weight decay 0.01 encoder / 0 decoder, poly lr 1e-4 -> 1e-5
# (power 0.9), 80k iterations, 4 GPUs x 4 images.
# tools/dist_train.sh configs/dpt/dpt_r50-vit-b16_4xb4-80k_nyu-416x544.py 4
_base_ = [
    '../_base_/models/dpt_r50-vit-b16.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(inverse_shift=0.1378, min_depth=1e-3, max_depth=10.0))
