# PixelFormer, the official 'base07' version (ashutosh1807/PixelFormer networks/PixelFormer.py,
# PixelFormer(version='base07')), on the KITTI Eigen split: Swin-B encoder (ImageNet-22k, 224, window 7,
# drop path 0.3). Its four widths 128/256/512/1024 equal the SAM widths, so the official SAMs
# have no encoder projection proj_e (sam_proj_when_equal=False, set by the Swin-L config);
# decoder, bins, loss, data and recipe as ./pixelformer_swin-l_4xb2-80k_kitti-352x1120.py ('large07',
# the released version). The paper reports no Swin-B numbers.
# tools/dist_train.sh configs/pixelformer/pixelformer_swin-b_4xb2-80k_kitti-352x1120.py 4
_base_ = ['./pixelformer_swin-l_4xb2-80k_kitti-352x1120.py']
model = dict(
    backbone=dict(
        embed_dims=128,
        depths=[2, 2, 18, 2],
        num_heads=[4, 8, 16, 32],
        window_size=7,
        pretrain_img_size=224,
        init_cfg=dict(
            checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/swin/'
            'swin_base_patch4_window7_224_22k_20220317-4f79f7c0.pth')),
    decode_head=dict(in_channels=[128, 256, 512, 1024]))
