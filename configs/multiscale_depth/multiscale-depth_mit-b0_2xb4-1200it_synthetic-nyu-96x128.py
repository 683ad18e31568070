# The SegFormer (MiT-b0) depth network at small size on the generated NYU-like data (2 CPU
# processes x 4 images, 1200 iterations; the Transformer target network of the probe job,
# tools/scripts/run_probe_job.sh), with the CPU settings of _base_/cpu_synthetic.py.
_base_ = [
    '../_base_/models/multiscale-depth_mit-b0.py', '../_base_/datasets/synthetic_nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_1200it.py',
    '../_base_/cpu_synthetic.py'
]
norm_cfg = {{_base_.cpu_norm_cfg}}
model = {{_base_.cpu_model}}
