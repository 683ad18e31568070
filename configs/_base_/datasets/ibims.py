# iBims-1 (Koch et al., ECCV-W 2018), evaluation only: 100 indoor 640x480 images with
# laser-scan depth, in the official layout under data/ibims (README "iBims-1"). Models trained
# on NYU-Depth-v2 are evaluated on it at the original size (no resize, no crop), depth capped
# to (1e-3, 10) m as ZoeDepth / Depth-Anything do for the standard numbers; the planarity and
# directed depth errors follow the official script (all valid pixels, no cap).
# The keys are prefixed ibims_ so a model config can inherit this file next to its NYU
# config (mmengine forbids a key in two bases) and take test_dataloader / test_evaluator:
#     test_dataloader = {{_base_.ibims_test_dataloader}}
#     test_evaluator = {{_base_.ibims_test_evaluator}}
ibims_data_root = 'data/ibims'
# bts_depth.py's depth_meta_keys plus the iBims-1 annotations the metric reads
ibims_meta_keys = ('img_path', 'rel_img_path', 'depth_map_path', 'ori_shape', 'img_shape',
                   'pad_shape', 'scale_factor', 'flip', 'flip_direction', 'focal',
                   'depth_scale', 'min_depth', 'max_depth', 'eval_crop', 'kb_crop_offset',
                   'uncropped_shape', 'calib', 'ibims_planes')
ibims_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthMap', depth_rescale_factor=50.0 / 65535.0),  # uint16 = m * 65535/50
    dict(type='LoadDepthEdgeMap'),
    dict(type='LoadIBimsAnnotations'),  # official masking of GT, plane masks and normals
    dict(type='PackSegInputs', meta_keys=ibims_meta_keys),
]
ibims_test_dataloader = dict(
    _delete_=True,  # replaces the NYU test loader of the model config it is put in
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='IBimsDataset',
        data_root=ibims_data_root,
        ann_file='imagelist.txt',
        data_prefix=dict(raw='ibims1_core_raw', mat='ibims1_core_mat'),
        test_mode=True,
        pipeline=ibims_test_pipeline))
ibims_test_evaluator = dict(
    _delete_=True,
    type='IBimsDepthMetric',
    min_depth_eval=1e-3,
    max_depth_eval=10.0,
    crop=None,
    depth_scale=65535.0 / 50.0,
    boundary_metrics=True,  # iBims-1 is the depth-boundary test set (GT edges)
    dde_threshold=3.0)
