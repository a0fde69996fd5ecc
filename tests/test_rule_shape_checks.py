"""Shape checks N401-N409: what Caffe refuses while it sets a net up."""

from __future__ import annotations

from conftest import CORPUS, brief, lint_files, lint_fixture, lint_text, needs_corpus

SEL = ("N40",)


def test_conv_kernel_larger_than_input() -> None:
    findings = lint_fixture("shapes/bad_conv_kernel.prototxt", select=SEL)
    # conv_k9_pad1 works (2x2, measured), and `after` (on the failed conv_k10) is not reported
    assert brief(findings) == [("N401", 10, 37), ("N401", 17, 37), ("N401", 31, 49),
                               ("N401", 38, 37), ("N401", 52, 52), ("N401", 59, 37)]
    k10, k9, rect, dilated, deconv, nobias = findings
    assert all(f.severity.label == "error" and f.phases == ("deploy",) for f in findings)
    assert (k10.end_column, k9.end_column) == (52, 51)  # the kernel_size token
    # measured on BVLC Caffe (row 6i): k10 on 8x8 -> (-1 vs. 0), k9 -> data_
    assert k10.message == (
        "`conv_k10` on input 2x1x8x8: kernel 10 is larger than the padded input height 8 +"
        " 2*0 = 8: the output height is -1; Caffe aborts while setting the net up with"
        ' "Check failed: shape[i] >= 0 (-1 vs. 0)"'
    )
    assert k9.message == (
        "`conv_k9` on input 2x1x8x8: kernel 9 is larger than the padded input height 8 +"
        " 2*0 = 8: the output height is 0; Caffe aborts while setting the net up with"
        ' "Check failed: data_" (an empty top)'
    )
    assert k10.hint == "make the kernel smaller, pad the input, or give the net a larger input"
    # C++ division truncates: (8 - 11) / 2 + 1 = 0, not -1; points at kernel_w
    assert rect.message.startswith("`conv_k11_s2` on input 2x1x8x8: kernel 11 is larger than the"
                                   " padded input width 8 + 2*0 = 8: the output width is 0;")
    assert dilated.message.startswith(
        "`conv_dilated` on input 2x1x8x8: kernel 3 (extent 11 with dilation 5) is larger than"
        " the padded input height 8 + 2*0 = 8: the output height is -2;"
    )
    assert deconv.message == (
        "`up` on input 2x4x2x2: the output height stride*(in-1) + extent - 2*pad = 1*(2-1) +"
        ' 2 - 2*2 is -1; Caffe aborts while setting the net up with "Check failed: shape[i]'
        ' >= 0 (-1 vs. 0)"'
    )
    assert deconv.end_column - deconv.column == len("pad: 2")
    # without a bias there is no bias multiplier to fill at set-up
    assert nobias.message.endswith(
        "the output height is 0; Caffe builds an empty top; the next layer that uses it"
        ' aborts, and at the latest the first forward pass fails with "Check failed: data_"'
    )


def test_pool_kernel_larger_than_input() -> None:
    findings = lint_fixture("shapes/bad_pool_kernel.prototxt", select=SEL)
    assert brief(findings) == [("N402", 10, 29), ("N402", 24, 41)]
    empty, negative = findings
    # measured (row 6i): k10 s2 on 8x8 gives a `2 1 0 0 (0)` top, the next IP dies
    assert empty.message == (
        "`pool_k10` on input 2x1x8x8: kernel 10 is larger than the padded input height 8 +"
        " 2*0 = 8: the output height is 0; Caffe builds an empty top (2 1 0 0) without a"
        " pooling error; the next layer that uses it aborts (measured: an InnerProduct after"
        ' it fails with "Check failed: blob->count()"), and at the latest the first forward'
        ' pass fails with "Check failed: data_"'
    )
    assert negative.message.endswith(
        ': the output width is -3; Caffe aborts while setting the net up with "Check failed:'
        ' shape[i] >= 0 (-3 vs. 0)"'
    )
    assert negative.end_column - negative.column == len("kernel_w: 12")


def test_concat_mismatch() -> None:
    findings = lint_fixture("shapes/bad_concat.prototxt", select=SEL)
    assert brief(findings) == [("N403", 27, 3), ("N403", 40, 3)]  # the second bottom
    size, axes = findings
    assert size.message == (
        "`cat` concatenates on axis 1, but `branch1` is 1x8x28x28 and `branch2` is 1x8x14x14"
        ' (axis 2: 28 vs. 14): Caffe aborts while setting the net up with "Check failed:'
        " top_shape[j] == bottom[i]->shape(j) (28 vs. 14) All inputs must have the same shape,"
        ' except at concat_axis."'
    )
    assert axes.message.endswith(
        '"Check failed: num_axes == bottom[i]->num_axes() (4 vs. 2) All inputs must have the'
        ' same #axes."'
    )


def test_eltwise_mismatch() -> None:
    (f,) = lint_fixture("shapes/bad_eltwise.prototxt", select=SEL)
    assert (f.code, f.line, f.column, f.end_column) == ("N404", 19, 3, 27)
    assert f.message == (
        "`res3a` combines `res2c` (1x256x56x56) and `res3a_branch2a` (1x512x28x28) element by"
        " element, but their shapes differ: Caffe aborts while setting the net up with"
        ' "Check failed: bottom[0]->shape() == bottom[i]->shape() bottom[0]: 1 256 56 56'
        ' (802816), bottom[1]: 1 512 28 28 (401408)"'
    )
    assert f.hint.startswith("give both inputs the same shape")


def test_reshape_count() -> None:
    findings = lint_fixture("shapes/bad_reshape.prototxt", select=SEL)
    assert brief(findings) == [("N405", 10, 19), ("N405", 17, 19), ("N405", 24, 41)]
    infer, fixed, copy = findings
    assert infer.message.endswith(
        '"Check failed: 0 == bottom[0]->count() % explicit_count (0 vs. 10) bottom count'
        ' (10000) must be divisible by the product of the specified dimensions (30)"'
    )
    assert fixed.message == (
        "`fixed` reshapes `fc` (10x1000, 10000 values) to 10x10x10 (1000 values): Caffe aborts"
        ' while setting the net up with "Check failed: top[0]->count() == bottom[0]->count()'
        ' (1000 vs. 10000) output count must match input count"'
    )
    assert copy.message.startswith("`dim: 0` at position 2 copies axis 2 of `fc`, which has"
                                   " only 2 axes (10x1000)")
    assert "new shape contains a 0, but there was no corresponding bottom axis to copy" in \
        copy.message


def test_label_counts() -> None:
    findings = lint_fixture("shapes/bad_label_count.prototxt", select=SEL)
    assert brief(findings) == [("N406", 30, 3), ("N406", 44, 3), ("N406", 52, 3),
                               ("N406", 68, 3), ("N406", 76, 3)]  # each at the label bottom
    batch, seg, accuracy, euclid, sigmoid = findings
    assert batch.phases == ("TRAIN",)  # the TEST batch sizes agree
    assert batch.message.endswith(
        '"Check failed: bottom[0]->shape(0) == bottom[1]->shape(0) (64 vs. 32) The data and'
        ' label should have the same first dimension."'
    )
    assert seg.phases == ("TEST",)
    assert seg.message == (
        "`seg_loss` gets 640 predictions (`score` 10x5x8x8, classes on axis 1) but 10 labels"
        ' (`label` 10): Caffe aborts while setting the net up with "Check failed: outer_num_ *'
        " inner_num_ == bottom[1]->count() (640 vs. 10) Number of labels must match number"
        " of predictions; e.g., if softmax axis == 1 and prediction shape is (N, C, H, W),"
        " label count (number of labels) must be N*H*W, with integer values in {0, 1, ...,"
        ' C-1}."'
    )
    assert "e.g., if label axis == 1 and prediction shape" in accuracy.message
    assert euclid.message.endswith(
        '(5 vs. 4) Inputs must have the same dimension."')
    assert sigmoid.message.endswith(
        '(50 vs. 40) SIGMOID_CROSS_ENTROPY_LOSS layer inputs must have the same count."')


def test_accuracy_top_k_checked_first() -> None:
    text = """
layer { name: "d" type: "DummyData" top: "x" top: "y"
        dummy_data_param { shape { dim: 4 dim: 3 } shape { dim: 4 } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "x" bottom: "y" top: "loss" }
layer { name: "acc" type: "Accuracy" bottom: "x" bottom: "y" top: "acc"
        accuracy_param { top_k: 5 } }
"""
    (f,) = lint_text(text, select=SEL)
    assert (f.code, f.line) == ("N406", 5)
    assert f.message.endswith(
        '"Check failed: top_k_ <= bottom[0]->count() / bottom[1]->count() (5 vs. 3) top_k must'
        ' be less than or equal to the number of classes."'
    )


def test_group() -> None:
    findings = lint_fixture("shapes/bad_group.prototxt", select=SEL)
    # depthwise (group = channels = num_output) is fine
    assert brief(findings) == [("N407", 10, 61), ("N407", 17, 61), ("N407", 24, 61),
                               ("N407", 37, 53)]
    channels, outputs, zero, unknown_input = findings
    # channels are checked first (BaseConvolutionLayer::LayerSetUp order)
    assert channels.message == (
        "`group: 5` does not divide the 96 input channels of `conv_channels`: Caffe aborts"
        ' while setting the net up with "Check failed: channels_ % group_ == 0 (1 vs. 0)"'
    )
    assert outputs.message == (
        "`group: 4` does not divide `num_output: 250`: Caffe aborts while setting the net up"
        ' with "Check failed: num_output_ % group_ == 0 (2 vs. 0) Number of output should be'
        ' multiples of group."'
    )
    assert "SIGFPE" in zero.message
    # the num_output check needs no input shape (the input comes from a Python layer)
    assert unknown_input.message.startswith("`group: 4` does not divide `num_output: 10`")
    assert channels.end_column - channels.column == len("group: 5")


def test_slice_and_crop() -> None:
    findings = lint_fixture("shapes/bad_slice_crop.prototxt", select=("N408", "N409"))
    assert brief(findings) == [("N408", 13, 3), ("N408", 22, 25), ("N409", 36, 3),
                               ("N409", 45, 24)]
    thirds, past_end, swapped, offset = findings
    assert thirds.message.endswith(
        '"Check failed: bottom_slice_axis % top.size() == 0 (1 vs. 0) Number of top blobs (3)'
        ' should evenly divide input slice axis (64)"'
    )
    assert past_end.message.endswith(
        'the last top is empty, and the first forward pass aborts with "Check failed: data_"')
    assert swapped.message.endswith(
        '"Check failed: bottom[0]->shape(i) - crop_offset >= bottom[1]->shape(i) (20 vs. 44)'
        ' the crop for dimension 2 is out-of-bounds with size 44 and offset 0"'
    )
    assert "(14 vs. 20) the crop for dimension 2 is out-of-bounds with size 20 and offset 30" \
        in offset.message


def test_good_layers_clean() -> None:
    assert lint_fixture("shapes/good_layers.prototxt", select=("N4",)) == []


def test_unknown_never_reported() -> None:
    text = """
layer { name: "d" type: "Data" top: "d" top: "l"
        transform_param { scale: 0.004 } data_param { source: "x" batch_size: 4 } }
layer { name: "c" type: "Convolution" bottom: "d" top: "c"
        convolution_param { num_output: 16 kernel_size: 99 weight_filler { type: "xavier" } } }
layer { name: "f" type: "InnerProduct" bottom: "c" top: "f"
        inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "f" bottom: "l" top: "loss" }
"""
    assert lint_text(text, select=("N4",)) == []




@needs_corpus
def test_published_nets_are_clean() -> None:
    nets = [
        CORPUS / "BVLC__caffe/models/bvlc_googlenet/deploy.prototxt",
        CORPUS / "BVLC__caffe/models/bvlc_googlenet/train_val.prototxt",
        CORPUS / "KaimingHe__deep-residual-networks/prototxt/ResNet-50-deploy.prototxt",
        CORPUS / "BVLC__caffe/models/bvlc_alexnet/train_val.prototxt",
    ]
    assert lint_files(*nets, select=("N4",)) == []
