# The NYU pipeline and metric on the generated NYU-like data
# (python tools/dataset_converters/make_synthetic.py nyu --out data/synthetic_nyu ...).
# Evaluation also reads the exact occlusion-boundary map the generator writes next to each
# depth map (sync_depth_00000.png -> sync_depth_00000_edges.png) into data_sample.gt_edge_map;
# training does not load it.
_base_ = ['./nyu.py']
data_root = 'data/synthetic_nyu'
edge_map_suffix = '_edges.png'
depth_meta_keys = {{_base_.depth_meta_keys}}
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthMap', depth_rescale_factor=1e-3),
    dict(type='LoadDepthEdgeMap'),
    dict(type='PackSegInputs', meta_keys=depth_meta_keys),
]
# nyu.py's flip views, the edges loaded after the flip like the depth (un-flipped in both views)
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            {{_base_.tta_flip_views}},
            [dict(type='LoadDepthMap', depth_rescale_factor=1e-3)],
            [dict(type='LoadDepthEdgeMap')],
            [dict(type='PackSegInputs', meta_keys=depth_meta_keys)],
        ]),
]
train_dataloader = dict(batch_size=4, num_workers=2, dataset=dict(data_root=data_root))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(data_root=data_root, edge_map_suffix=edge_map_suffix, pipeline=test_pipeline))
test_dataloader = val_dataloader
