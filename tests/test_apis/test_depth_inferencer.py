"""DepthInferencer: folders, files and arrays; .npy / .png outputs equal to inference_model's;
batches of mixed sizes; clear errors."""
import re

import cv2
import numpy as np
import pytest
from mmseg.structures import SegDataSample

from mmdepth_dgr.apis import DepthInferencer, inference_model

from .conftest import NYU_CONFIG, depth_of, make_image, write_png


@pytest.fixture(scope='module')
def inferencer(nyu_checkpoint) -> DepthInferencer:
    """The NYU config (as a Path) with the random-weight checkpoint, on the CPU."""
    return DepthInferencer(NYU_CONFIG, weights=nyu_checkpoint, device='cpu',
                           show_progress=False)


def test_a_folder_gives_npy_files_equal_to_inference_model(inferencer, nyu_model, tmp_path):
    folder = tmp_path / 'images'
    folder.mkdir()
    write_png(folder / 'b.png', make_image(40, 56, seed=1))
    assert cv2.imwrite(str(folder / 'a.jpg'), make_image(48, 64, seed=2))
    (folder / 'notes.txt').write_text('not an image')
    out_dir = tmp_path / 'out'
    out = inferencer(str(folder), out_dir=str(out_dir), return_vis=True)

    assert sorted(p.name for p in (out_dir / 'preds').iterdir()) == ['a.npy', 'b.npy']
    assert sorted(p.name for p in (out_dir / 'vis').iterdir()) == ['a.png', 'b.png']
    assert [d.shape for d in out['predictions']] == [(48, 64), (40, 56)]  # sorted: a, b
    for stem, prediction in zip(('a', 'b'), out['predictions'], strict=True):
        path = next(folder.glob(f'{stem}.*'))
        expected = depth_of(inference_model(nyu_model, str(path)))[0]
        saved = np.load(out_dir / 'preds' / f'{stem}.npy')
        assert saved.dtype == np.float32 and saved.shape == expected.shape
        np.testing.assert_allclose(saved, expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(prediction, saved)
        picture = cv2.imread(str(out_dir / 'vis' / f'{stem}.png'))
        assert picture is not None and picture.shape[0] == expected.shape[0]
    assert [v.shape for v in out['visualization']] == [(48, 128, 3), (40, 112, 3)]  # RGB | pred


def test_arrays_files_and_batches_of_mixed_sizes(inferencer, tmp_path):
    first, second = tmp_path / 'one', tmp_path / 'two'
    first.mkdir()
    second.mkdir()
    same_stem = [write_png(first / 'frame.png', make_image(40, 56, seed=3)),
                 write_png(second / 'frame.png', make_image(36, 50, seed=4))]
    arrays = [make_image(40, 56, seed=5), make_image(44, 60, seed=6)]
    inputs = [arrays[0], same_stem[0], arrays[1], same_stem[1]]
    start = inferencer.num_array_inputs
    single = inferencer(inputs, batch_size=1, out_dir=tmp_path / 'out')
    batched = inferencer(inputs, batch_size=3, return_datasamples=True)
    names = [f'{start:08d}', 'frame', f'{start + 1:08d}', 'frame_1']
    assert sorted(p.stem for p in (tmp_path / 'out' / 'preds').iterdir()) == sorted(names)
    assert single['visualization'] == [] and batched['visualization'] == []
    assert all(isinstance(s, SegDataSample) for s in batched['predictions'])
    for name, depth, sample in zip(names, single['predictions'], batched['predictions'],
                                   strict=True):
        np.testing.assert_array_equal(np.load(tmp_path / 'out' / 'preds' / f'{name}.npy'),
                                      depth)
        np.testing.assert_allclose(depth_of(sample)[0], depth, rtol=1e-5, atol=1e-5)
    assert [d.shape for d in single['predictions']] == [(40, 56), (40, 56), (44, 60), (36, 50)]


def test_a_folder_without_images_and_missing_files_are_named(inferencer, tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'readme.md').write_text('no images here')
    with pytest.raises(ValueError, match=re.escape(f'in folder {empty}')):
        inferencer(empty)
    missing = tmp_path / 'missing.jpg'
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        inferencer(str(missing))


def test_a_missing_config_is_named(tmp_path):
    missing = tmp_path / 'no_config.py'
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        DepthInferencer(str(missing), device='cpu')


def test_flip_matches_inference_model(inferencer, nyu_model):
    img = make_image(40, 56, seed=4)
    out = inferencer([img], flip=True)
    expected = depth_of(inference_model(nyu_model, img, flip=True))[0]
    np.testing.assert_allclose(out['predictions'][0], expected, rtol=1e-6, atol=1e-6)
    plain = inferencer([img])['predictions'][0]
    assert np.abs(plain - out['predictions'][0]).max() > 1e-4
