# The KITTI pipeline and metric on the generated KITTI-like data (375x1242 frames,
# python tools/dataset_converters/make_synthetic.py kitti --out data/synthetic_kitti ...).
_base_ = ['./kitti.py']
data_root = 'data/synthetic_kitti'
train_dataloader = dict(batch_size=2, num_workers=2, dataset=dict(data_root=data_root))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
