import pytest
from conftest import FIXTURES, brief, lint_fixture, lint_text

SELECT = ("N231",)

MESSAGE_END = (
    ": it feeds raw 0-255 pixel values to the net. Measured on BVLC Caffe, such a net's loss"
    " jumps by multiples of 87.3365 for a few iterations, then every ReLU dies and the loss"
    " stays at chance"
)


def test_data_layer_without_scale_or_mean() -> None:
    findings = lint_fixture("input_scale/bad_no_scale.prototxt", select=SELECT)
    assert brief(findings) == [("N231", 10, 3)]  # the TRAIN layer's `transform_param {`
    (f,) = findings
    assert f.severity.label == "warning"
    assert f.phases == ("TRAIN",)
    assert f.message == '`Data` layer "mnist" has no scale and no mean' + MESSAGE_END
    assert f.hint.startswith("add `transform_param { scale: 0.00390625 }` (1/256)")
    assert f.hint.endswith("suppress this warning")


def test_old_per_layer_scale_on_a_v2_layer_is_ignored() -> None:
    findings = lint_fixture("input_scale/bad_ignored_old_field.prototxt", select=SELECT)
    assert brief(findings) == [("N231", 2, 1)]  # no transform_param: the `layer {` opener
    assert findings[0].message == (
        '`ImageData` layer "images" has no scale and no mean (`image_data_param { scale }` is'
        " written but not read by Caffe for this layer)" + MESSAGE_END
    )
    assert findings[0].phases == ("TRAIN",)


def test_window_data_reads_its_own_scale() -> None:
    text = """
layer { name: "w" type: "WindowData" top: "data" top: "label" include { phase: TRAIN }
  transform_param { scale: 0.00390625 crop_size: 227 }
  window_data_param { source: "windows.txt" batch_size: 8 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "data" bottom: "label" top: "loss" }
"""
    findings = lint_text(text, select=SELECT)
    assert brief(findings) == [("N231", 3, 3)]
    assert "(`transform_param { scale }` is written but not read" in findings[0].message
    fixed = text.replace('batch_size: 8', 'batch_size: 8 scale: 0.00390625')
    assert lint_text(fixed, select=SELECT) == []


def test_v0_scale_counts() -> None:
    text = """
layers { layer { name: "mnist" type: "data" source: "mnist-train-leveldb" batchsize: 64
                 scale: 0.00390625 } top: "data" top: "label" }
layers { layer { name: "loss" type: "softmax_loss" } bottom: "data" bottom: "label" }
"""
    assert lint_text(text, select=SELECT) == []
    assert brief(lint_text(text.replace("scale: 0.00390625", ""), select=SELECT)) == [
        ("N231", 2, 1)
    ]


def test_scale_or_mean_is_enough() -> None:
    assert lint_fixture("input_scale/good_scale_or_mean.prototxt", select=SELECT) == []


def test_v1_per_layer_fields_are_honoured() -> None:
    assert lint_fixture("input_scale/good_v1_old_fields.prototxt", select=SELECT) == []


def test_batchnorm_on_the_input_normalises_it() -> None:
    assert lint_fixture("input_scale/good_batchnorm_on_data.prototxt", select=SELECT) == []


def test_batchnorm_after_another_reader_does_not_count() -> None:
    text = """
layer { name: "d" type: "ImageData" top: "data" top: "label" include { phase: TRAIN }
  image_data_param { source: "train.txt" batch_size: 8 shuffle: true } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
  inner_product_param { num_output: 2 } }
layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data" }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
"""
    assert brief(lint_text(text, select=SELECT)) == [("N231", 2, 1)]


def test_a_fine_tuning_net_is_told_what_raw_pixels_do_to_pretrained_weights() -> None:
    """The from-scratch measurement is not quoted for a net that fine-tunes (frozen layers
    without fillers: a pretrained trunk); the message says what it assumes instead."""
    text = """
layer { name: "data" type: "ImageData" top: "data" top: "label"
        image_data_param { source: "train.txt" batch_size: 4 shuffle: true new_height: 32
                           new_width: 32 }
        include { phase: TRAIN } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        param { lr_mult: 0 } param { lr_mult: 0 }
        convolution_param { num_output: 8 kernel_size: 3 } }
layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2"
        param { lr_mult: 0 } param { lr_mult: 0 }
        convolution_param { num_output: 8 kernel_size: 3 } }
layer { name: "fc" type: "InnerProduct" bottom: "conv2" top: "fc"
        inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
"""
    (finding,) = lint_text(text, select=("N231",))
    assert finding.line == 2
    assert "This net looks fine-tuned from pretrained weights (" in finding.message
    assert "87.3365" not in finding.message


def test_batchnorm_after_the_first_convolution_normalises_it() -> None:
    """Convolution and pooling only scale the input's range; the BatchNorm before the first
    ReLU removes it (measured: the same first loss with 0-255 and 0-1 input)."""
    assert lint_fixture("input_scale/good_batchnorm_after_conv.prototxt", select=SELECT) == []


@pytest.mark.parametrize("between", [
    'layer { name: "relu0" type: "ReLU" bottom: "conv1" top: "conv1" }',  # saturates first
    'layer { name: "sum" type: "Eltwise" bottom: "conv1" bottom: "conv1" top: "conv1" }',
])
def test_a_layer_the_range_reaches_before_the_batchnorm_keeps_the_warning(between: str) -> None:
    text = (FIXTURES / "input_scale" / "good_batchnorm_after_conv.prototxt").read_text()
    text = text.replace('layer { name: "pool1"', between + '\nlayer { name: "pool1"', 1)
    assert [c for c, *_ in brief(lint_text(text, select=SELECT))] == ["N231"]
