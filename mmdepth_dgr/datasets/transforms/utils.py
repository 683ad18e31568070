"""Checks shared by the depth loaders and the geometric depth transforms."""
from typing import List, Tuple


def aligned_seg_fields(results: dict, transform: str) -> Tuple[Tuple[int, int], List[str]]:
    """The image size and the ``seg_fields`` keys, checked to share that size.

    A geometric transform crops or warps the image and every map listed in
    ``seg_fields`` (the depth map, ...) the same way, so they must be aligned.

    Args:
        results (dict): Result dict with ``img`` (and optional ``seg_fields``).
        transform (str): Name of the calling transform, for the error message.

    Returns:
        tuple: ``(h, w)`` of the image and the list of ``seg_fields`` keys.

    Raises:
        ValueError: A ``seg_fields`` map has another height and width than the
            image (the message names the map and the image file).
    """
    h, w = results['img'].shape[:2]
    seg_fields = results.get('seg_fields', [])
    for key in seg_fields:
        if results[key].shape[:2] != (h, w):
            raise ValueError(f'{transform}: {key} has shape {results[key].shape[:2]} but img '
                             f'has {(h, w)}: {results.get("img_path")}')
    return (h, w), seg_fields


def check_depth_matches_image(results: dict, depth_shape: Tuple[int, ...]) -> None:
    """Raise naming the sample when a depth map's size differs from its loaded image.

    Nothing is checked when ``results`` has no ``img`` yet (depth loaded first).

    Args:
        results (dict): Result dict, with ``img`` once the image is loaded.
        depth_shape (tuple): Shape of the depth map, ``(H, W)`` first.

    Raises:
        ValueError: The heights or widths differ; the message names the split
            line and both files.
    """
    img = results.get('img')
    if img is None or tuple(img.shape[:2]) == tuple(depth_shape[:2]):
        return
    where = results.get('split_line') or 'sample'
    raise ValueError(f'{where}: depth map of size {tuple(depth_shape[:2])} does not match its '
                     f'image of size {tuple(img.shape[:2])} (H, W): image '
                     f'{results.get("img_path")}, depth {results.get("depth_map_path")}')
