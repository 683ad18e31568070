# DPT-Hybrid + DGR + OTDL on KITTI (Table 3, "DPT + DGR"); same design as the NYU config
# (dpt-dgr_r50-vit-b16_4xb4-80k_nyu-416x544.py): SequentialNeck([DPTReassemble, DGRNeck on all
# four levels]), MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py), baseline
# data/schedule. Start from the released KITTI model with
# dpt2mmdepth.py ... --dataset kitti --dgr and --cfg-options load_from=...
# tools/dist_train.sh configs/dgr/dpt-dgr_r50-vit-b16_4xb4-80k_kitti-352x704.py 4
_base_ = ['../dpt/dpt_r50-vit-b16_4xb4-80k_kitti-352x704.py', '../_base_/losses/mse-otdl.py']
model = dict(
    neck=dict(
        _delete_=True,
        type='SequentialNeck',
        necks=[
            {{_base_.model.neck}},
            dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
                 norm_cfg=dict(type='SyncBN', requires_grad=True))
        ]),
    decode_head=dict(loss_decode={{_base_.loss_mse_otdl}}))
