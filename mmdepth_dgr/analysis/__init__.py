"""Libraries behind ``tools/analysis_tools``: cost benchmarks, complexity, the constant
baseline, run comparison, the sparse-pixel study (:mod:`.probe`) and the multi-seed DGR / OTDL
study (:mod:`.dgr_study`)."""
from .benchmark_dgr import add_dgr, benchmark_dgr, format_benchmark, time_train_steps
from .benchmark_otdl import format_otdl_benchmark, run_otdl_benchmark
from .browse import browse_dataset
from .compare_runs import comparison_table, load_metrics, parse_run
from .complexity import format_complexity, model_complexity, module_complexity
from .constant_baseline import compare_with_constant, evaluate_constant, mean_train_depth
from .inference_benchmark import benchmark_inference, format_inference_benchmark, summarise
from .instruction_count import InstructionCount, Workload, count_instructions, count_many
from .step_share import format_step_share, otdl_step_share

__all__ = [
    'add_dgr', 'benchmark_dgr', 'format_benchmark', 'time_train_steps',
    'format_otdl_benchmark', 'run_otdl_benchmark', 'comparison_table', 'load_metrics',
    'parse_run', 'format_complexity', 'model_complexity', 'module_complexity',
    'compare_with_constant', 'evaluate_constant', 'mean_train_depth'
]
__all__ += ['browse_dataset', 'benchmark_inference', 'format_inference_benchmark', 'summarise']
__all__ += ['InstructionCount', 'Workload', 'count_instructions', 'count_many',
            'format_step_share', 'otdl_step_share']
