"""The construction checks of BVLC's layers added for issue 11 (N340-N346, N420, N424-N426,
and the new checks of N314, N405, N406, N408, N409 and N410): one fixture with one mistake
per check, in tests/fixtures/layer_setup/, and the one finding it gets, exactly.

Every quoted ``Check failed`` (or ``LOG(FATAL)``) text is compared with real Caffe's in
tests/test_oracle.py (``test_the_finding_quotes_the_check_caffe_fails``); here the place, the
whole message and the hint are pinned, and the fixture must get no other error.
"""

from __future__ import annotations

import pytest
from conftest import lint_fixture, lint_text

#: (fixture, code, line, column, message, hint)
CASES = [
    ('slice_axis_and_dim', 'N340', 10, 25,
     'Slice layer \'cut\': Caffe aborts at net setup with "Check failed: '
     '!(slice_param.has_axis() && slice_param.has_slice_dim()) Either axis or slice_dim '
     'should be specified; not both."',
     'delete `slice_dim` and keep `axis`'),
    ('concat_axis_and_dim', 'N340', 10, 26,
     'Concat layer \'cat\': Caffe aborts at net setup with "Check failed: '
     '!(concat_param.has_axis() && concat_param.has_concat_dim()) Either axis or '
     'concat_dim should be specified; not both."',
     'delete `concat_dim` and keep `axis`'),
    ('slice_dim_negative', 'N410', 10, 17,
     "Slice layer 'cut': `slice_dim: 4294967295` is negative as a C++ int (-1): Caffe "
     'aborts while setting the net up with "Check failed: slice_axis_ >= 0 (-1 vs. 0) '
     'casting slice_dim from uint32 to int32 produced negative result; slice_dim must '
     'satisfy 0 <= slice_dim < 32"',
     '`slice_dim` counts from 0 and cannot be negative; use `axis: -1` for the last axis'),
    ('slice_dim_out_of_range', 'N410', 10, 17,
     "Slice layer 'cut': `slice_dim: 4` is not an axis of `data` (2x6x4x4, 4 axes): Caffe "
     'aborts while setting the net up with "Check failed: slice_axis_ < num_axes (4 vs. 4) '
     'slice_dim out of range."',
     'use an axis from 0 to 3'),
    ('slice_point_count', 'N408', 10, 25,
     "Slice layer 'cut': 2 `slice_point`s for 2 tops: Caffe aborts while setting the net "
     'up with "Check failed: slice_point_.size() == top.size() - 1 (2 vs. 1)"',
     'give 1 slice point (one between each two tops), or 3 tops'),
    ('slice_points_descending', 'N408', 11, 40,
     "Slice layer 'cut': `slice_point: 2` is not above the point before it (4; the first "
     'must be above 0): Caffe aborts while setting the net up with "Check failed: '
     'slice_point_[i] > prev (2 vs. 4)"',
     'give the slice points in ascending order, each above 0 and below the axis size'),
    ('slice_too_many_tops', 'N408', 12, 3,
     "Slice layer 'cut' cuts axis 2 of `data` (2x6x4x4), which has 4 entries, into 5 tops: "
     'Caffe aborts while setting the net up with "Check failed: top.size() <= '
     'bottom_slice_axis (5 vs. 4) slice axis: 2, bottom[0] shape: 2 6 4 4 (192)"',
     'use at most 4 tops'),
    ('concat_dim_negative', 'N410', 10, 18,
     "Concat layer 'cat': `concat_dim: 4294967295` is negative as a C++ int (-1): Caffe "
     'aborts while setting the net up with "Check failed: concat_axis_ >= 0 (-1 vs. 0) '
     'casting concat_dim from uint32 to int32 produced negative result; concat_dim must '
     'satisfy 0 <= concat_dim < 32"',
     '`concat_dim` counts from 0 and cannot be negative; use `axis: -1` for the last axis'),
    ('concat_dim_out_of_range', 'N410', 10, 18,
     "Concat layer 'cat': `concat_dim: 4` is not an axis of `data` (2x6x4x4, 4 axes): "
     'Caffe aborts while setting the net up with "Check failed: concat_axis_ < num_axes (4 '
     'vs. 4) concat_dim out of range."',
     'use an axis from 0 to 3'),
    ('reshape_two_inferred', 'N405', 9, 42,
     "Reshape layer 'r': `shape` has 2 dims of -1: Caffe aborts while setting the net up "
     'with "Check failed: inferred_axis_ == -1 (1 vs. -1) new shape contains multiple -1 '
     'dims; at most a single (1) value of -1 may be specified"',
     "keep one -1 (the dimension to infer) and write the others, or 0 to copy the input's"),
    ('reshape_axis_past_end', 'N410', 9, 36,
     "Reshape layer 'r': axis 5 with num_axes -1 does not fit `data` (2x6x4x4, 4 axes): "
     'Caffe aborts while setting the net up with "Check failed: start_axis <= '
     'bottom[0]->num_axes() (5 vs. 4) axis 5 out of range for 4-D input blob"',
     'use an axis from -5 to 4 (-1 is after the last axis)'),
    ('reshape_axis_before_start', 'N410', 9, 36,
     "Reshape layer 'r': axis -6 with num_axes -1 does not fit `data` (2x6x4x4, 4 axes): "
     'Caffe aborts while setting the net up with "Check failed: start_axis >= 0 (-1 vs. 0) '
     'axis -6 out of range"',
     'use an axis from -5 to 4 (-1 is after the last axis)'),
    ('reshape_num_axes_negative', 'N410', 9, 37,
     "Reshape layer 'r': axis 0 with num_axes -2 does not fit `data` (2x6x4x4, 4 axes): "
     'Caffe aborts while setting the net up with "Check failed: num_axes >= -1 (-2 vs. -1) '
     'num_axes must be >= 0, or -1 for all"',
     'use -1 to replace every axis from `axis` on'),
    ('reshape_num_axes_past_end', 'N410', 9, 45,
     "Reshape layer 'r': axis 2 with num_axes 3 does not fit `data` (2x6x4x4, 4 axes): "
     'Caffe aborts while setting the net up with "Check failed: end_axis <= '
     'bottom[0]->num_axes() (5 vs. 4) end_axis = axis + num_axes is out of range"',
     'use a num_axes of at most 2 here, or -1 for all the rest'),
    ('in_place_absval', 'N341', 4, 49,
     "AbsVal layer 'l' writes its top 'data' over its bottom, which AbsVal refuses: Caffe "
     'aborts at net setup with "Check failed: top[0] != bottom[0] (0x... vs. 0x...) AbsVal '
     'Layer does not allow in-place computation."',
     "give the top its own name (e.g. 'l') and let the layers after it read that"),
    ('in_place_flatten', 'N341', 4, 50,
     "Flatten layer 'l' writes its top 'data' over its bottom, which Flatten refuses: "
     'Caffe aborts at net setup with "Check failed: top[0] != bottom[0] (0x... vs. 0x...) '
     'Flatten Layer does not allow in-place computation."',
     "give the top its own name (e.g. 'l') and let the layers after it read that"),
    ('in_place_reshape', 'N341', 4, 50,
     "Reshape layer 'l' writes its top 'data' over its bottom, which Reshape refuses: "
     'Caffe aborts at net setup with "Check failed: top[0] != bottom[0] (0x... vs. 0x...) '
     'Reshape Layer does not allow in-place computation."',
     "give the top its own name (e.g. 'l') and let the layers after it read that"),
    ('in_place_split', 'N341', 4, 48,
     "Split layer 'l' writes its top 'data' over its bottom, which Split refuses: Caffe "
     'aborts at net setup with "Check failed: top[i] != bottom[0] (0x... vs. 0x...) Split '
     'Layer does not allow in-place computation."',
     "give the top its own name (e.g. 'l') and let the layers after it read that"),
    ('tile_without_tiles', 'N342', 9, 3,
     'Tile layer \'tile\': Caffe aborts at net setup with "Check failed: '
     'tile_param.has_tiles() Number of tiles must be specified"',
     'give `tile_param { tiles: N }`, how many copies to make'),
    ('tile_zero_tiles', 'N342', 9, 16,
     'Tile layer \'tile\': Caffe aborts at net setup with "Check failed: tiles_ > 0 (0 vs. '
     '0) Number of tiles must be positive."',
     'give a `tiles` of 1 or more'),
    ('embed_without_num_output', 'N342', 9, 3,
     'Embed layer \'embed\': Caffe aborts at net setup with "Check failed: N_ > 0 (0 vs. '
     '0) EmbedLayer num_output must be positive."',
     'set `embed_param { num_output }`: the size of each embedding vector'),
    ('embed_without_input_dim', 'N342', 9, 3,
     'Embed layer \'embed\': Caffe aborts at net setup with "Check failed: K_ > 0 (0 vs. '
     '0) EmbedLayer input_dim must be positive."',
     'set `embed_param { input_dim }`: the number of distinct input indices (the vocabulary size)'),
    ('argmax_top_k_zero', 'N342', 9, 18,
     'ArgMax layer \'top\': Caffe aborts at net setup with "Check failed: top_k_ >= 1 (0 '
     'vs. 1) top k must not be less than 1."',
     'use a `top_k` of 1 or more (1, the default, is the arg max)'),
    ('argmax_top_k_axis', 'N420', 9, 18,
     "ArgMax layer 'top': `top_k: 7` is more than the 6 entries of axis 1 of `data` "
     '(2x6x4x4): Caffe aborts while setting the net up with "Check failed: top_k_ <= '
     'bottom[0]->shape(axis_) (7 vs. 6) top_k must be less than or equal to the dimension '
     'of the axis."',
     'use a top_k of at most 6'),
    ('argmax_top_k_count', 'N420', 9, 18,
     "ArgMax layer 'top': `top_k: 97` is more than the 96 values per item of `data` "
     '(2x6x4x4): Caffe aborts while setting the net up with "Check failed: top_k_ <= '
     'bottom[0]->count(1) (97 vs. 96) top_k must be less than or equal to the dimension of '
     'the flattened bottom blob per instance."',
     'use a top_k of at most 96'),
    ('memory_data_no_width', 'N342', 9, 3,
     'MemoryData layer \'mem\': Caffe aborts at net setup with "Check failed: batch_size_ '
     '* size_ > 0 (0 vs. 0) batch_size, channels, height, and width must be specified and '
     'positive in memory_data_param"',
     'set `width` in `memory_data_param` (all four default to 0)'),
    ('input_shape_count', 'N343', 10, 17,
     'Input layer \'more\': 2 `shape`s for 3 tops: Caffe aborts at net setup with "Check '
     'failed: num_shape == 0 || num_shape == 1 || num_shape == num_top Must specify '
     '\'shape\' once, once per top blob, or not at all: 3 tops vs. 2 shapes."',
     'give 3 shapes, one per top in order, or a single one for all'),
    ('crop_offset_count', 'N409', 12, 24,
     "Crop layer 'crop': 2 `offset`s from axis 1 of `data` (2x6x8x8, 4 axes), which has 3 "
     'axes from there: Caffe aborts while setting the net up with "Check failed: '
     'start_axis + param.offset_size() == input_dim (3 vs. 4) number of offset values '
     'specified must be equal to the number of dimensions following axis."',
     'give one offset for all the cropped axes, or 3 (one per axis from axis 1 on)'),
    ('pooling_2d_input', 'N424', 7, 3,
     "Pooling layer 'pool' windows a (num, channels, height, width) input, but `data` is "
     '2x6 (2 axes): Caffe aborts while setting the net up with "Check failed: 4 == '
     'bottom[0]->num_axes() (4 vs. 2) Input must have 4 axes, corresponding to (num, '
     'channels, height, width)"',
     'add the missing axes first (a Reshape with `shape { dim: 0 dim: 0 dim: 1 dim: 1 }`)'),
    ('pooling_global_5d_input', 'N424', 7, 3,
     "Pooling layer 'pool' windows a (num, channels, height, width) input, but `data` is "
     '2x6x4x4x4 (5 axes): Caffe aborts while setting the net up with "Check failed: '
     'num_axes() <= 4 (5 vs. 4) Cannot use legacy accessors on Blobs with > 4 axes."',
     'fold the extra axes into the batch or the channels first (a Reshape), or use a layer '
     'made for 5-D blobs (a Convolution)'),
    ('lrn_3d_input', 'N424', 7, 3,
     "LRN layer 'norm' windows a (num, channels, height, width) input, but `data` is 2x6x4 "
     '(3 axes): Caffe aborts while setting the net up with "Check failed: 4 == '
     'bottom[0]->num_axes() (4 vs. 3) Input must have 4 axes, corresponding to (num, '
     'channels, height, width)"',
     'add the missing axes first (a Reshape with `shape { dim: 0 dim: 0 dim: 0 dim: 1 }`)'),
    ('spp_2d_input', 'N424', 7, 3,
     "SPP layer 'spp' windows a (num, channels, height, width) input, but `data` is 2x6 (2 "
     'axes): Caffe aborts while setting the net up with "Check failed: 4 == '
     'bottom[0]->num_axes() (4 vs. 2) Input must have 4 axes, corresponding to (num, '
     'channels, height, width)"',
     'add the missing axes first (a Reshape with `shape { dim: 0 dim: 0 dim: 1 dim: 1 }`)'),
    ('spp_zero_height', 'N424', 7, 3,
     "SPP layer 'spp': `data` (2x6x0x4) has height 0: Caffe aborts while setting the net "
     'up with "Check failed: bottom_h_ > 0 (0 vs. 0) Input dimensions cannot be zero."',
     'give the SPP layer an input with a height and width of 1 or more'),
    ('prelu_1d_input', 'N424', 7, 3,
     "PReLU layer 'prelu' learns a slope per channel (axis 1), but `data` is 6 (1 axis): "
     'Caffe aborts while setting the net up with "Check failed: bottom[0]->num_axes() >= 2 '
     '(1 vs. 2) Number of axes of bottom blob must be >=2."',
     'give PReLU an input with a channel axis, or use ReLU/ELU'),
    ('batch_reindex_2d_indices', 'N424', 10, 3,
     "BatchReindex layer 'pick' takes a 1-D list of indices as its second bottom, but "
     '`index` is 2x1 (2 axes): Caffe aborts while setting the net up with "Check failed: 1 '
     '== bottom[1]->num_axes() (1 vs. 2)"',
     'flatten the indices to one axis (a Reshape with `dim: -1`)'),
    ('v0_padding_into_relu', 'N344', 8, 32,
     'V0 layer \'relu1\': Caffe aborts when it reads the file with "Check failed: '
     '(layer_param.type() == "conv") || (layer_param.type() == "pool") Padding layer input '
     'to non-convolutional / non-pooling layer type relu"',
     "give the pad to a conv or pool layer, or drop padding layer 'pad1'"),
    ('v0_padding_two_tops', 'N344', 7, 10,
     'V0 layer \'pad1\': Caffe aborts when it reads the file with "Check failed: '
     'source_layer.top_size() == 1 (2 vs. 1) Padding Layer produces a single blob as '
     'output."',
     "write the pad into the conv layer itself (`pad: 1`) and drop padding layer 'pad1'"),
    ('v0_padding_two_bottoms', 'N344', 12, 10,
     'V0 layer \'pad1\': Caffe aborts when it reads the file with "Check failed: '
     'source_layer.bottom_size() == 1 (2 vs. 1) Padding Layer takes a single blob as '
     'input."',
     "write the pad into the pool layer itself (`pad: 1`) and drop padding layer 'pad1'"),
    ('v0_padding_conv_two_bottoms', 'N344', 8, 10,
     'V0 layer \'conv1\': Caffe aborts when it reads the file with "Check failed: '
     'layer_connection.bottom_size() == 1 (2 vs. 1) Conv Layer takes a single blob as '
     'input."',
     "write the pad into the conv layer itself (`pad: 1`) and drop padding layer 'pad1'"),
    ('v0_unknown_type', 'N344', 9, 32,
     'V0 layer \'relu1\': Caffe aborts when it reads the file with "Unknown layer name: ReLU"',
     'write `type: "relu"` (V0 names are lower case)'),
    ('transform_mean_file_and_values', 'N345', 7, 51,
     'MemoryData layer \'mem\': Caffe aborts at net setup with "Check failed: '
     'param_.mean_value_size() == 0 (3 vs. 0) Cannot specify mean_file and mean_value at '
     'the same time"',
     'keep either `mean_file` or the `mean_value`s'),
    ('transform_on_hdf5_data', 'N345', 7, 3,
     'HDF5Data layer \'data\': Caffe aborts at net setup with "Check failed: '
     '!this->layer_param_.has_transform_param() HDF5Data does not transform data."',
     'delete `transform_param` and write the HDF5 files already scaled, cropped and '
     'mean-subtracted'),
    ('filter_top_count', 'N314', 12, 3,
     'layer \'filter\' (Filter): Caffe aborts at net setup with "Check failed: top.size() '
     '== bottom.size() - 1 (2 vs. 1)"',
     'give the layer 1 top: one per filtered bottom (the last bottom is the selector)'),
    ('ave_pooling_mask_top', 'N314', 9, 3,
     'layer \'pool\' (Pooling): Caffe aborts at net setup with "Check failed: '
     'MaxTopBlobs() >= top.size() (1 vs. 2) Pooling Layer produces at most 1 top blob(s) '
     'as output."',
     'give the layer at most 1 `top` blob'),
    ('conv_bottoms_differ', 'N425', 10, 3,
     "Convolution layer 'conv' convolves each bottom with the same weights, but `big` is "
     '2x3x8x8 and `small` is 2x3x4x4: Caffe aborts while setting the net up with "Check '
     'failed: bottom[0]->shape() == bottom[bottom_id]->shape() shape mismatch - bottom[0]: '
     '2 3 8 8 (384) vs. bottom[1]: 2 3 4 4 (96)"',
     'give every bottom of the layer the same shape, or use one layer per input (sharing '
     'the weights with `param { name: ... }`)'),
    ('filter_selector_not_singleton', 'N425', 10, 3,
     "Filter layer 'filter': the selector `keep` (4x2) has 2 entries on axis 1: Caffe "
     'aborts while setting the net up with "Check failed: bottom[selector_index]->shape(i) '
     '== 1 (2 vs. 1) Selector blob dimensions must be singletons (1), except the first"',
     'give the selector one value per item: shape (N) or (N, 1)'),
    ('filter_selector_other_batch', 'N425', 9, 3,
     "Filter layer 'filter': the selector `keep` (8) selects among 8 items, but `data` "
     '(4x6) has 4: Caffe aborts while setting the net up with "Check failed: '
     'bottom[selector_index]->shape(0) == bottom[i]->shape(0) (8 vs. 4) Each bottom should '
     'have the same 0th dimension as the selector blob"',
     'feed the Filter blobs of the same batch as its selector'),
    ('blobs_conv_count', 'N426', 9, 3,
     "Convolution layer 'conv' is given weights in the prototxt (`blobs`): 1 blob, but it "
     'has 2 (weights and bias): Caffe aborts while setting the net up with "Check failed: '
     '1 + bias_term_ == this->blobs_.size() (2 vs. 1) Incorrect number of weight blobs."',
     'give 2 `blobs`, or none (the fillers make them)'),
    ('blobs_conv_weight_shape', 'N426', 9, 3,
     "Convolution layer 'conv' is given weights in the prototxt (`blobs`): blob 0 is "
     "1x2x1x1, but the layer's weight is 1x2x3x3: Caffe aborts while setting the net up "
     'with "Incorrect weight shape: expected shape 1 2 3 3 (18); instead, shape was 1 2 1 '
     '1 (2)"',
     'give blob 0 the shape 1x2x3x3, or drop the written `blobs` and let the fillers make them'),
    ('blobs_conv_bias_shape', 'N426', 10, 3,
     "Convolution layer 'conv' is given weights in the prototxt (`blobs`): blob 1 is 2, "
     'but the layer\'s bias is 1: Caffe aborts while setting the net up with "Incorrect '
     'bias shape: expected shape 1 (1); instead, shape was 2 (2)"',
     'give blob 1 the shape 1, or drop the written `blobs` and let the fillers make them'),
    ('blobs_prelu_channels', 'N426', 9, 3,
     "PReLU layer 'prelu' is given 3 slopes in the prototxt (`blobs`), but has 2 channels: "
     'Caffe aborts while setting the net up with "Check failed: this->blobs_[0]->count() '
     '== channels (3 vs. 2) Negative slope size is inconsistent with prototxt config"',
     'give 2 slope values, or drop the written `blobs`'),
    ('blobs_prelu_shared', 'N426', 9, 3,
     "PReLU layer 'prelu' is given 2 slopes in the prototxt (`blobs`), but shares one: "
     'Caffe aborts while setting the net up with "Check failed: this->blobs_[0]->count() '
     '== 1 (2 vs. 1) Negative slope size is inconsistent with prototxt config"',
     'give 1 slope value, or drop the written `blobs`'),
    ('infogain_without_matrix', 'N346', 8, 3,
     "InfogainLoss layer 'loss' has no infogain matrix (no `source`, no third bottom): "
     'Caffe aborts at net setup with "Check failed: '
     'this->layer_param_.infogain_loss_param().has_source() Infogain matrix source must be '
     'specified."',
     'give `infogain_loss_param { source: "H.binaryproto" }`, or H as a third bottom'),
    ('infogain_label_count', 'N406', 12, 3,
     '`loss` gets 4 predictions (`score` 2x3x2, classes on axis 1) but 2 labels (`label` '
     '2x1): Caffe aborts while setting the net up with "Check failed: outer_num_ * '
     'inner_num_ == bottom[1]->count() (4 vs. 2) Number of labels must match number of '
     'predictions; e.g., if infogain axis == 1 and prediction shape is (N, C, H, W), label '
     'count (number of labels) must be N*H*W, with integer values in {0, 1, ..., C-1}."',
     'the prediction needs one vector of class scores per label: check num_output and the '
     'infogain axis, and that the label blob holds one class index per sample'),
]


@pytest.mark.parametrize(("name", "code", "line", "column", "message", "hint"), CASES,
                         ids=[c[0] for c in CASES])
def test_the_check_caffe_fails_is_one_finding(name: str, code: str, line: int, column: int,
                                              message: str, hint: str) -> None:
    errors = [f for f in lint_fixture(f"layer_setup/{name}.prototxt", dialect="bvlc")
              if f.severity.label == "error"]
    assert [(f.code, f.line, f.column) for f in errors] == [(code, line, column)]
    (f,) = errors
    assert f.message == message
    assert f.hint == hint
    # a V0 file is refused as a whole; a net with a data layer and no loss is evaluated
    # (TEST), one with inputs and a loss is trained (TRAIN)
    phases = () if code == "N344" else ("TEST",) if name.startswith("transform_") else (
        ("TRAIN",) if name.startswith("infogain_") else ("deploy",))
    assert f.phases == phases


def test_the_good_fixture_is_clean() -> None:
    """Caffe builds it (the oracle suite constructs every fixture): each checked field is
    used in a form Caffe accepts, slice_dim and concat_dim included."""
    findings = lint_fixture("layer_setup/good_sizes_and_axes.prototxt", dialect="bvlc")
    assert [f.code for f in findings if f.severity.label == "error"] == []


def test_param_checks_need_no_shapes() -> None:
    """Slice points, Reshape's -1s and the required sizes are read from the layer alone: an
    input of unknown shape (a Python layer's top) still gets them."""
    text = (
        'layer { name: "py" type: "Python" top: "x" python_param { module: "m" layer: "L" } }\n'
        'layer { name: "cut" type: "Slice" bottom: "x" top: "a" top: "b"\n'
        '        slice_param { slice_point: 3 slice_point: 1 } }\n'
        'layer { name: "r" type: "Reshape" bottom: "a" top: "r"\n'
        '        reshape_param { shape { dim: -1 dim: -1 } } }\n'
        'layer { name: "t" type: "Tile" bottom: "b" top: "t" }\n'
    )
    found = lint_text(text, select=("N405", "N408", "N342"), dialect="bvlc")
    assert [(f.code, f.line) for f in found] == [("N408", 3), ("N405", 5), ("N342", 6)]


def test_shape_checks_stay_quiet_on_unknown_shapes() -> None:
    """An axis count or a dimension that is not known gives no finding."""
    text = (
        'layer { name: "py" type: "Python" top: "x" python_param { module: "m" layer: "L" } }\n'
        'layer { name: "cut" type: "Slice" bottom: "x" top: "a" top: "b"\n'
        '        slice_param { slice_dim: 7 } }\n'
        'layer { name: "pool" type: "Pooling" bottom: "a" top: "p"\n'
        '        pooling_param { kernel_size: 2 } }\n'
        'layer { name: "top" type: "ArgMax" bottom: "b" top: "k" argmax_param { top_k: 500 } }\n'
    )
    assert lint_text(text, select=("N4", "N34"), dialect="bvlc") == []


def test_in_place_after_a_split_is_n301_not_n341() -> None:
    """A blob that two layers read is split first: the in-place AbsVal then writes a second
    producer of the original blob (N301), and never reaches its own check (measured:
    construct_net aborts with "Top blob 'data' produced by multiple sources.")."""
    text = (
        'input: "data"\ninput_shape { dim: 1 dim: 4 }\n'
        'layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"\n'
        '        inner_product_param { num_output: 2 } }\n'
        'layer { name: "abs" type: "AbsVal" bottom: "data" top: "data" }\n'
    )
    codes = [f.code for f in lint_text(text, dialect="bvlc") if f.severity.label == "error"]
    assert codes == ["N301"]


def test_in_place_relu_is_fine() -> None:
    text = ('input: "data"\ninput_shape { dim: 1 dim: 4 }\n'
            'layer { name: "relu" type: "ReLU" bottom: "data" top: "data" }\n')
    assert lint_text(text, select=("N341",), dialect="bvlc") == []


#: ImageData and WindowData (tests/fixtures/layer_setup_imagedata/, compared with the
#: oracle's ImageData build in tests/test_oracle.py): (fixture, code, line, column, message,
#: hint)
IMAGE_CASES = [
    ('new_height_only', 'N342', 4, 61,
     'ImageData layer \'data\': Caffe aborts at net setup with "Check failed: (new_height == 0'
     ' && new_width == 0) || (new_height > 0 && new_width > 0) Current implementation requires'
     ' new_height and new_width to be set at the same time."',
     'give `new_width` too, or neither (then images keep their size)'),
    ('new_width_only', 'N342', 4, 61,
     'ImageData layer \'data\': Caffe aborts at net setup with "Check failed: (new_height == 0'
     ' && new_width == 0) || (new_height > 0 && new_width > 0) Current implementation requires'
     ' new_height and new_width to be set at the same time."',
     'give `new_height` too, or neither (then images keep their size)'),
    ('batch_size_zero', 'N342', 4, 47,
     'ImageData layer \'data\': Caffe aborts at net setup with "Check failed: batch_size > 0'
     ' (0 vs. 0) Positive batch size required"', 'use a `batch_size` of 1 or more'),
    ('crop_above_new_size', 'N345', 3, 27,
     'ImageData layer \'data\': Caffe aborts at net setup with "Check failed: img_height >='
     ' crop_size (8 vs. 10)"',
     'crop at most 8 (ImageData resizes every image to 8 x 12), or resize to at least the'
     ' crop'),
    ('crop_above_new_width', 'N345', 3, 27,
     'ImageData layer \'data\': Caffe aborts at net setup with "Check failed: img_width >='
     ' crop_size (8 vs. 10)"',
     'crop at most 8 (ImageData resizes every image to 12 x 8), or resize to at least the'
     ' crop'),
    ('window_without_crop', 'N345', 2, 22,
     'WindowData layer \'data\': Caffe aborts at net setup with "Check failed: crop_size > 0'
     ' (0 vs. 0)"',
     'give `transform_param { crop_size: N }`: WindowData crops every window to N x N'),
]


@pytest.mark.parametrize(("name", "code", "line", "column", "message", "hint"), IMAGE_CASES,
                         ids=[c[0] for c in IMAGE_CASES])
def test_image_data_set_up_checks(name: str, code: str, line: int, column: int, message: str,
                                  hint: str) -> None:
    errors = [f for f in lint_fixture(f"layer_setup_imagedata/{name}.prototxt",
                                      dialect="bvlc") if f.severity.label == "error"]
    assert [(f.code, f.line, f.column, f.message, f.hint) for f in errors] == [
        (code, line, column, message, hint)]


def test_image_data_crop_without_a_resize_is_left_to_the_images() -> None:
    """Without new_height/new_width the first image's own size decides: nothing to say."""
    text = ('layer { name: "data" type: "ImageData" top: "data" top: "label"\n'
            '  transform_param { crop_size: 227 }\n'
            '  image_data_param { source: "list.txt" batch_size: 2 } }\n')
    assert [f.code for f in lint_text(text, dialect="bvlc") if f.code in ("N342", "N345")] == []
