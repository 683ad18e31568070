# Runtime shared by every config of the project.
default_scope = 'mmseg'
custom_imports = dict(imports=['mmdepth_dgr'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # 'auto': nccl with CUDA, gloo on CPU (mmdepth_dgr.engine.dist_backend).
    dist_cfg=dict(backend='auto'),
)
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
