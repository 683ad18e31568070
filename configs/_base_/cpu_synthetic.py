# What every depth network on the generated data (configs/*/*_synthetic-*.py) changes so that it
# trains on CPU processes (gloo) with nothing downloaded: BN instead of SyncBN, no ImageNet
# weights, no stochastic depth and a 64-channel head. mmengine lets no two bases of a config
# set the same key (the model base sets model and norm_cfg), so a config takes them from here:
#     norm_cfg = {{_base_.cpu_norm_cfg}}
#     model = {{_base_.cpu_model}}
cpu_norm_cfg = dict(type='BN', requires_grad=True)
cpu_model = dict(
    backbone=dict(init_cfg=None, drop_path_rate=0.0),
    decode_head=dict(channels=64, norm_cfg=cpu_norm_cfg))
