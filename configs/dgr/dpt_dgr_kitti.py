# DPT-Hybrid + DGR + OTDL on KITTI (Table 3, "DPT + DGR"); same design as dpt_dgr_nyu.py:
# SequentialNeck([DPTReassemble, DGRNeck on all four levels]), MSE + OTDL (Eq. 21,
# lambda = 0.1), baseline data/schedule. Start from the released KITTI model with
# dpt2mmdepth.py ... --dataset kitti --dgr and --cfg-options load_from=...
# tools/dist_train.sh configs/dgr/dpt_dgr_kitti.py 4
_base_ = ['../dpt/dpt_r50-vit-b16_kitti.py']
model = dict(
    neck=dict(
        _delete_=True,
        type='SequentialNeck',
        necks=[
            {{_base_.model.neck}},
            dict(type='DGRNeck', in_channels={{_base_.model.decode_head.in_channels}},
                 norm_cfg=dict(type='SyncBN', requires_grad=True))
        ]),
    decode_head=dict(
        loss_decode=[dict(type='DepthMSELoss'), dict(type='OTDLLoss', loss_weight=0.1)]))
