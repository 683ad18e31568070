# DPT-Hybrid + DGR + OTDL on NYU-Depth-v2 (Table 2, "DPT + DGR"). DPT's Reassemble turns the
# four hooked encoder outputs (ResNet stages 1-2, ViT layers 9 and 12 with their readout) into
# maps; a DGRNeck then refines all four (+2.2 % parameters) before the fusion decoder:
# neck = SequentialNeck([DPTReassemble, DGRNeck]). Depth loss
# MSE + lambda * OTDL (Eq. 21, lambda_OTDL of _base_/losses/mse-otdl.py), in place of SILog;
# baseline data and schedule. To start from DPT's released NYU model:
# tools/model_converters/dpt2mmdepth.py dpt_hybrid_nyu-2ce69ec7.pt dpt_dgr_nyu_init.pth \
#     --dataset nyu --dgr, then --cfg-options load_from=dpt_dgr_nyu_init.pth.
# tools/dist_train.sh configs/dgr/dpt-dgr_r50-vit-b16_4xb4-80k_nyu-416x544.py 4
_base_ = ['../dpt/dpt_r50-vit-b16_4xb4-80k_nyu-416x544.py', '../_base_/losses/mse-otdl.py']
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
