# The NYU pipeline and metric on the generated NYU-like data
# (python tools/dataset_converters/make_synthetic.py nyu --out data/synthetic_nyu ...).
_base_ = ['./nyu.py']
data_root = 'data/synthetic_nyu'
train_dataloader = dict(batch_size=4, num_workers=2, dataset=dict(data_root=data_root))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
