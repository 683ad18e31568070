"""Depth-map loading with clear error messages."""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmseg.datasets.transforms import LoadDepthAnnotation
from mmseg.registry import TRANSFORMS
from mmseg.utils import datafrombytes

from .utils import check_depth_matches_image


def check_depth_dtype(depth: np.ndarray, allowed: Sequence[str], path: str) -> None:
    """Raise naming the file when a decoded depth map has a dtype the format does not use.

    An 8-bit PNG decodes to uint8 values up to 255, read as at most 0.255 m (NYU) or
    1 m (KITTI): plausible-looking numbers, wrong by orders of magnitude.

    Args:
        depth (np.ndarray): The decoded map.
        allowed (Sequence[str]): The accepted numpy dtype names.
        path (str): The file, for the message.

    Raises:
        ValueError: ``depth.dtype`` is not in ``allowed``.
    """
    if depth.dtype.name not in allowed:
        raise ValueError(
            f'depth map {path} has dtype {depth.dtype.name}, expected '
            f'{" or ".join(allowed)}. NYU/KITTI depth PNGs are 16-bit (uint16); an 8-bit '
            'image cannot hold depth. For float depth files (TIFF/NPY/EXR) set '
            "LoadDepthMap(allowed_dtypes=('float32',)).")


def read_2d_image(path: str, what: str, key: str, backend_args: Optional[dict] = None,
                  decode_backend: str = 'cv2', file_kind: Optional[str] = None,
                  allow_channel_dim: bool = False) -> np.ndarray:
    """Read and decode a single-channel image file, naming the file on every failure.

    Args:
        path (str): The file.
        what (str): What it holds, for the messages (``'depth map'``, ``'edge map'``).
        key (str): The results key it came from, for the messages.
        backend_args (dict, optional): mmengine file backend arguments.
        decode_backend (str): mmseg ``datafrombytes`` backend.
        file_kind (str, optional): The file's name in the decoding messages
            (``'depth PNG'``); defaults to ``'<what> PNG'``.
        allow_channel_dim (bool): Also accept an (H, W, 1) array (DIODE's ``.npy``) and
            return it as (H, W). Defaults to False.

    Returns:
        np.ndarray: The decoded (H, W) array, its stored dtype.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is empty, cannot be decoded (for ``.npy`` also: holds
            pickled objects) or is not 2-D.
    """
    try:
        data_bytes = fileio.get(path, backend_args)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{what} file not found: {path} (results['{key}'])") from err
    kind = file_kind or f'{what} PNG'
    if len(data_bytes) == 0:
        raise ValueError(f'corrupt or unreadable {kind} (empty file, 0 bytes): {path}')
    try:
        data = datafrombytes(data_bytes, backend=decode_backend)
    except Exception as err:  # any decoder failure means a bad file
        raise ValueError(f'corrupt or unreadable {kind}: {path}') from err
    if data is None:
        raise ValueError(f'corrupt or unreadable {kind}: {path}')
    data = np.asarray(data)
    if allow_channel_dim and data.ndim == 3 and data.shape[2] == 1:
        data = data[..., 0]
    if data.ndim != 2:
        shapes = '(H, W) or (H, W, 1)' if allow_channel_dim else '2-D (H, W) single-channel'
        raise ValueError(f'{what} must be a {shapes} image, got shape {data.shape}: {path}')
    return data


@TRANSFORMS.register_module()
class LoadDepthMap(LoadDepthAnnotation):
    """Load a ground-truth depth map, failing loudly on bad inputs.

    Behaves like mmseg's :class:`LoadDepthAnnotation` (the stored values are
    multiplied by ``depth_rescale_factor``, e.g. ``1 / 1000`` for NYU 16-bit
    PNGs in millimetres or ``1 / 256`` for KITTI, giving metres; 0 stays 0 =
    invalid), but reports missing, empty and corrupt files, maps of an
    unexpected dtype (e.g. an 8-bit PNG) and maps whose size differs from the
    already loaded image, with the offending path instead of an obscure crash
    or silently wrong depth.

    Without a depth map to load (no ``depth_map_path`` key, or None) the
    results pass unchanged: mmseg's ``inference_model`` and ``MMSegInferencer``
    run a config's test pipeline on ``dict(img_path=...)`` or ``dict(img=...)``
    and strip only mmseg's own annotation loaders from it. The datasets always
    set the key, so evaluation cannot lose its ground truth this way; a path
    that is given but cannot be read is an error.

    Optional Keys:

    - depth_map_path (str | None)

    Modified Keys:

    - seg_fields (created if absent)

    Added Keys:

    - gt_depth_map (np.ndarray): (H, W) depth map, float32 if
      ``to_float32=True``.
    - depth_rescale_factor (float)

    Args:
        decode_backend (str): Decoding backend of ``mmseg.utils.datafrombytes``
            ('cv2', 'numpy', 'nifti' or 'pickle'). Defaults to 'cv2'.
        to_float32 (bool): Convert the map to float32. Defaults to True.
        depth_rescale_factor (float): Multiplier from stored values to metres.
            Defaults to 1.0.
        backend_args (dict, optional): Arguments of the mmengine file backend.
            Defaults to None.
        allowed_dtypes (Sequence[str]): Numpy dtype names the decoded map may
            have. Defaults to ``('uint16',)``, the NYU/KITTI 16-bit PNGs; pass
            e.g. ``('float32',)`` for float TIFF/NPY/EXR depth.
    """

    # Wraps mmseg's class because it crashes with
    # `'NoneType' object has no attribute 'astype'` on a corrupt PNG.

    def __init__(self,
                 decode_backend: str = 'cv2',
                 to_float32: bool = True,
                 depth_rescale_factor: float = 1.0,
                 backend_args: Optional[dict] = None,
                 allowed_dtypes: Sequence[str] = ('uint16',)) -> None:
        super().__init__(
            decode_backend=decode_backend,
            to_float32=to_float32,
            depth_rescale_factor=depth_rescale_factor,
            backend_args=backend_args)
        self.allowed_dtypes = _dtype_names(allowed_dtypes)

    def transform(self, results: Dict) -> Dict:
        """Load the depth map named by ``results['depth_map_path']``.

        Args:
            results (dict): Result dict from the dataset.

        Returns:
            dict: ``results`` with ``gt_depth_map`` added, or unchanged when
            ``depth_map_path`` is None (a split line without ground truth, e.g.
            KITTI Eigen test lines written ``None``: kept for inference only)
            or absent from a bare image's results (mmseg's ``inference_model`` /
            ``MMSegInferencer`` run the test pipeline on ``dict(img_path=...)``).

        Raises:
            KeyError: ``depth_map_path`` is absent from a dataset sample (one with
                mmengine's ``sample_idx``): a dataset that forgot the ground truth.
            FileNotFoundError: The depth file does not exist.
            ValueError: The file is empty or cannot be decoded, is not a 2-D map,
                has a dtype outside ``allowed_dtypes``, or differs in size from
                ``results['img']`` when the image is already loaded.
        """
        if 'depth_map_path' not in results and 'sample_idx' in results:
            raise KeyError(
                f"{self.__class__.__name__}: the dataset sample {results.get('img_path')!r} "
                f"has no 'depth_map_path'; got keys {sorted(results)}")
        path = results.get('depth_map_path')
        if path is None:
            return results
        depth = read_2d_image(path, 'depth map', 'depth_map_path', self.backend_args,
                              self.decode_backend, file_kind='depth PNG')
        check_depth_dtype(depth, self.allowed_dtypes, path)
        check_depth_matches_image(results, depth.shape)

        if self.to_float32:
            depth = depth.astype(np.float32)
        if self.depth_rescale_factor != 1.0:
            # Out of place: an in-place multiply fails on integer maps.
            depth = depth * self.depth_rescale_factor

        results['gt_depth_map'] = depth
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_depth_map' not in seg_fields:
            seg_fields.append('gt_depth_map')
        results['depth_rescale_factor'] = self.depth_rescale_factor
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f"decode_backend='{self.decode_backend}', "
                f'to_float32={self.to_float32}, '
                f'depth_rescale_factor={self.depth_rescale_factor}, '
                f'backend_args={self.backend_args}, '
                f'allowed_dtypes={self.allowed_dtypes})')


@TRANSFORMS.register_module()
class LoadDepthEdgeMap(BaseTransform):
    """Load a ground-truth edge map (occlusion boundaries) as a 0/1 uint8 mask.

    Reads the PNG named by ``results['edge_map_path']`` (8-bit 0/255 as written
    by the synthetic generator, or any 2-D integer image: nonzero = edge) and
    stores it as ``results['gt_edge_map']``, a (H, W) uint8 array of 0 and 1.
    The key is appended to ``seg_fields``, so flips, crops and resizes apply
    to it like to the depth map, and mmseg's ``PackSegInputs`` packs it into
    ``data_sample.gt_edge_map`` (int64, shape (1, H, W)).

    Without an edge map to load (no ``edge_map_path`` key in the results of a
    bare image, as mmseg's ``inference_model`` runs the test pipeline on
    ``dict(img_path=...)``, or ``edge_map_path`` None for a sample without
    ground truth) the results pass unchanged. A dataset sample (one with
    mmengine's ``sample_idx``) without the key is an error, like in
    :class:`LoadDepthMap`: the dataset was not told where the edges are.

    Optional Keys:

    - edge_map_path (str | None)

    Modified Keys:

    - seg_fields (created if absent)

    Added Keys:

    - gt_edge_map (np.ndarray): (H, W) uint8, 1 on edges, 0 elsewhere.

    Args:
        backend_args (dict, optional): Arguments of the mmengine file backend.
            Defaults to None.
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results: Dict) -> Dict:
        """Load the edge map named by ``results['edge_map_path']``.

        Args:
            results (dict): Result dict from the dataset.

        Returns:
            dict: ``results`` with ``gt_edge_map`` added, or unchanged when
            ``edge_map_path`` is None or absent from a bare image's results.

        Raises:
            KeyError: ``edge_map_path`` is absent from a dataset sample.
            FileNotFoundError: The edge map file does not exist.
            ValueError: The file is empty or cannot be decoded, is not a 2-D
                image, or differs in size from ``results['img']`` when the image
                is already loaded.
        """
        if 'edge_map_path' not in results and 'sample_idx' in results:
            raise KeyError(
                f"{self.__class__.__name__}: the dataset sample {results.get('img_path')!r} "
                "has no 'edge_map_path' (build the dataset with edge_map_suffix=..., or drop "
                f"{self.__class__.__name__} from the pipeline); got keys {sorted(results)}")
        path = results.get('edge_map_path')
        if path is None:
            return results
        edges = read_2d_image(path, 'edge map', 'edge_map_path', self.backend_args, 'cv2')
        img = results.get('img')
        if img is not None and tuple(img.shape[:2]) != edges.shape:
            where = results.get('split_line') or 'sample'
            raise ValueError(
                f'{where}: edge map of size {edges.shape} does not match its image of size '
                f'{tuple(img.shape[:2])} (H, W): image {results.get("img_path")}, '
                f'edge map {path}')
        results['gt_edge_map'] = (edges != 0).astype(np.uint8)
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_edge_map' not in seg_fields:
            seg_fields.append('gt_edge_map')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(backend_args={self.backend_args})'


def _dtype_names(dtypes: Sequence[str]) -> Tuple[str, ...]:
    """Canonical numpy names of ``dtypes`` (``'float'`` -> ``'float64'``).

    Args:
        dtypes (Sequence[str]): Dtype names or numpy dtypes.

    Returns:
        tuple[str, ...]: The names.

    Raises:
        ValueError: ``dtypes`` is empty or a single string, or names no numpy dtype.
    """
    if isinstance(dtypes, str) or not dtypes:
        raise ValueError(f"allowed_dtypes must be a non-empty sequence of dtype names such as "
                         f"('uint16',), got {dtypes!r}")
    try:
        return tuple(np.dtype(d).name for d in dtypes)
    except TypeError as err:
        raise ValueError(f'allowed_dtypes: not a numpy dtype in {dtypes!r}') from err
