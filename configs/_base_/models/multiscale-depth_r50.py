# ResNet-50 encoder + the same multi-scale regression head and Hu et al. loss: the paper's
# CNN target network (Sec. 4, "Models"; He et al. [12]).
_base_ = ['./depth_estimator.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 2),
        dilations=(1, 1, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    decode_head=dict(in_channels=[256, 512, 1024, 2048]))
