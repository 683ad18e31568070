# The KITTI pipeline and metric on the generated KITTI-like data (375x1242 frames,
# python tools/dataset_converters/make_synthetic.py kitti --out data/synthetic_kitti ...).
# Evaluation also reads the exact occlusion-boundary map the generator writes next to each
# depth map (0000000000.png -> 0000000000_edges.png; edges of the dense render, although the
# depth is sparse) into data_sample.gt_edge_map, KB-cropped with the depth; training does not
# load it.
_base_ = ['./kitti.py']
data_root = 'data/synthetic_kitti'
edge_map_suffix = '_edges.png'
depth_meta_keys = {{_base_.depth_meta_keys}}
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthMap', depth_rescale_factor=1 / 256.0),
    dict(type='LoadDepthEdgeMap'),
    dict(type='KBCrop'),
    dict(type='PackSegInputs', meta_keys=depth_meta_keys),
]
# kitti.py's flip views; the edges, like the depth, are loaded and KB-cropped before the flip
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthMap', depth_rescale_factor=1 / 256.0),
    dict(type='LoadDepthEdgeMap'),
    dict(type='KBCrop'),
    dict(
        type='TestTimeAug',
        transforms=[
            {{_base_.tta_flip_views}},
            [dict(type='PackSegInputs', meta_keys=depth_meta_keys)],
        ]),
]
train_dataloader = dict(batch_size=2, num_workers=2, dataset=dict(data_root=data_root))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(data_root=data_root, edge_map_suffix=edge_map_suffix, pipeline=test_pipeline))
test_dataloader = val_dataloader
