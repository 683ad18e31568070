"""Split files: training lines must name a depth map; focal lengths must be plausible."""
import pytest

from mmdepth_dgr.datasets import KITTIDepthDataset, NYUDepthDataset
from mmdepth_dgr.datasets.bts_dataset import FOCAL_RANGE, parse_split_line


@pytest.mark.parametrize('line', ['c.png', 'c.png None', 'c.png None 721.5'])
def test_training_line_without_depth_names_file_and_line(tmp_path, line):
    """The reported case: a one-column line became a GT-less sample, then training crashed
    in the head ('SegDataSample' object has no attribute 'gt_depth_map')."""
    split = tmp_path / 'train.txt'
    split.write_text(f'a.png b.png 721.5\n\n{line}\n')
    with pytest.raises(ValueError) as info:
        KITTIDepthDataset(ann_file=str(split), check_files=False)
    message = str(info.value)
    assert message.startswith(f'{split}:3: no depth map on this line')
    assert 'test_mode=True' in message
    # the same file is a valid inference split
    ds = KITTIDepthDataset(ann_file=str(split), check_files=False, test_mode=True)
    assert [ds.get_data_info(i)['has_gt'] for i in range(len(ds))] == [True, False]


def test_parse_split_line_require_depth():
    assert parse_split_line('a.png b.png 7', 'f', 1, None, require_depth=True) == (
        'a.png', 'b.png', 7.0)
    with pytest.raises(ValueError, match='^f:4: no depth map'):
        parse_split_line('a.png', 'f', 4, 7.0, require_depth=True)


@pytest.mark.parametrize('focal, reason', [
    ('inf', 'must be a finite number'),
    ('-inf', 'must be a finite number'),
    ('nan', 'must be a finite number'),
    ('1e-300', 'is outside the plausible range'),
    ('0.5', 'is outside the plausible range'),
    ('2e5', 'is outside the plausible range'),
    ('0', 'must be positive'),
])
def test_implausible_focal_names_file_and_line(tmp_path, focal, reason):
    split = tmp_path / 'split.txt'
    split.write_text(f'a.jpg b.png 518.8579\na.jpg b.png {focal}\n')
    with pytest.raises(ValueError, match=f'^{split}:2: focal length .*{reason}'):
        NYUDepthDataset(ann_file=str(split), check_files=False)


def test_focal_range_bounds_are_accepted(tmp_path):
    low, high = FOCAL_RANGE
    split = tmp_path / 'split.txt'
    split.write_text(f'a.jpg b.png {low}\na.jpg b.png {high}\n')
    ds = NYUDepthDataset(ann_file=str(split), check_files=False)
    assert [ds.get_data_info(i)['focal'] for i in range(2)] == [low, high]


@pytest.mark.parametrize('focal', [float('inf'), 1e-300, float('nan')])
def test_implausible_default_focal_is_an_error(tmp_path, focal):
    split = tmp_path / 'split.txt'
    split.write_text('a.jpg b.png\n')
    with pytest.raises(ValueError, match='KITTIDepthDataset default_focal: focal length'):
        KITTIDepthDataset(ann_file=str(split), check_files=False, default_focal=focal)
