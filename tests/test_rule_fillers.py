"""Weight fillers N421-N423: initialisations that keep a net trained from scratch from
learning."""

from __future__ import annotations

from conftest import CORPUS, FIXTURES, brief, lint_files, lint_fixture, lint_text, needs_corpus

SEL = ("N42",)


def test_unfilled_conv_reaches_a_relu_through_other_layers() -> None:
    (f,) = lint_fixture("fillers/bad_unfilled_conv2.prototxt", select=SEL)
    # pool2 and ip1 (zero bias) keep the zeros; relu1 then blocks every gradient
    assert (f.code, f.line, f.column, f.end_column) == ("N421", 29, 3, 22)  # convolution_param
    assert f.severity.label == "warning"
    assert f.phases == ("TRAIN",)  # the TEST net shares the weights
    assert f.message == (
        "`conv2` has no `weight_filler`, so Caffe fills its weights with the default"
        " `constant` filler, 0, and its bias starts at 0: it outputs 0 for every input, and"
        " the first ReLU its zeros reach, `relu1`, passes gradient only where its input is >"
        " 0; trained from scratch, `conv2` gets zero gradient at every iteration, its weights"
        " stay 0 and no layer below it learns through it"
    )
    assert f.hint == (
        'add `weight_filler { type: "msra" }` (or "xavier"); if the weights are loaded from a'
        " trained model, suppress this"
    )


def test_explicit_constant_zero_before_relu_v1() -> None:
    (f,) = lint_fixture("fillers/bad_constant_before_relu.prototxt", select=SEL)
    assert (f.code, f.line, f.column) == ("N421", 28, 40)  # the weight_filler block
    assert f.message.startswith(
        "`ip2` has `weight_filler` `constant` 0, and its bias starts at 0: it outputs 0 for"
        " every input, and the ReLU after it, `relu2`, passes gradient"
    )


def test_unfilled_layers_that_learn() -> None:
    # bias 0.1 keeps relu2 open; the leaky ReLU passes gradient at 0 and ip5's bias 0.1
    # keeps relu5 open; the zero classifier `score` feeds the loss directly
    assert lint_fixture("fillers/good_unfilled.prototxt", select=SEL) == []


def test_fine_tuned_nets_are_left_alone() -> None:
    assert lint_fixture("fillers/good_finetune.prototxt", select=SEL) == []
    # the same net without the frozen layer, but with most layers unfilled: a pretrained trunk
    original = _read("fillers/good_finetune.prototxt")
    text = original.replace("  param { lr_mult: 0 }\n  param { lr_mult: 0 }\n", "")
    assert text != original
    assert lint_text(text, select=SEL) == []


def test_dead_relu_needs_a_zero_bias() -> None:
    base = """
layer { name: "d" type: "DummyData" top: "x" top: "y"
        dummy_data_param { shape { dim: 4 dim: 10 } shape { dim: 4 } } }
layer { name: "a" type: "InnerProduct" bottom: "x" top: "a"
        inner_product_param { num_output: 8 weight_filler { type: "msra" } } }
layer { name: "b" type: "InnerProduct" bottom: "a" top: "b"
        inner_product_param { num_output: 8 BIAS } }
layer { name: "r" type: "ReLU" bottom: "b" top: "b" }
layer { name: "c" type: "InnerProduct" bottom: "b" top: "c"
        inner_product_param { num_output: 3 weight_filler { type: "msra" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "c" bottom: "y" top: "loss" }
"""
    assert brief(lint_text(base.replace("BIAS", ""), select=SEL)) == [("N421", 7, 9)]
    assert brief(lint_text(base.replace("BIAS", "bias_term: false"), select=SEL)) == [
        ("N421", 7, 9)]
    positive = 'bias_filler { type: "constant" value: 0.2 }'
    assert lint_text(base.replace("BIAS", positive), select=SEL) == []
    frozen = base.replace("BIAS", "").replace(
        'top: "b"\n', 'top: "b"\n        param { lr_mult: 0 }\n', 1)
    assert lint_text(frozen, select=SEL) == []


def test_every_path_must_be_blocked() -> None:
    text = """
layer { name: "d" type: "DummyData" top: "x" top: "y"
        dummy_data_param { shape { dim: 4 dim: 10 } shape { dim: 4 } } }
layer { name: "a" type: "InnerProduct" bottom: "x" top: "a"
        inner_product_param { num_output: 8 weight_filler { type: "msra" } } }
layer { name: "b" type: "InnerProduct" bottom: "a" top: "b"
        inner_product_param { num_output: 3 } }
layer { name: "r" type: "ReLU" bottom: "b" top: "r" }
layer { name: "c" type: "InnerProduct" bottom: "r" top: "c"
        inner_product_param { num_output: 3 weight_filler { type: "msra" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "c" bottom: "y" top: "loss" }
layer { name: "aux" type: "SoftmaxWithLoss" bottom: "b" bottom: "y" top: "aux" }
"""
    # `b` also feeds a loss directly: its gradient from `aux` is not zero
    assert lint_text(text, select=SEL) == []
    # without that second path every gradient to `b` goes through the dead ReLU
    blocked = text.replace('bottom: "b" bottom: "y" top: "aux"',
                           'bottom: "c" bottom: "y" top: "aux"')
    assert brief(lint_text(blocked, select=SEL)) == [("N421", 7, 9)]


def test_gaussian_default_and_large_std() -> None:
    findings = lint_fixture("fillers/bad_gaussian_std.prototxt", select=SEL)
    assert brief(findings) == [("N422", 24, 61), ("N423", 37, 74)]
    default, large = findings
    assert default.phases == large.phases == ("TRAIN",)
    # conv1: 64 channels x 3x3 -> fan-in 576, He scale sqrt(2/576) = 0.0589
    assert default.message == (
        '`conv1`: `weight_filler { type: "gaussian" }` without `std`: the std defaults to 1,'
        " 17.0x the He scale sqrt(2/fan_in) = 0.0589 for this layer's fan-in of 576; every"
        " layer initialised like this multiplies the scale of its output by about"
        " std*sqrt(fan_in/2), so the loss saturates or turns NaN"
    )
    assert default.hint == ('use `type: "msra"` (std sqrt(2/fan_in), for ReLU) or `"xavier"`,'
                            " or `std: 0.059`")
    # fc6 flattens 256x6x6 = 9216 inputs: He scale 0.0147; 0.05 on fc7 (fan-in 512) is fine
    assert large.message == (
        "`fc6`: gaussian `std: 0.5` is 34x the He scale sqrt(2/fan_in) = 0.0147 for this"
        " layer's fan-in of 9216: the layer multiplies the scale of its output by about 34, so"
        " the loss saturates or turns NaN"
    )
    assert large.end_column - large.column == len("std: 0.5")


def test_gaussian_default_std_unknown_fan_in() -> None:
    (f,) = lint_fixture("fillers/bad_gaussian_unknown_fan_in.prototxt", select=SEL)
    assert (f.code, f.line, f.column) == ("N422", 16, 53)
    assert ("the std defaults to 1, more than 2x the He scale sqrt(2/fan_in) for any fan-in"
            " above 8" in f.message)
    assert f.hint == 'use `type: "msra"` (std sqrt(2/fan_in), for ReLU) or `"xavier"`'


def test_published_stds_and_sparse_fillers_pass() -> None:
    assert lint_fixture("fillers/good_gaussian.prototxt", select=SEL) == []


def test_large_std_needs_a_known_fan_in() -> None:
    text = _read("fillers/bad_gaussian_unknown_fan_in.prototxt").replace(
        'weight_filler { type: "gaussian" }', 'weight_filler { type: "gaussian" std: 5 }')
    assert lint_text(text, select=SEL) == []  # channels come from the LMDB




@needs_corpus
def test_published_training_nets_pass() -> None:
    nets = [
        "BVLC__caffe/models/bvlc_alexnet/train_val.prototxt",  # gaussian 0.01 / 0.005
        "BVLC__caffe/examples/cifar10/cifar10_quick_train_test.prototxt",  # 0.0001 .. 0.1
        "BVLC__caffe/examples/mnist/mnist_autoencoder.prototxt",  # sparse gaussian std 1
        "shelhamer__fcn.berkeleyvision.org/voc-fcn32s/train.prototxt",  # no fillers at all
        "rbgirshick__py-faster-rcnn/models/pascal_voc/ZF/faster_rcnn_end2end/train.prototxt",
        "cvjena__cnn-models/ResNet_preact/ResNet10_cvgj/train.prototxt",  # zero classifier
    ]
    assert lint_files(*(CORPUS / n for n in nets), select=SEL) == []


def _read(name: str) -> str:
    return (FIXTURES / name).read_text()
