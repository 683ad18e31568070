"""Training hooks of the project, registered in mmseg's ``HOOKS`` registry on import."""
from .atomic_checkpoint_hook import AtomicCheckpointHook, atomic_write_text, checkpoint_problem
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook, last_checkpoint

__all__ = [
    'AtomicCheckpointHook', 'NonFiniteLossError', 'NonFiniteLossHook', 'atomic_write_text',
    'checkpoint_problem', 'last_checkpoint'
]
