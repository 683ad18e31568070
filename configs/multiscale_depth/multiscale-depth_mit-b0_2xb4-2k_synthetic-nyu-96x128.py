# The README's main job: the synthetic SegFormer (MiT-b0) depth network trained for 2000
# iterations (2 CPU processes x 4 images) on 800 generated 96x128 NYU-like frames from 200 rooms
# (tools/scripts/run_main_job.sh), with the CPU settings of _base_/cpu_synthetic.py.
_base_ = [
    '../_base_/models/multiscale-depth_mit-b0.py', '../_base_/datasets/synthetic_nyu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_2k.py',
    '../_base_/cpu_synthetic.py'
]
norm_cfg = {{_base_.cpu_norm_cfg}}
model = {{_base_.cpu_model}}
