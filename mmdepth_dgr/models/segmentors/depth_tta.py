"""Flip test-time augmentation of depth estimators for mmseg's ``tools/test.py --tta``.

The flip averaging of AdaBins' and PixelFormer's (NeWCRFs') official evaluation code: the
prediction for an image ``I`` is ``(N(I) + flip(N(flip(I)))) / 2`` with ``flip`` the
horizontal flip (NeWCRFs' ``post_process_depth`` blends the two views near the left and right
borders instead; the plain mean is used everywhere here).
:class:`DepthTTAModel` is the ``tta_model`` of the dataset bases; their ``tta_pipeline``
makes the two views (``RandomFlip`` with ``prob=0`` and ``prob=1`` inside mmcv's
``TestTimeAug``), and :func:`flip_average` is the merge.
"""
from typing import Dict, List, Mapping, Optional, Sequence

from mmengine.model import BaseTTAModel
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import SampleList
from torch import Tensor


def view_is_flipped(metainfo: Mapping) -> bool:
    """Whether a test-time view was flipped horizontally, from its ``flip`` metadata.

    Args:
        metainfo (Mapping): The view's metainfo (``flip`` and ``flip_direction`` as mmcv's
            ``RandomFlip`` sets them; no ``flip`` key: not flipped).

    Returns:
        bool: True for ``flip=True`` with ``flip_direction='horizontal'``, False for an
        un-flipped view.

    Raises:
        ValueError: The view was flipped in another direction (``'vertical'``,
            ``'diagonal'``, missing): depth flip TTA is horizontal only (a vertically
            flipped scene puts the floor at the top, which a depth network never saw).
    """
    if not metainfo.get('flip', False):
        return False
    direction = metainfo.get('flip_direction')
    if direction != 'horizontal':
        raise ValueError(
            f"depth flip TTA supports horizontal flips only, got flip_direction={direction!r} "
            f"for {metainfo.get('img_path', 'a view')}; use RandomFlip(prob=1., "
            "direction='horizontal') in tta_pipeline")
    return True


def flip_average(depths: Sequence[Tensor], flipped: Sequence[bool]) -> Tensor:
    """Average the depth maps of the views of one image, flipping the flipped ones back first.

    ``mean_k(flip(d_k) if flipped[k] else d_k)`` with ``flip`` the horizontal flip (the last
    dimension): for ``depths = [N(I), N(flip(I))]`` and ``flipped = [False, True]`` this is
    ``(N(I) + flip(N(flip(I)))) / 2``.

    Args:
        depths (Sequence[Tensor]): The views' depth maps, each ``(..., H, W)`` in the
            orientation of its view.
        flipped (Sequence[bool]): Whether each view is the horizontally flipped image.

    Returns:
        Tensor: The average, ``(..., H, W)``, in the orientation of the original image.

    Raises:
        ValueError: No views, a flag count that differs from the view count, or views of
            different sizes.
    """
    if not depths:
        raise ValueError('flip_average: no views to average')
    if len(depths) != len(flipped):
        raise ValueError(f'flip_average: {len(depths)} depth maps but {len(flipped)} flip '
                         'flags')
    shapes = [tuple(d.shape) for d in depths]
    if len(set(shapes)) != 1:
        raise ValueError(f'flip_average: the views have different sizes {shapes}; flip TTA '
                         'averages views of one size (their predictions at ori_shape)')
    total: Optional[Tensor] = None
    for depth, flip in zip(depths, flipped, strict=True):
        oriented = depth.flip(-1) if flip else depth
        total = oriented if total is None else total + oriented
    return total / len(depths)


def _merged_sample(base: SegDataSample, depth: Tensor) -> SegDataSample:
    """A new sample with ``base``'s metainfo and non-prediction fields and ``depth``."""
    sample = SegDataSample(metainfo=base.metainfo)
    sample.set_data({k: v for k, v in base.items() if not k.startswith('pred_')})
    sample.pred_depth_map = PixelData(data=depth)
    return sample


@MODELS.register_module()
class DepthTTAModel(BaseTTAModel):
    """Flip test-time augmentation of a depth estimator: the views' depth maps averaged.

    mmseg's ``SegTTAModel`` averages class probabilities; this averages depth: each view
    (one per ``TestTimeAug`` branch of ``tta_pipeline``) runs through the wrapped model's
    ``test_step``, then :meth:`merge_preds` averages the depth maps with
    :func:`flip_average` after flipping back those of the horizontally flipped views. With
    the bases' two views that is ``(N(I) + flip(N(flip(I)))) / 2``.

    The flip is undone here and only here: the wrapped model sees each flipped view with
    ``flip=False`` (mmseg's ``DepthEstimator.postprocess_result`` would otherwise flip the
    prediction back itself), so its predictions come back in the view's orientation, at
    ``ori_shape`` and without padding; the view's own flip metadata is restored before the
    merge. Any number of views is averaged, with every view's flip read from its
    ``flip``/``flip_direction`` metadata; vertical or diagonal flips and views of different
    sizes are errors.

    The merged sample has the average as ``pred_depth_map`` and the ground truth and
    metainfo (``kb_crop_offset``, ``uncropped_shape``, ``eval_crop``, ...) of the first
    un-flipped view, whose ground truth is never flipped; when every view is flipped, the
    first view's, whose ground truth must then have been loaded after the flip (as the NYU
    base's ``tta_pipeline`` does). Other predicted fields (``pred_*``) of the views are not
    merged and not returned.

    The TTA model adds no weights: its state dict is the wrapped model's, keys without the
    ``module.`` prefix, so that a checkpoint of the model loads into it strictly (the
    project's ``tools/test.py --tta``; mmengine's loader unwraps it anyway).

    Args:
        module (dict | nn.Module): The depth estimator (``cfg.model``, which
            ``tools/test.py --tta`` puts here).
        data_preprocessor (dict | nn.Module, optional): Replaces the module's data
            preprocessor (see mmengine's ``BaseTTAModel``). Defaults to None.
    """

    def test_step(self, data: Dict[str, list]) -> SampleList:
        """Predict every view of a batch with the wrapped model and merge them per image.

        Args:
            data (dict): A ``TestTimeAug`` batch after ``pseudo_collate``: ``inputs`` and
                ``data_samples``, each a list over views of the per-image lists.

        Returns:
            list[SegDataSample]: One merged sample per image (:meth:`merge_preds`).

        Raises:
            TypeError: ``data`` is not such a dict.
            ValueError: A view is flipped in another direction than horizontally.
        """
        if not isinstance(data, dict) or data.get('data_samples') is None:
            raise TypeError('DepthTTAModel.test_step expects a dict with inputs and '
                            'data_samples per view (tta_pipeline + pseudo_collate), got '
                            f'{type(data).__name__}')
        # every view's flip is checked before anything runs
        view_flips = [[view_is_flipped(s.metainfo) for s in samples]
                      for samples in data['data_samples']]
        predictions: List[SampleList] = []
        for index, flips in enumerate(view_flips):
            view = {key: value[index] for key, value in data.items()}
            samples = view['data_samples']
            view['data_samples'] = [
                s.new(metainfo=dict(s.metainfo, flip=False, flip_direction=None)) if flip else s
                for s, flip in zip(samples, flips, strict=True)
            ]
            outputs = self.module.test_step(view)
            for output, sample, flip in zip(outputs, samples, flips, strict=True):
                if flip:
                    output.set_metainfo(dict(flip=True,
                                             flip_direction=sample.flip_direction))
            predictions.append(outputs)
        return self.merge_preds([list(views) for views in zip(*predictions, strict=True)])

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        """Average each image's views with :func:`flip_average`.

        Args:
            data_samples_list (list[list[SegDataSample]]): Per image, its views with
                ``pred_depth_map`` in the view's orientation and the view's
                ``flip``/``flip_direction`` metadata.

        Returns:
            list[SegDataSample]: Per image, ``pred_depth_map`` (the average, in the original
            orientation, at ``ori_shape``) with the ground truth and metainfo of the first
            un-flipped view (or of the first view when all are flipped).

        Raises:
            ValueError: A vertical/diagonal flip, views of different sizes, or views of
                different images (``img_path``).
        """
        merged = []
        for views in data_samples_list:
            flips = [view_is_flipped(v.metainfo) for v in views]
            paths = {v.metainfo.get('img_path') for v in views}
            if len(paths) > 1:
                raise ValueError(f'DepthTTAModel: the views of one image come from different '
                                 f'files {sorted(map(str, paths))}')
            try:
                depth = flip_average([v.pred_depth_map.data for v in views], flips)
            except ValueError as err:
                raise ValueError(f'DepthTTAModel: {paths.pop()}: {err}') from err
            base = views[flips.index(False)] if False in flips else views[0]
            merged.append(_merged_sample(base, depth))
        return merged

    def state_dict(self, *args, destination=None, prefix: str = '',
                   keep_vars: bool = False) -> Dict[str, Tensor]:
        """The wrapped model's state dict (no ``module.`` prefix: the TTA adds no weights).

        Args:
            *args: Positional arguments of ``nn.Module.state_dict`` (deprecated there).
            destination (dict, optional): Dict to fill.
            prefix (str): Prefix of the keys.
            keep_vars (bool): Keep the tensors attached to autograd.

        Returns:
            dict[str, Tensor]: ``self.module.state_dict(...)``.
        """
        return self.module.state_dict(*args, destination=destination, prefix=prefix,
                                      keep_vars=keep_vars)

    def load_state_dict(self, state_dict: Mapping[str, Tensor], strict: bool = True,
                        assign: bool = False):
        """Load a state dict of the wrapped model (keys as :meth:`state_dict` gives them).

        Args:
            state_dict (Mapping[str, Tensor]): The wrapped model's weights.
            strict (bool): Require the keys to match. Defaults to True.
            assign (bool): Assign the tensors instead of copying them. Defaults to False.

        Returns:
            NamedTuple: ``missing_keys`` and ``unexpected_keys``.
        """
        return self.module.load_state_dict(state_dict, strict=strict, assign=assign)


__all__ = ['DepthTTAModel', 'flip_average', 'view_is_flipped']
