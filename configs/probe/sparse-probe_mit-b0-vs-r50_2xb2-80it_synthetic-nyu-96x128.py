# The sparse-pixel study on the generated NYU-like data (tools/scripts/run_probe_job.sh): SegFormer
# (MiT-b0) vs ResNet-50 of configs/multiscale_depth, 80 probe iterations (2 CPU processes x 2
# images) at a constant learning rate. G uses GroupNorm: with 2 images per process and weights that
# move fast, BN running statistics would lag and the evaluation masks would differ from the training
# ones. The lambdas are smaller than on NYU (Table 1: 1-6) because these briefly trained networks
# change their prediction much less when pixels are removed (L_dif of Eq. 6 is smaller), and the
# SegFormer far less than the ResNet. Train on crops that need no padding
# (tools/scripts/run_probe_job.sh: 64x96 crops of 80x112 frames): G's output on padding is
# unconstrained and would show up at the image borders at test time.
_base_ = ['./sparse-probe_mit-b2-vs-r50_8xb4-10k_nyu-416x544.py']
data_root = 'data/synthetic_nyu'
train_dataloader = dict(batch_size=2, num_workers=2, dataset=dict(data_root=data_root))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
transformer_config = '{{fileDirname}}/../multiscale_depth/multiscale-depth_mit-b0_2xb4-1200it_synthetic-nyu-96x128.py'
cnn_config = '{{fileDirname}}/../multiscale_depth/multiscale-depth_r50_2xb4-1200it_synthetic-nyu-96x128.py'
probe_pair = dict(
    transformer=dict(name='SegFormer (MiT-b0)', config=transformer_config),
    cnn=dict(name='ResNet-50', config=cnn_config),
    lambdas=[0.01, 0.03, 0.3, 1.5],
    num_panels=4)
model = dict(
    target=transformer_config,
    mask_net=dict(norm_cfg=dict(type='GN', num_groups=4, requires_grad=True)))
max_iters = 80
optim_wrapper = dict(optimizer=dict(lr=5e-3))
param_scheduler = None  # constant learning rate
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=max_iters), visualization=dict(interval=10))
