"""``tools/test.py --tta``: switch a test config to test-time augmentation, as mmseg's tool does."""
import copy

from mmengine.config import Config


def enable_tta(cfg: Config) -> Config:
    """Test with the config's ``tta_pipeline`` and ``tta_model`` (mmseg's ``--tta``).

    The same three steps as mmseg 1.2.2's ``tools/test.py --tta``: the test dataset's
    pipeline becomes ``tta_pipeline``, ``tta_model.module`` becomes the model and the model
    becomes ``tta_model``. The dataset bases of the project give flip TTA, the averaging of
    AdaBins' and PixelFormer's evaluations (``DepthTTAModel``, ``(N(I) + flip(N(flip(I)))) / 2``).
    ``tta_pipeline`` and ``tta_model`` are copied, so the config's own entries are not aliased.

    Args:
        cfg (Config): A test config (e.g. from :func:`~mmdepth_dgr.engine.test_config`),
            updated in place.

    Returns:
        Config: ``cfg``.

    Raises:
        KeyError: The config has no ``tta_pipeline`` or no ``tta_model`` (the message names
            the config file and what is missing).
    """
    missing = [key for key in ('tta_pipeline', 'tta_model') if cfg.get(key) is None]
    if missing:
        name = cfg.filename or 'the config'
        raise KeyError(f'--tta needs {" and ".join(missing)} in {name}; the dataset bases '
                       'configs/_base_/datasets/{nyu,kitti}.py define them (flip TTA)')
    cfg.test_dataloader.dataset.pipeline = copy.deepcopy(cfg.tta_pipeline)
    tta_model = copy.deepcopy(cfg.tta_model)
    tta_model.module = cfg.model
    cfg.model = tta_model
    return cfg
