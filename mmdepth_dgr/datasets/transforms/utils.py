"""Checks shared by the depth loaders and the geometric depth transforms."""
from typing import List, Optional, Sequence, Tuple


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


def check_depth_matches_image(results: dict, depth_shape: Tuple[int, ...],
                              image_shape: Optional[Sequence[int]] = None) -> None:
    """Raise naming the sample when a depth map's size differs from its image's.

    Nothing is checked when there is no image size to compare with (no ``image_shape``
    and no ``img`` in ``results`` yet: depth loaded first).

    Args:
        results (dict): Result dict, with ``img`` once the image is loaded.
        depth_shape (tuple): Shape of the depth map, ``(H, W)`` first.
        image_shape (Sequence[int], optional): The image size to compare with, ``(H, W)``
            first, e.g. ``results['ori_shape']`` when the image was resized before the
            full-resolution depth is loaded. Defaults to None: ``results['img'].shape``.

    Raises:
        ValueError: The heights or widths differ; the message names the split
            line and both files.
    """
    if image_shape is None:
        img = results.get('img')
        if img is None:
            return
        image_shape = img.shape
    image_hw = tuple(int(v) for v in image_shape[:2])
    if image_hw == tuple(depth_shape[:2]):
        return
    where = results.get('split_line') or 'sample'
    raise ValueError(f'{where}: depth map of size {tuple(depth_shape[:2])} does not match its '
                     f'image of size {image_hw} (H, W): image '
                     f'{results.get("img_path")}, depth {results.get("depth_map_path")}')
