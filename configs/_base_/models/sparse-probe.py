# The sparse-pixel probe of Sec. 3.1 (Eq. 6): a small encoder-decoder G predicts a soft mask (keep
# probabilities) for the normalised image in front of a frozen depth network N (a DepthEstimator
# config + its trained checkpoint); G learns to keep as few pixels as lambda asks while N's
# prediction stays close (Hu et al. loss, Eq. 22) to its prediction from the full image. In
# training N sees 0/1 masks drawn from G(I) (train_cfg.mask_sampling='bernoulli'; 'soft' feeds
# I * G(I) as Hu et al. do, which Transformers answer by uniform dimming: see SparsePixelProbe).
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='SparsePixelProbe',
    target=None,  # N's config file: set by the probe configs (probe_pair)
    # N's trained weights: --cfg-options or tools/analysis_tools/sparse_probe.py
    target_checkpoint=None,
    data_preprocessor=None,  # N's own (the probe must normalise images exactly as N was trained)
    mask_net=dict(
        type='MaskNet',
        in_channels=3,
        base_channels=16,
        num_stages=4,
        num_convs=2,
        norm_cfg=norm_cfg,
        init_bias=2.0),  # start from (almost) the full image: sigmoid(2) = 0.88
    lambda_sparsity=1.0,
    loss_dif=dict(type='HuDepthLoss', loss_name='loss_dif'),
    train_cfg=dict(mask_sampling='bernoulli'),
    # evaluation binarises G(I) at 0.5 (Eq. 7-8)
    test_cfg=dict(binarize=True, threshold=0.5, with_full_prediction=True))
