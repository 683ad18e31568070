"""Depth colouring and DepthLocalVisualizer's side-by-side panels (one file per frame), as
mmseg's own tools and APIs call it (browse_dataset.py, MMSegInferencer, show_result_pyplot)."""
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import VISUALIZERS
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from mmdepth_dgr.visualization import DepthLocalVisualizer, colorize_depth, depth_panels

CAPTION_ROWS = 16  # _label writes the panel caption into the top rows


def _visualizer(name, tmp_path=None, **kwargs):
    """A visualizer with a LocalVisBackend writing under ``tmp_path`` (none without it)."""
    if tmp_path is not None:
        kwargs.update(save_dir=str(tmp_path), vis_backends=[dict(type='LocalVisBackend')])
    return DepthLocalVisualizer(name=name, **kwargs)


def _sample(gt=None, pred=None, **meta):
    sample = SegDataSample(metainfo=meta)
    if gt is not None:
        sample.gt_depth_map = PixelData(data=torch.as_tensor(gt, dtype=torch.float32)[None])
    if pred is not None:
        sample.pred_depth_map = PixelData(data=torch.as_tensor(pred, dtype=torch.float32)[None])
    return sample


def _read_rgb(path):
    drawn = cv2.imread(str(path))
    assert drawn is not None, f'no picture at {path}'
    return drawn[..., ::-1]


def _coded_image(h, w):
    """An RGB image whose every pixel is distinct (row in R, column in G)."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([yy * 5, xx * 5, np.full_like(yy, 100)], -1).astype(np.uint8)


def test_colorize_depth_marks_invalid_and_orders_near_far():
    depth = np.array([[1.0, 5.0, 0.0, np.nan]])
    rgb = colorize_depth(depth, 1.0, 5.0)
    assert rgb.shape == (1, 4, 3) and rgb.dtype == np.uint8
    assert (rgb[0, 2] == 0).all() and (rgb[0, 3] == 0).all()
    assert rgb[0, 0].astype(int).sum() > rgb[0, 1].astype(int).sum()  # near is bright
    with pytest.raises(ValueError, match='unknown colormap'):
        colorize_depth(depth, 0, 1, cmap='not_a_colormap')


def test_visualizer_writes_four_panels(tmp_path):
    vis = _visualizer('test_vis_panels', tmp_path)
    sample = _sample(gt=np.full((12, 16), 2.5), pred=np.full((12, 16), 2.0))
    image = np.zeros((12, 16, 3), np.uint8)
    out = tmp_path / 'x.png'
    vis.add_datasample('x', image, sample, out_file=str(out))
    assert _read_rgb(out).shape == (12, 64, 3)
    assert depth_panels(image, np.ones((12, 16))).shape == (12, 32, 3)
    # frames with the same basename in different scenes get different pictures
    for scene in ('office_0001', 'kitchen_0002'):
        sample.set_metainfo(dict(img_path=f'/d/{scene}/rgb_00000.jpg',
                                 rel_img_path=f'{scene}/rgb_00000.jpg'))
        vis.add_datasample('test_rgb_00000.jpg', image, sample)
    names = sorted(p.name for p in tmp_path.rglob('test_*.png'))
    assert names == ['test_kitchen_0002__rgb_00000_0.png', 'test_office_0001__rgb_00000_0.png']


def test_is_a_seg_local_visualizer_built_from_a_config(tmp_path):
    """MMSegInferencer asserts SegLocalVisualizer, sets the dataset meta and alpha."""
    vis = VISUALIZERS.build(dict(type='DepthLocalVisualizer', name='test_vis_build',
                                 max_depth=5.0, cmap='turbo', alpha=0.3,
                                 vis_backends=[dict(type='LocalVisBackend')],
                                 save_dir=str(tmp_path)))
    assert isinstance(vis, DepthLocalVisualizer) and isinstance(vis, SegLocalVisualizer)
    assert (vis.max_depth, vis.cmap, vis.alpha) == (5.0, 'turbo', 0.3)
    assert list(vis._vis_backends) == ['LocalVisBackend']
    vis.set_dataset_meta(None, None, None)  # a depth checkpoint's classes / palette
    vis.alpha = 0.8
    vis.add_datasample('a', np.zeros((4, 6, 3), np.uint8), _sample(pred=np.ones((4, 6))),
                       draw_gt=False, out_file=str(tmp_path / 'a.png'))
    assert _read_rgb(tmp_path / 'a.png').shape == (4, 12, 3)
    with pytest.raises(ValueError, match="unknown colormap 'not_a_colormap'"):
        DepthLocalVisualizer(name='test_vis_bad_cmap', cmap='not_a_colormap')


@pytest.mark.parametrize('dtype', [np.uint8, np.float32])
def test_browse_dataset_call_draws_image_and_ground_truth(tmp_path, dtype):
    """browse_dataset.py: augmented input from a tensor, ``data_samples.numpy()``, no
    prediction, draw_pred=False; a KB-cropped training input is not cropped again."""
    h, w = 24, 32
    gt = np.tile(np.linspace(1.0, 5.0, w, dtype=np.float32), (h, 1))  # far to the right
    gt[:, : w // 4] = 0  # left quarter unknown
    sample = _sample(gt=gt, img_path='/kitti/drive/0000000000.png',
                     rel_img_path='drive/0000000000.png', kb_crop_offset=(7, 5),
                     uncropped_shape=(60, 80))
    inputs = torch.from_numpy(_coded_image(h, w)[..., ::-1].copy()).permute(2, 0, 1)
    img = inputs.permute(1, 2, 0).numpy().astype(dtype)[..., [2, 1, 0]]  # bgr to rgb
    data_sample = sample.numpy()
    assert isinstance(data_sample.gt_depth_map.data, np.ndarray)
    vis = _visualizer(f'test_vis_browse_{np.dtype(dtype).name}')
    out = tmp_path / '0000000000.png'
    vis.add_datasample(name=out.name, image=img, data_sample=data_sample, draw_gt=True,
                       draw_pred=False, wait_time=2, out_file=str(out), show=False)
    drawn = _read_rgb(out)
    assert drawn.shape == (h, 2 * w, 3)
    np.testing.assert_array_equal(drawn[CAPTION_ROWS:, :w], _coded_image(h, w)[CAPTION_ROWS:])
    gt_panel = drawn[CAPTION_ROWS:, w:]
    known = gt[CAPTION_ROWS:] > 0
    assert (gt_panel[known].max(axis=-1) > 0).all()  # GT > 0 is coloured
    assert (gt_panel[~known] == 0).all()  # unknown GT is black
    brightness = gt_panel.astype(int).sum(axis=-1)[0]
    assert brightness[w // 4] > brightness[w // 2] > brightness[-1]  # near is bright
    np.testing.assert_array_equal(vis.get_image(), drawn)


def test_full_frame_of_a_kb_cropped_sample_is_cropped(tmp_path):
    """SegVisualizationHook / MMSegInferencer pass the image as read from disk."""
    full = _coded_image(30, 40)
    sample = _sample(gt=np.full((24, 32), 2.0), pred=np.full((24, 32), 2.5),
                     kb_crop_offset=(6, 4), uncropped_shape=(30, 40))
    vis = _visualizer('test_vis_kb_crop')
    vis.add_datasample('k', full, sample, out_file=str(tmp_path / 'k.png'))
    drawn = _read_rgb(tmp_path / 'k.png')
    assert drawn.shape == (24, 4 * 32, 3)
    np.testing.assert_array_equal(drawn[CAPTION_ROWS:, :32], full[6 + CAPTION_ROWS:30, 4:36])


def test_inferencer_call_draws_image_and_prediction(tmp_path):
    """MMSegInferencer: draw_gt=False, image and prediction at the original size, and
    return_vis=True reads get_image(); a sample without ground truth draws the same."""
    h, w = 20, 28
    image = _coded_image(h, w)
    pred = np.linspace(1.0, 4.0, h * w, dtype=np.float32).reshape(h, w)
    vis = _visualizer('test_vis_infer', tmp_path)
    vis.set_dataset_meta(None, None, None)
    vis.alpha = 0.8
    with_gt = _sample(gt=np.full((h, w), 9.0), pred=pred, img_path=None)
    vis.add_datasample('rgb_0001.jpg', image, with_gt, show=False, wait_time=0,
                       draw_gt=False, draw_pred=True, out_file=None, with_labels=True)
    np.testing.assert_array_equal(image, _coded_image(h, w))  # the caller's image is kept
    returned = vis.get_image()
    assert returned.shape == (h, 2 * w, 3)
    np.testing.assert_array_equal(returned[CAPTION_ROWS:, :w], image[CAPTION_ROWS:])
    pred_panel = returned[CAPTION_ROWS:, w:].astype(int)
    assert (pred_panel.max(axis=-1) > 0).all()
    near, far = pred_panel[0, 0].sum(), pred_panel[-1, -1].sum()
    assert near > far  # the prediction, not the 9 m ground truth, is drawn
    # without out_file the picture goes to the vis backend, under the name given
    assert [p.name for p in tmp_path.rglob('*.png')] == ['rgb_0001.jpg_0.png']
    out = tmp_path / 'pred_only.png'
    vis.add_datasample('pred_only.png', image, _sample(pred=pred), draw_gt=False,
                       out_file=str(out))
    np.testing.assert_array_equal(_read_rgb(out), returned)


def test_nothing_to_draw_warns_and_writes_nothing(tmp_path):
    vis = _visualizer('test_vis_nothing')
    image = np.zeros((4, 6, 3), np.uint8)
    cases = [
        (_sample(img_path='/d/scene/rgb_7.jpg'), {}, 'pred_depth_map or gt_depth_map'),
        (_sample(gt=np.ones((4, 6))), dict(draw_gt=False), 'no pred_depth_map'),
        (None, {}, 'no data sample'),
    ]
    for i, (sample, kwargs, reason) in enumerate(cases):
        with pytest.warns(UserWarning, match=f"nothing drawn or written for 'frame_{i}'.*"
                          f'{reason}'):
            vis.add_datasample(f'frame_{i}', image, sample, out_file=str(tmp_path / f'{i}.png'),
                               **kwargs)
    assert not list(tmp_path.iterdir())


def test_depth_panels_without_prediction_and_errors():
    image = np.zeros((5, 7, 3), np.uint8)
    gt = np.full((5, 7), 2.0)
    assert depth_panels(image, None, gt).shape == (5, 14, 3)
    assert depth_panels(image, gt=gt, pred=gt).shape == (5, 28, 3)
    with pytest.raises(ValueError, match='needs a prediction or a ground truth'):
        depth_panels(image)
    with pytest.raises(ValueError, match=r'\(5, 7\) and ground truth of shape \(4, 7\)'):
        depth_panels(image, gt, gt[:4])


def test_mmseg_show_result_pyplot_on_a_depth_result(tmp_path):
    """mmseg's show_result_pyplot (its own SegLocalVisualizer) with this project's
    dataset_meta (classes / palette None) draws a depth prediction."""
    from mmseg.apis import show_result_pyplot
    model = SimpleNamespace(dataset_meta=dict(classes=None, palette=None))
    image = _coded_image(12, 16)
    result = _sample(pred=np.linspace(1, 3, 12 * 16).reshape(12, 16))
    out = tmp_path / 'result.png'
    vis_img = show_result_pyplot(model, image, result, show=False, out_file=str(out))
    drawn = _read_rgb(out)
    assert drawn.shape == (24, 16, 3)  # mmseg stacks the image over the depth map
    np.testing.assert_array_equal(drawn[:12], image)
    np.testing.assert_array_equal(vis_img, drawn)


def test_depth_panels_draw_a_flat_prediction_without_ground_truth():
    """A head predicting 0 everywhere (dead, untrained) still gets a picture, no error."""
    drawn = depth_panels(np.zeros((6, 8, 3), np.uint8), pred=np.zeros((6, 8)))
    assert drawn.shape == (6, 16, 3)
    flat = depth_panels(np.zeros((6, 8, 3), np.uint8), pred=np.full((6, 8), 2.0))
    assert flat[:, 8:].any()  # the constant depth is coloured, not black
