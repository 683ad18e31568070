"""KITTI depth (Eigen split and benchmark split) in the BTS layout."""
from mmseg.registry import DATASETS

from .bts_dataset import BTSDepthDataset


@DATASETS.register_module()
class KITTIDepthDataset(BTSDepthDataset):
    """KITTI depth with raw images and the annotated (``proj_depth``) ground truth.

    Depth PNGs hold metres times 256 (``depth_scale=256``), 0 where LiDAR has no
    return; the community evaluates depths in ``(1e-3, 80]`` m inside the Garg
    crop (``eval_crop='garg'``) after the KB crop to 352x1216. Eigen test lines
    whose depth is ``None`` are kept for inference and excluded from evaluation.

    Args:
        ann_file (str): Split file (e.g. ``kitti_eigen_train.txt``).
        **kwargs: See :class:`BTSDepthDataset`.
    """

    def __init__(self, ann_file: str, depth_scale: float = 256.0, min_depth: float = 1e-3,
                 max_depth: float = 80.0, default_focal: float = 721.5377,
                 eval_crop: str = 'garg', **kwargs) -> None:
        super().__init__(ann_file=ann_file, depth_scale=depth_scale, min_depth=min_depth,
                         max_depth=max_depth, default_focal=default_focal,
                         eval_crop=eval_crop, **kwargs)
