"""N325-N330 and N410: layer parameters BVLC's LayerSetUp (or Net::AppendParam) refuses.

Every quoted ``Check failed`` text is compared with real Caffe's in tests/test_oracle.py
(``test_the_finding_quotes_the_check_caffe_fails``); here the exact findings are pinned.
"""

from __future__ import annotations

import pytest
from conftest import brief, lint_fixture, lint_text

SETUP = ("N325", "N326", "N327", "N328", "N329", "N330", "N331", "N332", "N333", "N410")


def _only(name: str) -> object:
    findings = [f for f in lint_fixture(f"layer_setup/{name}.prototxt", dialect="bvlc")
                if f.code in SETUP]
    assert len(findings) == 1, brief(findings)
    return findings[0]


def test_convolution_without_kernel() -> None:
    f = _only("conv_no_kernel")
    assert (f.code, f.line, f.column, f.severity.label, f.phases) == (
        "N325", 9, 3, "error", ("deploy",))
    assert f.message == (
        "Convolution layer 'conv1': Caffe aborts at net setup with \"Check failed:"
        " num_kernel_dims == 1 || num_kernel_dims == num_spatial_axes_ kernel_size must be"
        " specified once, or once per spatial dimension (kernel_size specified 0 times; 2"
        ' spatial dims)."'
    )
    assert f.hint == "give the kernel size (`kernel_size: 3`, or `kernel_h` and `kernel_w`)"


@pytest.mark.parametrize(("name", "where", "check", "hint"), [
    ("conv_kernel_both", (9, 52), "0 == conv_param.kernel_size_size() (0 vs. 1) Either"
     " kernel_size or kernel_h/w should be specified; not both.",
     "keep either `kernel_size` or the `kernel_h`/`kernel_w` pair"),
    ("conv_kernel_count", (9, 37), "num_kernel_dims == 1 || num_kernel_dims =="
     " num_spatial_axes_ kernel_size must be specified once, or once per spatial dimension"
     " (kernel_size specified 3 times; 2 spatial dims).",
     "give `kernel_size` once, or once per spatial axis"),
    ("conv_kernel_h_only", (9, 37), "kernel_shape_data[i] > 0 (0 vs. 0) Filter dimensions"
     " must be nonzero.", "give `kernel_w` too (it defaults to 0)"),
    ("conv_kernel_zero", (9, 37), "kernel_shape_data[i] > 0 (0 vs. 0) Filter dimensions must"
     " be nonzero.", "give a kernel of 1 or more"),
    ("conv_pad_both", (9, 59), "0 == conv_param.pad_size() (0 vs. 1) Either pad or pad_h/w"
     " should be specified; not both.", "keep either `pad` or the `pad_h`/`pad_w` pair"),
])
def test_convolution_parameters(name: str, where: tuple[int, int], check: str,
                                hint: str) -> None:
    f = _only(name)
    assert (f.code, f.line, f.column) == ("N325", *where)
    assert f.message == (
        f"Convolution layer 'conv1': Caffe aborts at net setup with \"Check failed: {check}\"")
    assert f.hint == hint


def test_deconvolution_stride_zero() -> None:
    f = _only("conv_stride_zero")
    assert (f.code, f.line, f.column, f.end_column) == ("N325", 9, 52, 61)
    assert f.message == (
        "Deconvolution layer 'conv1': Caffe aborts at net setup with \"Check failed:"
        ' stride_data[i] > 0 (0 vs. 0) Stride dimensions must be nonzero."'
    )


def test_no_convolution_param_points_at_the_type() -> None:
    findings = lint_fixture("layer_setup/conv_no_param.prototxt", dialect="bvlc")
    assert brief(findings) == [("N321", 6, 3), ("N325", 6, 3)]


def test_v1_convolution_without_kernel() -> None:
    text = (
        'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\n'
        'layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"\n'
        '         convolution_param { num_output: 4 } }\n'
    )
    (f,) = lint_text(text, select=("N325",), dialect="bvlc")
    assert (f.line, f.column) == (7, 10)
    assert "(kernel_size specified 0 times; 2 spatial dims)" in f.message


def test_training_net_without_phase_rules() -> None:
    text = (
        'layer { name: "data" type: "DummyData" top: "data" top: "label"\n'
        '        dummy_data_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } shape { dim: 2 } } }\n'
        'layer { name: "norm" type: "LRN" bottom: "data" top: "norm"\n'
        '        lrn_param { local_size: 0 } }\n'
        'layer { name: "fc" type: "InnerProduct" bottom: "norm" top: "fc"\n'
        '        inner_product_param { num_output: 2 } }\n'
        'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "l" }\n'
    )
    (f,) = lint_text(text, select=("N326",), dialect="bvlc")
    assert (f.line, f.column, f.phases) == (4, 21, ("TRAIN",))
    assert f.hint == "use an odd local_size (5 is Caffe's default)"


def test_lrn_even_local_size() -> None:
    f = _only("lrn_even")
    assert (f.code, f.line, f.column) == ("N326", 9, 15)
    assert f.message == (
        "LRN layer 'norm1': Caffe aborts at net setup with \"Check failed: size_ % 2 == 1 (0"
        ' vs. 1) LRN only supports odd values for local_size"'
    )
    assert f.hint == "use an odd local_size (5 or 3)"


def test_eltwise_coefficients() -> None:
    count, prod = _only("eltwise_coeff_count"), _only("eltwise_prod_coeff")
    assert (count.code, count.line, count.column) == ("N327", 13, 19)
    assert count.message.endswith(
        "coeff_size() == bottom.size() Eltwise Layer takes one coefficient per bottom blob.\"")
    assert count.hint == "give 3 `coeff` values (one per bottom, in order), or none"
    assert (prod.code, prod.line, prod.column) == ("N327", 11, 35)
    assert prod.message.endswith('Eltwise layer only takes coefficients for summation."')


def test_fillers() -> None:
    slip, custom = _only("filler_weight"), _only("filler_custom_bias")
    assert (slip.code, slip.line, slip.column, slip.severity.label) == (
        "N328", 12, 21, "error")
    assert slip.message == (
        "Convolution layer 'conv1': Caffe aborts at net setup with \"Check failed: false"
        ' Unknown filler name: Xavier"'
    )
    assert slip.hint == 'write `type: "xavier"`'
    assert (custom.code, custom.line, custom.column, custom.severity.label) == (
        "N330", 12, 19, "warning")
    assert custom.message == (
        "InnerProduct layer 'fc1': BVLC Caffe has no filler 'const' and aborts at net setup"
        ' with "Check failed: false Unknown filler name: const"; only a fork or custom build'
        " that registers it can set this net up"
    )


def test_unused_bias_filler_is_not_checked() -> None:
    text = (
        'input: "data"\ninput_shape { dim: 1 dim: 4 }\n'
        'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"\n'
        '        inner_product_param { num_output: 2 bias_term: false\n'
        '                              bias_filler { type: "Constant" } } }\n'
    )
    assert lint_text(text, select=SETUP, dialect="bvlc") == []


def test_axis_out_of_range() -> None:
    softmax, concat, flatten = (_only("axis_softmax"), _only("axis_concat_negative"),
                                _only("axis_flatten_end"))
    assert (softmax.code, softmax.line, softmax.column) == ("N410", 16, 19)
    assert softmax.message == (
        "Softmax layer 'prob': `axis: 2` is not an axis of `fc1` (2x10, 2 axes): Caffe aborts"
        ' while setting the net up with "Check failed: axis_index < num_axes() (2 vs. 2) axis 2'
        ' out of range for 2-D Blob with shape 2 10 (20)"'
    )
    assert softmax.hint == "use an axis from -2 to 1"
    assert (concat.line, concat.column) == (11, 18)
    assert '"Check failed: axis_index >= -num_axes() (-5 vs. -4) axis -5 out of range for' \
        ' 4-D Blob with shape 2 3 16 16 (1536)"' in concat.message
    assert (flatten.line, flatten.column) == (9, 27)
    assert flatten.message.startswith("Flatten layer 'flat': `end_axis: 4` is not an axis")


def test_axis_with_unknown_dims_quotes_no_shape() -> None:
    text = (
        'layer { name: "data" type: "Data" top: "data" top: "label"\n'
        '        data_param { source: "db" batch_size: 4 backend: LMDB } }\n'
        'layer { name: "prob" type: "Softmax" bottom: "data" top: "prob"\n'
        '        softmax_param { axis: 4 } }\n'
    )
    (f,) = lint_text(text, select=("N410",), dialect="bvlc")
    assert f.message.endswith('axis 4 out of range for 4-D Blob"')
    assert "`data` (4x?x?x?, 4 axes)" in f.message


def test_shared_parameters() -> None:
    shape, lr = _only("shared_shape"), _only("shared_lr_mult")
    assert (shape.code, shape.line, shape.column) == ("N329", 19, 3)
    assert shape.message == (
        "Convolution layer 'conv_b': Caffe aborts at net setup with \"Check failed:"
        " this_blob->shape() == owner_blob->shape() Cannot share param 'conv_w' owned by layer"
        " 'conv_a' with layer 'conv_b'; shape mismatch.  Owner layer param shape is 4 1 3 3"
        ' (36); sharing layer expects shape 4 2 3 3 (72)"'
    )
    assert (lr.code, lr.line, lr.column) == ("N329", 19, 24)
    assert lr.message == (
        "InnerProduct layer 'ip_b': Caffe aborts at net setup with \"Check failed:"
        " param_spec->lr_mult() == params_lr_[learnable_param_id] (1 vs. 2) Shared param"
        " 'ip_b' has mismatched lr_mult.\""
    )


def test_permissive_sharing_compares_counts() -> None:
    text = (
        'input: "a"\ninput_shape { dim: 1 dim: 6 }\ninput: "b"\ninput_shape { dim: 1 dim: 4 }\n'
        'layer { name: "ip_a" type: "InnerProduct" bottom: "a" top: "ip_a"\n'
        '        param { name: "w" } inner_product_param { num_output: 2 bias_term: false } }\n'
        'layer { name: "ip_b" type: "InnerProduct" bottom: "b" top: "ip_b"\n'
        '        param { name: "w" share_mode: PERMISSIVE }\n'
        '        inner_product_param { num_output: 3 bias_term: false } }\n'
    )
    assert lint_text(text, select=("N329",), dialect="bvlc") == []  # 2x6 and 3x4: 12 each
    (f,) = lint_text(text.replace("num_output: 3", "num_output: 4"), select=("N329",),
                     dialect="bvlc")
    assert (f.line, f.column) == (8, 9)
    assert f.message.endswith(
        "this_blob->count() == owner_blob->count() (16 vs. 12) Cannot share param 'w' owned by"
        " layer 'ip_a' with layer 'ip_b'; count mismatch.  Owner layer param shape is 2 6 (12);"
        ' sharing layer shape is 4 4 (16)"')


def test_good_layers_and_forks_are_silent() -> None:
    assert lint_fixture("layer_setup/good_setup.prototxt", dialect="bvlc") == []
    text = (
        'input: "data"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n'
        'layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"\n'
        '        convolution_param { num_output: 4 weight_filler { type: "gabor" } } }\n'
        'layer { name: "p" type: "PriorBox" bottom: "conv1" bottom: "data" top: "p"\n'
        '        prior_box_param { min_size: 8 } }\n'
    )
    # read as SSD reads it (recognised from prior_box_param): BVLC's checks are not the fork's
    assert [f.code for f in lint_text(text)] == ["X003"]


def test_one_unknown_filler_name_is_one_finding_however_many_layers_use_it() -> None:
    """Caffe aborts at the first layer; the others are related places, not more findings
    (an unseen real net got 15 warnings for one `type: "prelu"`)."""
    (finding,) = lint_fixture("layer_setup/bad_custom_filler_repeated.prototxt",
                              select=("N328", "N330"))
    assert (finding.code, finding.line, finding.column) == ("N330", 6, 74)
    assert finding.message == (
        "Convolution layer 'conv1': BVLC Caffe has no filler 'prelu' and aborts at net setup"
        ' with "Check failed: false Unknown filler name: prelu"; only a fork or custom build'
        " that registers it can set this net up (and 2 more layers like it in this net)")
    assert [r.line for r in finding.related] == [8, 10]


@pytest.mark.parametrize(("name", "where", "check"), [
    ("im2col_kernel_count", (9, 23), "num_kernel_dims == 1 || num_kernel_dims =="
     " num_spatial_axes_ kernel_size must be specified once, or once per spatial dimension"
     " (kernel_size specified 3 times; 2 spatial dims);"),
    ("im2col_stride_zero", (9, 38), "stride_data[i] > 0 (0 vs. 0) Stride dimensions must be"
     " nonzero."),
    ("im2col_flat_input", (9, 3), "num_spatial_axes_ >= 1 (0 vs. 1)"),
])
def test_im2col_parameters(name: str, where: tuple[int, int], check: str) -> None:
    f = _only(name)
    assert (f.code, f.line, f.column, f.phases) == ("N325", *where, ("deploy",))
    assert f.message == (
        f"Im2col layer 'cols': Caffe aborts at net setup with \"Check failed: {check}\"")


def test_good_im2col_is_silent() -> None:
    assert lint_fixture("layer_setup/good_im2col.prototxt", dialect="bvlc") == []


@pytest.mark.parametrize(("name", "kind", "check", "hint"), [
    ("log_base_one", "Log", "!isinf(base_scale_) Inf result: 1/log(base) = 1/log(1) = inf",
     "a logarithm to base 1 does not exist: use another base, or leave it out (-1, the"
     " default, means e)"),
    ("log_base_inf", "Log", "!isinf(log_base) Inf result: log(base) = log(inf) = inf",
     "use a finite base, or leave it out (-1, the default, means e)"),
    ("exp_base_negative", "Exp", "base > 0 (-2 vs. 0) base must be strictly positive.",
     "use a positive base, or leave it out (-1, the default, means e)"),
])
def test_exp_log_base(name: str, kind: str, check: str, hint: str) -> None:
    f = _only(name)
    assert (f.code, f.line, f.column, f.severity.label) == ("N331", 9, 15, "error")
    assert f.message == (f"{kind} layer '{kind.lower()}': Caffe aborts at net setup with"
                         f' "Check failed: {check}"')
    assert f.hint == hint


def test_good_exp_log_is_silent() -> None:
    assert lint_fixture("layer_setup/good_exp_log.prototxt", dialect="bvlc") == []


@pytest.mark.parametrize(("name", "where", "check"), [
    ("dummy_data_shape_count", (8, 5), "param.shape_size() == 1 || param.shape_size() =="
     " num_top Must specify 'shape' once, or once per top blob (2); specified 3."),
    ("dummy_data_filler_count", (10, 5), "num_data_filler == 0 || num_data_filler == 1 ||"
     " num_data_filler == num_top Number of data fillers must be 0, 1 or equal to the number"
     " of tops: 3; you specified 2 data fillers."),
    ("dummy_data_legacy_missing", (6, 3), "param.width_size() == 1 || param.width_size() =="
     " num_top Must specify 'width' once, or once per top blob (1); specified 0."),
    ("dummy_data_shape_and_legacy", (6, 60), "0 == param.shape_size() (0 vs. 1) Both shape"
     " and legacy fields were specified"),
    ("dummy_data_no_param", (4, 3), "param.shape_size() == 1 || param.shape_size() =="
     " num_top Must specify 'shape' once, or once per top blob (1); specified 0."),
])
def test_dummy_data_counts(name: str, where: tuple[int, int], check: str) -> None:
    f = _only(name)
    assert (f.code, f.line, f.column, f.severity.label) == ("N332", *where, "error")
    assert f.message == (
        f"DummyData layer 'data': Caffe aborts at net setup with \"Check failed: {check}\"")


def test_good_dummy_data_is_silent() -> None:
    assert lint_fixture("layer_setup/good_dummy_data.prototxt", dialect="bvlc") == []


@pytest.mark.parametrize(("name", "layer", "where", "check"), [
    ("filler_sparse_xavier", "InnerProduct layer 'fc'", (11, 36),
     "this->filler_param_.sparse() == -1 (2 vs. -1) Sparsity not supported by this Filler."),
    ("filler_sparse_negative", "Convolution layer 'conv'", (12, 48), "sparse >= -1 (-2 vs. -1)"),
    ("filler_sparse_dummy_constant", "DummyData layer 'data'", (8, 45),
     "this->filler_param_.sparse() == -1 (1 vs. -1) Sparsity not supported by this Filler."),
    ("filler_sparse_above_outputs", "Convolution layer 'conv'", (12, 48),
     "p <= 1 (31.25 vs. 1)"),
    ("filler_sparse_shared_prelu", "PReLU layer 'relu'", (9, 64),
     "blob->num_axes() >= 1 (0 vs. 1)"),
    ("filler_bilinear_bias", "Deconvolution layer 'up'", (15, 19),
     "blob->num_axes() == 4 (1 vs. 4) Blob must be 4 dim."),
    ("filler_bilinear_not_square", "Deconvolution layer 'up'", (15, 21),
     "blob->width() == blob->height() (2 vs. 4) Filter must be square"),
])
def test_filler_parameters(name: str, layer: str, where: tuple[int, int], check: str) -> None:
    f = _only(name)
    assert (f.code, f.line, f.column, f.severity.label) == ("N333", *where, "error")
    assert f.message == f'{layer}: Caffe aborts at net setup with "Check failed: {check}"'


def test_good_fillers_are_silent() -> None:
    assert lint_fixture("layer_setup/good_fillers.prototxt", dialect="bvlc") == []


def test_a_dummy_data_filler_that_refills_is_not_checked_at_set_up() -> None:
    """DummyDataLayer fills non-constant tops at each Forward, not in LayerSetUp."""
    text = ('layer { name: "data" type: "DummyData" top: "data"\n'
            '        dummy_data_param { shape { dim: 2 dim: 3 }\n'
            '                           data_filler { type: "uniform" sparse: 1 } } }\n')
    assert lint_text(text, select=("N333",), dialect="bvlc") == []
    (f,) = lint_text(text.replace("uniform", "constant"), select=("N333",), dialect="bvlc")
    assert (f.line, f.column) == (3, 59)


@pytest.mark.parametrize(("name", "where", "text"), [
    ("scale_second_bottom", (10, 3),
     "Scale layer 'scale': `gate` (2x8) does not match `data` (2x16x8x8) from axis 1: Caffe"
     " aborts while setting the net up with \"Check failed: bottom[0]->shape(axis_ + i) =="
     " scale->shape(i) (16 vs. 2) dimension mismatch between bottom[0]->shape(1) and"
     ' scale->shape(0)"'),
    ("scale_num_axes_past", (9, 25),
     "Scale layer 'scale': a scale blob of 2 axes from axis 1 does not fit `data` (2x16):"
     " Caffe aborts while setting the net up with \"Check failed: bottom[0]->num_axes() >="
     " axis_ + num_axes (2 vs. 3) scale blob's shape extends past bottom[0]'s shape when"
     ' applied starting with bottom[0] axis = 1"'),
    ("bias_num_axes_negative", (9, 16),
     "Bias layer 'bias': `num_axes: -2`: Caffe aborts while setting the net up with \"Check"
     " failed: num_axes >= -1 (-2 vs. -1) num_axes must be non-negative, or -1 to extend to"
     ' the end of bottom[0]"'),
    ("bias_second_bottom_past", (10, 3),
     "Bias layer 'bias': a bias blob of 3 axes from axis 2 does not fit `data` (2x16x4x4):"
     " Caffe aborts while setting the net up with \"Check failed: bottom[0]->num_axes() >="
     " axis + bias->num_axes() (4 vs. 5) bias blob's shape extends past bottom[0]'s shape"
     ' when applied starting with bottom[0] axis = 2"'),
    ("scale_bias_term_second_bottom", (10, 3),
     "Scale layer 'scale': a bias blob of 3 axes from axis 2 does not fit `data` (2x16x4x4):"
     " Caffe aborts while setting the net up with \"Check failed: bottom[0]->num_axes() >="
     " axis + num_axes (4 vs. 5) bias blob's shape extends past bottom[0]'s shape when"
     ' applied starting with bottom[0] axis = 2"'),
])
def test_scale_and_bias_shapes(name: str, where: tuple[int, int], text: str) -> None:
    (f,) = [f for f in lint_fixture(f"layer_setup/{name}.prototxt", dialect="bvlc")]
    assert (f.code, f.line, f.column, f.severity.label) == ("N411", *where, "error")
    assert f.message == text


def test_good_scale_and_bias_are_silent() -> None:
    """A scalar second bottom fits at any axis; num_axes -1 runs to the end."""
    assert lint_fixture("layer_setup/good_scale_bias.prototxt", dialect="bvlc") == []


def test_scale_with_an_unknown_input_rank_is_quiet() -> None:
    text = ('layer { name: "p" type: "Python" top: "x" python_param { module: "m" layer: "L" } }\n'
            'layer { name: "s" type: "Scale" bottom: "x" top: "s"'
            ' scale_param { axis: 1 num_axes: 5 } }\n')
    assert [f for f in lint_text(text, dialect="bvlc") if f.code in ("N410", "N411")] == []


_CONTRASTIVE_NEEDS = (
    "ContrastiveLoss layer 'loss' needs two feature blobs of shape (N, C, 1, 1) (or (N, C))"
    " and a similarity label of shape (N, 1, 1, 1) (or (N)), and ")


@pytest.mark.parametrize(("name", "where", "text"), [
    ("contrastive_spatial", (11, 3), _CONTRASTIVE_NEEDS + "`feat_a` is 4x8x3x3: Caffe aborts"
     ' while setting the net up with "Check failed: bottom[0]->height() == 1 (3 vs. 1)"'),
    ("contrastive_channels", (12, 3), _CONTRASTIVE_NEEDS + "`feat_a` (4x8) and `feat_b`"
     " (4x6) differ in C: Caffe aborts while setting the net up with \"Check failed:"
     ' bottom[0]->channels() == bottom[1]->channels() (8 vs. 6)"'),
    ("contrastive_label", (13, 3), _CONTRASTIVE_NEEDS + "`sim` is 4x2: Caffe aborts while"
     ' setting the net up with "Check failed: bottom[2]->channels() == 1 (2 vs. 1)"'),
    ("multinomial_one_hot", (10, 3), "MultinomialLogisticLoss layer 'loss' needs a label of"
     " one class index per sample: (N, 1, 1, 1) or (N), and `label` is 4x10: Caffe aborts"
     ' while setting the net up with "Check failed: bottom[1]->channels() == 1 (10 vs. 1)"'),
])
def test_loss_input_shapes(name: str, where: tuple[int, int], text: str) -> None:
    (f,) = lint_fixture(f"layer_setup/{name}.prototxt", dialect="bvlc")
    assert (f.code, f.line, f.column, f.severity.label) == ("N412", *where, "error")
    assert f.message == text


def test_flat_loss_inputs_are_silent() -> None:
    """(N, C) and (N) pass Caffe's legacy channels()/height()/width() checks as 1."""
    assert lint_fixture("layer_setup/good_loss_inputs.prototxt", dialect="bvlc") == []


def test_unknown_dims_are_passed_over() -> None:
    """Data-layer channels are unknown; a known spatial size of 28 still fails height()."""
    text = ('layer { name: "d" type: "Data" top: "a" top: "sim"\n'
            '        data_param { source: "db" batch_size: 4 backend: LMDB }\n'
            '        transform_param { crop_size: 28 } }\n'
            'layer { name: "loss" type: "ContrastiveLoss" bottom: "a" bottom: "a"'
            ' bottom: "sim" top: "l" }\n')
    (f,) = lint_text(text, select=("N412",), dialect="bvlc")
    assert f.message.endswith('"Check failed: bottom[0]->height() == 1 (28 vs. 1)"')
    quiet = text.replace("transform_param { crop_size: 28 }", "")
    assert lint_text(quiet, select=("N412",), dialect="bvlc") == []


@pytest.mark.parametrize(("name", "where", "text"), [
    ("blob_input_axes", (3, 1), "the net input `data` would have 33 axes: Caffe aborts while"
     ' setting the net up with "Check failed: shape.dim_size() <= kMaxBlobAxes (33 vs. 32)"'),
    ("blob_reshape_axes", (8, 3), "Reshape layer 'rs': the top `r` would have 33 axes: Caffe"
     " aborts while setting the net up with \"Check failed: shape.size() <= kMaxBlobAxes (33"
     ' vs. 32)"'),
    ("blob_weights_int_max", (6, 3), "InnerProduct layer 'fc': the weights of `fc` would be"
     " 50000x50000 = 2500000000 values: Caffe aborts while setting the net up with \"Check"
     ' failed: shape[i] <= 0x7fffffff / count_ (50000 vs. 42949) blob size exceeds INT_MAX"'),
])
def test_blob_too_large(name: str, where: tuple[int, int], text: str) -> None:
    (f,) = lint_fixture(f"layer_setup/{name}.prototxt", dialect="bvlc")
    assert (f.code, f.line, f.column, f.severity.label) == ("N414", *where, "error")
    assert f.message == text


def test_good_blob_sizes_are_silent() -> None:
    """32 axes is the limit, not past it."""
    assert lint_fixture("layer_setup/good_blob_sizes.prototxt", dialect="bvlc") == []


def test_int_max_is_the_limit() -> None:
    """46340^2 = 2147395600 fits in an int; 46341^2 does not (not built: 8 GB of floats)."""
    text = ('layer { name: "in" type: "Input" top: "x"\n'
            '        input_param { shape { dim: 46340 dim: 46340 } } }\n')
    assert lint_text(text, select=("N414",), dialect="bvlc") == []
    (f,) = lint_text(text.replace("46340", "46341"), select=("N414",), dialect="bvlc")
    assert (f.line, f.column) == (1, 34)
    assert f.message.endswith('"Check failed: shape[i] <= 0x7fffffff / count_ (46341 vs.'
                              ' 46340) blob size exceeds INT_MAX"')
