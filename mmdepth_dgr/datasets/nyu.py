"""NYU-Depth-v2 in the BTS layout."""
from mmseg.registry import DATASETS

from .bts_dataset import BTSDepthDataset


@DATASETS.register_module()
class NYUDepthDataset(BTSDepthDataset):
    """NYU-Depth-v2 (BTS ``sync`` training set and the official 654 test images).

    Depth PNGs hold millimetres (``depth_scale=1000``); the community evaluates
    depths in ``(1e-3, 10]`` m inside the Eigen crop (``eval_crop='nyu'``).
    Train split lines look like ``/kitchen_0028b/rgb_00045.jpg
    /kitchen_0028b/sync_depth_00045.png 518.8579``.

    Args:
        ann_file (str): Split file (``nyu_train.txt`` or ``nyu_test.txt``).
        **kwargs: See :class:`BTSDepthDataset`.
    """

    def __init__(self, ann_file: str, depth_scale: float = 1000.0, min_depth: float = 1e-3,
                 max_depth: float = 10.0, default_focal: float = 518.8579,
                 eval_crop: str = 'nyu', **kwargs) -> None:
        super().__init__(ann_file=ann_file, depth_scale=depth_scale, min_depth=min_depth,
                         max_depth=max_depth, default_focal=default_focal,
                         eval_crop=eval_crop, **kwargs)
