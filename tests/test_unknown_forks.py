"""Names of a fork the linter does not know (X004), repeated fields (P004), 3-D pooling.

Found on real files the linter had never seen (R-C3D's 3-D Caffe, CRF-as-RNN, a project's
own loss layers, OpenCV's 3-D pooling tests): each unknown name was an error restating that
stock BVLC Caffe cannot parse a file never meant for it, and 3-D pooling gave one P004 per
layer. Here, on small fixtures written the same way.
"""

from __future__ import annotations

from conftest import brief, lint_fixture, lint_text


def test_three_values_per_pooling_axis_are_a_video_forks_kernel() -> None:
    findings = lint_fixture("dialect_nets/pool3d_kernel.prototxt")
    assert brief(findings) == [("X003", 11, 59)]  # the third kernel_size
    assert findings[0].message.startswith(
        "read as the ECO fork (mzolfaghari/ECO-efficient-video-understanding) reads it: uses"
        " `kernel_size: [...]`, `stride: [...]`")


def test_two_values_are_a_bvlc_mistake() -> None:
    # kernel_size is repeated for Convolution, not for Pooling: Caffe refuses it
    (f,) = lint_fixture("parse/bad_duplicate.prototxt", select=("P", "X"))
    assert (f.code, f.line, f.column, f.severity.label) == ("P004", 6, 44, "error")
    assert f.message == 'Non-repeated field "kernel_size" is specified multiple times.'


def test_the_same_duplicate_in_many_layers_is_one_finding() -> None:
    (f,) = lint_fixture("parse/bad_duplicates_many.prototxt", select=("P",))
    assert (f.code, f.line, f.column) == ("P004", 8, 44)
    assert f.message == (
        'Non-repeated field "kernel_size" is specified multiple times; 2 more non-repeated'
        " fields given more than once: `kernel_size`, `stride`"
    )
    assert [(r.line, r.column) for r in f.related] == [(15, 44), (15, 69)]


def test_a_custom_layers_own_parameters_are_one_warning() -> None:
    findings = lint_fixture("dialect_nets/custom_layer_param.prototxt")
    assert [(f.code, f.line, f.column, f.severity.label) for f in findings] == [
        ("N312", 20, 3, "warning"), ("X004", 24, 3, "warning")]
    assert findings[1].message == (
        "this file is written for a Caffe fork or custom build that prototxt-lint does not"
        " know: `weight_euclidean_loss_param` (1 name) is in neither BVLC Caffe's schema nor"
        " any known fork's; BVLC Caffe refuses the file at load on the first"
    )
    assert findings[1].hint == "lint with the fork's own schema: --proto path/to/caffe.proto"


def test_naming_the_caffe_makes_them_errors_again() -> None:
    # --dialect bvlc: the user runs BVLC Caffe, which refuses the file at load
    codes = [(f.code, f.severity.label) for f in
             lint_fixture("dialect_nets/custom_layer_param.prototxt", dialect="bvlc")]
    assert codes == [("N312", "warning"), ("P002", "error")]


def test_an_unknown_name_in_a_bvlc_file_stays_an_error() -> None:
    text = (
        'input: "data"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n'
        'layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"\n'
        '        convolution_param { num_output: 4 kernel_size: 3 engine_hint: 2 } }\n'
    )
    (f,) = lint_text(text, select=("P", "X"))
    assert (f.code, f.severity.label) == ("P002", "error")


def test_a_slip_in_a_forks_message_joins_the_unknown_fork() -> None:
    # R-C3D: `pooled_l` (3-D ROI pooling) next to names no known fork has
    text = (
        'layer { name: "d" type: "Python" top: "data" top: "rois" }\n'
        'layer { name: "pool" type: "ROIPooling" bottom: "data" bottom: "rois" top: "p"\n'
        '        roi_pooling_param { pooled_w: 4 pooled_h: 4 pooled_l: 1 temporal_scale: 0.1 } }\n'
    )
    findings = [f for f in lint_text(text) if f.code in ("P002", "X004")]
    assert [(f.code, f.line, f.column) for f in findings] == [("X004", 3, 53)]
    assert "`pooled_l` (did you mean `pooled_h`?), `temporal_scale` (2 names) are" in (
        findings[0].message)


def test_stray_words_are_an_error_of_the_file_not_an_unknown_forks_names() -> None:
    """A name followed by no value (no `:`, no block) is no field of any Caffe: with a fork
    detected it stays a P002 error (once, counted) and is no evidence of an unknown fork."""
    findings = lint_fixture("dialects/stray_words_in_fork_net.prototxt")
    assert [(f.code, f.line, f.column, f.message) for f in findings if f.code != "X003"] == [
        ("P002", 7, 1, 'Message type "caffe.NetParameter" has no field named "A". (found 3'
                       " times in this file; reported once)")]
    (x003,) = [f for f in findings if f.code == "X003"]
    assert "DeepLab v2" in x003.message and "unknown name" not in x003.message
    (p002,) = [f for f in findings if f.code == "P002"]
    assert p002.hint == ("no value follows `A` (no `:`, no `{`): a stray word, which no Caffe"
                         " reads; delete it")
