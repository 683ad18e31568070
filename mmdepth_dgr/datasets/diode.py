"""DIODE indoor (Vasiljevic et al. 2019), validation split, as a zero-shot test set.

Conventions: ZoeDepth's (``zoedepth/utils/config.py`` ``diode_indoor``,
``zoedepth/data/diode.py``); the Monocular-Depth-Estimation-Toolbox has no DIODE. Facts
reimplemented here:

* Samples: every ``*.png`` of ``val/indoors/scene_*/scan_*/`` (325 images), with
  ``<name>_depth.npy`` (1024x768x1 float32 metres) and ``<name>_depth_mask.npy``
  (1 = valid sensor return, DIODE devkit README) next to it; a file without its partners is
  an error (:func:`diode_samples`).
* The network sees the image resized to 640x480 (ZoeDepth's ``Resize(480)``); the prediction
  is resized back and compared with the 1024x768 GT.
* Evaluation: depths in (1e-3, 10) m; ZoeDepth's ``eigen_crop=True`` keeps the fixed pixel
  window ``[45:471, 41:601]`` of the 1024x768 GT (``MaskDepthOutsideWindow``). ZoeDepth
  does not use the mask file; this project applies it by default (``LoadDIODEDepth``).
* Intrinsics (DIODE devkit ``intrinsics.txt``): fx 886.81, fy 927.06, cx 512, cy 384 at
  1024x768; ``focal`` is that fx (554.3 px after the resize to 640x480).

Layout under ``data_root`` (``val.tar.gz`` unpacked)::

    val/indoors/scene_<id>/scan_<id>/<name>.png
    val/indoors/scene_<id>/scan_<id>/<name>_depth.npy
    val/indoors/scene_<id>/scan_<id>/<name>_depth_mask.npy
"""
import glob
import os.path as osp
from typing import Dict, List, Optional

from mmengine.logging import print_log
from mmseg.registry import DATASETS

from .bts_dataset import BTSDepthDataset, first_names

#: DIODE's camera (devkit ``intrinsics.txt``) at 1024x768: (fx, fy, cx, cy).
DIODE_INTRINSICS = (886.81, 927.06, 512.0, 384.0)

#: The suffixes of a sample's files after ``<name>``: image, depth, mask.
DIODE_SUFFIXES = {'img': '.png', 'depth': '_depth.npy', 'mask': '_depth_mask.npy'}

def diode_samples(root: str) -> List[str]:
    """The samples of a DIODE folder: the ``<name>`` of every complete file triple.

    Every ``scene_*/scan_*/<name>.png`` must have its ``<name>_depth.npy`` and
    ``<name>_depth_mask.npy``, and every depth and mask file its image; other files are
    ignored.

    Args:
        root (str): The split and scene type folder (``.../val/indoors``).

    Returns:
        list[str]: Sorted ``scene_*/scan_*/<name>`` paths relative to ``root``.

    Raises:
        FileNotFoundError: Files without their partners (the first few of each kind named,
            relative to ``root``).
    """
    found: Dict[str, Dict[str, str]] = {kind: {} for kind in DIODE_SUFFIXES}
    for path in glob.glob(osp.join(root, 'scene_*', 'scan_*', '*')):
        rel = osp.relpath(path, root)
        # the mask suffix ends like the depth suffix: test it first
        for kind in ('mask', 'depth', 'img'):
            if rel.endswith(DIODE_SUFFIXES[kind]):
                found[kind][rel[:-len(DIODE_SUFFIXES[kind])]] = rel
                break
    images = set(found['img'])
    problems = []
    for kind, what in (('depth', 'depth'), ('mask', 'depth mask')):
        missing = sorted(f'{found["img"][n]} (no {osp.basename(n)}{DIODE_SUFFIXES[kind]})'
                         for n in images - set(found[kind]))
        if missing:
            problems.append(f'{len(missing)} image(s) without their {what} file: '
                            f'{first_names(missing)}')
    for kind, what in (('depth', 'depth'), ('mask', 'depth mask')):
        orphans = sorted(found[kind][n] for n in set(found[kind]) - images)
        if orphans:
            problems.append(f'{len(orphans)} {what} file(s) without their image <name>.png: '
                            f'{first_names(orphans)}')
    if problems:
        raise FileNotFoundError(f'DIODE folder {root}: ' + '; '.join(problems)
                                + ' (each sample is <name>.png, <name>_depth.npy and '
                                '<name>_depth_mask.npy in one scene_*/scan_* folder)')
    return sorted(images)


@DATASETS.register_module()
class DIODEDataset(BTSDepthDataset):
    """DIODE depth, found by walking ``data_root/<img_path prefix>/scene_*/scan_*/``.

    There is no split file: the samples are the images of the folder (sorted), each with its
    ``_depth.npy`` and ``_depth_mask.npy``; a file without its partners is an error naming
    it (:func:`diode_samples`), and the number of samples found is logged. Data infos hold
    ``img_path``, ``depth_map_path``, ``depth_mask_path`` (read by ``LoadDIODEDepth``),
    ``focal`` (DIODE's fx), ``calib`` (:data:`DIODE_INTRINSICS`), ``rel_img_path``
    (``scene_*/scan_*/<name>.png``, also the ``split_line`` of the messages) and the BTS
    metainfo keys.

    Args:
        ann_file (str): Must be empty: DIODE has no list file. Defaults to ``''``.
        data_prefix (dict, optional): ``img_path``: the split and scene type folder.
            Defaults to ``'val/indoors'`` (``'val/outdoor'`` for the outdoor part).
            ``depth_map_path`` defaults to the same folder (the depth files lie next to
            the images).
        depth_scale (float): Value per metre of the metric's PNG dumps; the GT itself is
            float metres. Defaults to 1000.
        min_depth (float): Defaults to 1e-3.
        max_depth (float): Defaults to 10 (ZoeDepth's indoor cap).
        default_focal (float): Defaults to DIODE's fx, 886.81 px.
        eval_crop (str, optional): Defaults to None (the fixed pixel window is applied by
            ``MaskDepthOutsideWindow`` in the pipeline).
        check_files (bool): Check that every sample's three files are not empty at load
            time. Defaults to True. The pairing of the files is checked either way (from
            the folder listing).
        **kwargs: Passed to :class:`BTSDepthDataset`.

    Raises:
        ValueError: ``ann_file`` is not empty.
        FileNotFoundError / ValueError: see :meth:`load_data_list`.
    """

    def __init__(self, ann_file: str = '', data_prefix: Optional[dict] = None,
                 depth_scale: float = 1000.0, min_depth: float = 1e-3, max_depth: float = 10.0,
                 default_focal: float = DIODE_INTRINSICS[0], eval_crop: Optional[str] = None,
                 check_files: bool = True, **kwargs) -> None:
        if ann_file:
            raise ValueError(f'{type(self).__name__}: DIODE has no list file; the samples are '
                             f'the images of data_prefix img_path, got ann_file={ann_file!r} '
                             "(leave it '')")
        prefix = {'img_path': 'val/indoors', **(data_prefix or {})}
        prefix.setdefault('depth_map_path', prefix['img_path'])
        super().__init__(ann_file=ann_file, data_prefix=prefix, depth_scale=depth_scale,
                         min_depth=min_depth, max_depth=max_depth, default_focal=default_focal,
                         eval_crop=eval_crop, check_files=check_files, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Find the images and their depth and mask files.

        Returns:
            list[dict]: One dict per image, sorted by path.

        Raises:
            FileNotFoundError: The image folder does not exist, or an image lacks its depth
                or mask file or such a file its image (files named).
            ValueError: The folder holds no ``scene_*/scan_*/*.png``, or (``check_files``) a
                file is empty.
        """
        root = self.data_prefix['img_path']
        if not osp.isdir(root):
            raise FileNotFoundError(f'{type(self).__name__}: image folder not found: {root} '
                                    '(expected <data_root>/val/indoors/scene_*/scan_*/*.png)')
        names = diode_samples(root)
        if not names:
            raise ValueError(f'{type(self).__name__}: no images in {root}: expected the DIODE '
                             'layout scene_*/scan_*/<name>.png with <name>_depth.npy and '
                             '<name>_depth_mask.npy')
        mask_dir = self.data_prefix['depth_map_path']
        data_list = [
            self.data_info(name + DIODE_SUFFIXES['img'], name + DIODE_SUFFIXES['depth'],
                           self.default_focal, lineno=index,
                           split_line=name + DIODE_SUFFIXES['img'],
                           extra_path_keys=('depth_mask_path', ),
                           depth_mask_path=osp.join(mask_dir, name + DIODE_SUFFIXES['mask']),
                           calib=DIODE_INTRINSICS)
            for index, name in enumerate(names, start=1)]
        print_log(f'{type(self).__name__}: {len(data_list)} samples in {root}',
                  logger='current')
        return data_list
