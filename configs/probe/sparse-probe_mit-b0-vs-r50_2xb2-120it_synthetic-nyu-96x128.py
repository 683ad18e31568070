# The sparse-pixel study on the generated NYU-like data (tools/scripts/run_probe_job.sh): SegFormer
# (MiT-b0) vs ResNet-50 of configs/multiscale_depth, 120 probe iterations (2 CPU processes x 2
# images) at a constant learning rate. G uses GroupNorm: with 2 images per process and weights that
# move fast, BN running statistics would lag and the evaluation masks would differ from the training
# ones. lambda is set per network as a factor of its removal gap (L_dif with every pixel removed
# minus with none, measured by the study before training): the two networks change their
# prediction by different amounts when pixels are removed, so one lambda would be a different
# pressure for each. The factors span the range where, on this data, the masks go from most pixels
# to few (the probe job's Table 1 in the README: sparsity 0.75 -> 0.37 for the SegFormer and
# 0.24 -> 0.04 for the ResNet from factor 0.3 to 0.48). Train on crops that need no
# padding (tools/scripts/run_probe_job.sh: 64x96 crops of 80x112 frames): G's output on padding is
# unconstrained and would show up at the image borders at test time. The test pipeline also loads
# the generator's exact occlusion boundaries (<depth>_edges.png) for the boundary affinity.
_base_ = ['./sparse-probe_mit-b2-vs-r50_8xb4-10k_nyu-416x544.py']
data_root = 'data/synthetic_nyu'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthMap', depth_rescale_factor=1e-3),
    dict(type='LoadDepthEdgeMap'),
    dict(type='PackSegInputs', meta_keys={{_base_.depth_meta_keys}}),
]
train_dataloader = dict(batch_size=2, num_workers=2, dataset=dict(data_root=data_root))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(data_root=data_root, edge_map_suffix='_edges.png', pipeline=test_pipeline))
test_dataloader = val_dataloader
transformer_config = '{{fileDirname}}/../multiscale_depth/multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py'
cnn_config = '{{fileDirname}}/../multiscale_depth/multiscale-depth_r50_2xb4-1200it_synthetic-nyu-96x128.py'
probe_pair = dict(
    _delete_=True,
    transformer=dict(name='SegFormer (MiT-b0)', config=transformer_config, checkpoint=None),
    cnn=dict(name='ResNet-50', config=cnn_config, checkpoint=None),
    lambda_factors=[0.3, 0.36, 0.42, 0.48],
    num_panels=4)
model = dict(
    target=transformer_config,
    mask_net=dict(norm_cfg=dict(type='GN', num_groups=4, requires_grad=True)))
max_iters = 120
optim_wrapper = dict(optimizer=dict(lr=5e-3))
param_scheduler = None  # constant learning rate
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=max_iters), visualization=dict(interval=10))
