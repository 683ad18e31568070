# Runtime shared by every config of the project.
default_scope = 'mmseg'
custom_imports = dict(imports=['mmdepth_dgr'], allow_failed_imports=False)
# mmengine's Runner, plus gloo/CPU-DDP on machines without CUDA (mmdepth_dgr.engine.DepthRunner);
# mmseg's tools/train.py builds it from here, this project's tools too.
runner_type = 'DepthRunner'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # mmseg's default. Without CUDA this project's tools and DepthRunner (mmseg's
    # tools/train.py through runner_type) use gloo instead (mmdepth_dgr.engine.dist_backend).
    dist_cfg=dict(backend='nccl'),
)
# Visualisation backends. LocalVisBackend writes <work_dir>/<timestamp>/vis_data/scalars.json (the
# curves of tools/analysis_tools/analyze_logs.py) and the pictures of tools/test.py --show-dir.
# TensorBoard as well (tensorboard package, requirements/runtime.txt; then
# `tensorboard --logdir <work_dir>`; the events go to <work_dir>/<timestamp>/vis_data/):
#     vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
# Weights & Biases (`pip install wandb`, `wandb login`):
#     vis_backends = [dict(type='LocalVisBackend'),
#                     dict(type='WandbVisBackend', init_kwargs=dict(project='mmdepth-dgr'))]
# `visualizer` below takes the list when this file is read: a config inheriting this one must set
# the visualizer's list (assigning `vis_backends` alone does not reach it):
#     visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
#                                     dict(type='TensorboardVisBackend')])
# From the command line, a list of dicts cannot be given (--cfg-options "visualizer.vis_backends=
# [dict(type=...),...]" yields a list of strings, and "vis_backends=[...]" does not reach the
# visualizer); what works is switching the type of the one backend, for TensorBoard only
# (no scalars.json then):
#     --cfg-options visualizer.vis_backends.0.type=TensorboardVisBackend
# In Python, train_config(..., cfg_options={'visualizer.vis_backends': [dict(...), ...]}) works.
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='DepthLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# Stop at the first NaN/inf loss (and never save non-finite weights), naming the iteration, the
# loss items and the last checkpoint. Off with custom_hooks = [] (a config that sets its own
# custom_hooks list replaces this one: list NonFiniteLossHook there to keep it). The checkpoint
# hook of the schedules is AtomicCheckpointHook (temporary file + rename, old files pruned last).
custom_hooks = [dict(type='NonFiniteLossHook')]
