"""Checks shared by the geometric depth transforms."""
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
