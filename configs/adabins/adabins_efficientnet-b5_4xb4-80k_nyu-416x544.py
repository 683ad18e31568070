# AdaBins (EfficientNet-B5 + mini-ViT bins, SILog + 0.1 chamfer) on NYU-Depth-v2, 416x544 crops,
# bins in [1e-3, 10] m. Training recipe of the DGR paper (Sec. 4) so that the baseline and
# +DGR rows train alike: Adam(W) betas (0.9, 0.999), eps 1e-6, weight decay 0.01 encoder / 0
# decoder, poly lr 1e-4 -> 1e-5 (power 0.9), 80k iterations; 4 GPUs x 4 images = AdaBins'
# batch of 16. (AdaBins' own recipe: AdamW, one-cycle lr 3.57e-4 with the encoder at 1/10,
# weight decay 0.1, 25 epochs.)
# tools/dist_train.sh configs/adabins/adabins_efficientnet-b5_4xb4-80k_nyu-416x544.py 4
_base_ = [
    '../_base_/models/adabins_efficientnet-b5.py', '../_base_/datasets/nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_poly_80k.py'
]
model = dict(decode_head=dict(min_depth=1e-3, max_depth=10.0))
