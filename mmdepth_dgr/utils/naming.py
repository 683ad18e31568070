"""File names for per-sample outputs (metric dumps, pictures)."""
import os.path as osp
from typing import Mapping


def sample_file_name(meta: Mapping) -> str:
    """A unique, flat file stem for a sample.

    Frame names repeat across NYU scenes and KITTI drives (``rgb_00000.jpg``,
    ``0000000069.png``), so the path relative to the data prefix is flattened:
    ``scene_a/rgb_0001.jpg`` -> ``scene_a__rgb_0001``.

    Args:
        meta (Mapping): Sample metainfo with ``rel_img_path`` or ``img_path``.

    Returns:
        str: The stem, without extension.
    """
    rel = meta.get('rel_img_path') or osp.basename(meta.get('img_path') or 'sample')
    return osp.splitext(rel.strip('/').replace('/', '__'))[0]


def unique_stem(stem: str, used: set) -> str:
    """``stem``, or ``stem_1``, ``stem_2``, ... (the first not in ``used``); added to ``used``.

    Args:
        stem (str): The wanted file stem.
        used (set[str]): Stems given so far (updated).

    Returns:
        str: The stem to use.
    """
    name, suffix = stem, 0
    while name in used:
        suffix += 1
        name = f'{stem}_{suffix}'
    used.add(name)
    return name
