"""The sparse-pixel study of Sec. 3.1 / 4.1 (Table 1, Figs. 3, 5, 7).

``study`` trains the probes and runs the whole study, ``evaluation`` evaluates
trained probes (Eq. 7-8), ``report`` writes Table 1, ``figures`` draws the figures;
``planted`` holds depth networks whose used pixels are known and ``validation`` checks that
the probe recovers them.
"""
from .evaluation import build_trained_probe, depth_eval_settings, evaluate_probe_pair, summarize
from .figures import plot_rmse_vs_sparsity, render_panels
from .networks import NETWORK_KEYS, ProbeNetwork, resolve_networks
from .planted import (
    PlantedDepthHead,
    PlantedSupportBackbone,
    planted_depth_config,
    planted_images,
    planted_support,
)
from .report import (
    CSV_COLUMNS,
    TABLE_COLUMNS,
    check_operating_range,
    check_sparsity_trend,
    format_table,
    read_csv,
    write_csv,
)
from .study import (
    check_lambdas,
    latest_checkpoint,
    measure_removal_gaps,
    probe_cfg_options,
    probe_run_dir,
    run_sparse_probe,
    study_lambdas,
    train_probes,
)
from .validation import (
    PLANTED_SUPPORTS,
    check_validation,
    format_validation_table,
    lambda_from_gap,
    removal_gap,
    run_planted_validation,
    validate_planted,
)

__all__ = [
    'build_trained_probe', 'depth_eval_settings', 'evaluate_probe_pair', 'summarize',
    'plot_rmse_vs_sparsity', 'render_panels', 'NETWORK_KEYS', 'ProbeNetwork',
    'resolve_networks', 'TABLE_COLUMNS', 'check_sparsity_trend', 'format_table', 'write_csv',
    'check_lambdas', 'latest_checkpoint', 'probe_cfg_options', 'probe_run_dir',
    'run_sparse_probe', 'train_probes', 'CSV_COLUMNS', 'check_operating_range', 'read_csv',
    'measure_removal_gaps', 'study_lambdas', 'PlantedDepthHead', 'PlantedSupportBackbone',
    'planted_depth_config', 'planted_images', 'planted_support', 'PLANTED_SUPPORTS',
    'check_validation', 'format_validation_table', 'lambda_from_gap', 'removal_gap',
    'run_planted_validation', 'validate_planted'
]
