"""MaskSparsityMetric: the "Sparseness" column of Table 1 for sparse-pixel probes."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS

from mmdepth_dgr.models.utils.probe_ops import check_threshold, mask_sparsity


@METRICS.register_module()
class MaskSparsityMetric(BaseMetric):
    """Average fraction of kept pixels of the probe masks (Table 1, "Sparseness").

    Reads ``pred_mask`` (written by ``SparsePixelProbe.predict``, already at the
    original image size and binarised unless the probe's ``test_cfg`` says
    otherwise), computes ``mean(M)`` per image and averages over images.

    Args:
        threshold (float, optional): Binarise ``pred_mask`` with this threshold
            first (``M = 1[mask >= threshold]``); None takes the mask as it is.
        collect_device (str): ``'cpu'`` or ``'gpu'``, for distributed gathering.
        prefix (str, optional): Metric name prefix.
    """

    default_prefix: Optional[str] = None

    def __init__(self, threshold: Optional[float] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.threshold = None if threshold is None else check_threshold(threshold)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store the sparsity of each sample's mask.

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): Probe outputs with ``pred_mask``.

        Raises:
            KeyError: A sample has no ``pred_mask`` (not a probe output).
        """
        for sample in data_samples:
            if 'pred_mask' not in sample:
                raise KeyError('MaskSparsityMetric needs pred_mask in the model outputs '
                               '(use it with SparsePixelProbe)')
            mask = torch.as_tensor(sample['pred_mask']['data']).float()
            mask = mask.reshape(1, 1, *mask.shape[-2:])
            self.results.append(float(mask_sparsity(mask, self.threshold)[0]))

    def compute_metrics(self, results: List[float]) -> Dict[str, float]:
        """Average over images.

        Args:
            results (list[float]): Per-image sparsity from all ranks.

        Returns:
            dict[str, float]: ``{'sparsity': mean}``.

        Raises:
            RuntimeError: No sample was processed.
        """
        if not results:
            raise RuntimeError('MaskSparsityMetric: no sample to evaluate')
        value = float(np.mean(results))
        print_log(f'Mask sparsity (fraction of kept pixels) over {len(results)} images: '
                  f'{value:.4f}', logger='current')
        return dict(sparsity=value)
