"""N321-N324: layer parameters Caffe aborts on, or accepts and trains badly."""

from __future__ import annotations

from pathlib import Path

from conftest import CORPUS, brief, lint_files, lint_fixture, lint_text, needs_corpus


def test_missing_num_output() -> None:
    findings = lint_fixture("layer_params/bad_num_output.prototxt", select=("N321",))
    assert brief(findings) == [
        ("N321", 9, 3), ("N321", 13, 3), ("N321", 22, 3), ("N321", 26, 3), ("N321", 36, 3),
    ]
    conv, deconv, xavier, misplaced, zero = findings
    assert conv.severity.label == "error"
    assert conv.phases == ("deploy",)
    assert conv.message == (
        "Convolution layer 'conv1': `num_output` is missing (it defaults to 0): Caffe aborts"
        ' with "Check failed: num_output_ > 0 (0 vs. 0)"'
    )
    assert conv.hint == "set `num_output` in `convolution_param`"
    # no convolution_param at all: the finding points at the type
    assert (deconv.line, deconv.end_column) == (13, 24)
    assert deconv.message.startswith("Deconvolution layer 'up1': `num_output` is missing")
    assert xavier.message == (
        "InnerProduct layer 'fc1': `num_output` is missing (it defaults to 0): Caffe makes a"
        " weight blob with 0 rows and aborts in its xavier weight filler with"
        ' "Check failed: blob->count()"'
    )
    assert misplaced.message.endswith(
        'aborts in its constant weight filler with "Check failed: data_"')
    assert misplaced.hint == (
        "move `num_output` from `convolution_param` (which InnerProduct ignores) into"
        " `inner_product_param`"
    )
    assert zero.message.startswith("InnerProduct layer 'fc3': `num_output` is 0: ")
    assert zero.message.endswith('gaussian weight filler with "Check failed: data_"')


def test_num_output_v0() -> None:
    text = (
        'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\n'
        'layers { layer { name: "conv1" type: "conv" kernelsize: 3 } bottom: "data"'
        ' top: "conv1" }\n'
    )
    (f,) = lint_text(text, select=("N321",))
    assert (f.code, f.line) == ("N321", 6)
    assert f.message.startswith("Convolution layer 'conv1': `num_output` is missing")


def test_dropout_ratio_out_of_range() -> None:
    findings = lint_fixture("layer_params/bad_dropout.prototxt", select=("N322",))
    assert brief(findings) == [("N322", 22, 19), ("N322", 29, 19), ("N322", 36, 19)]
    one, big, negative = findings
    assert one.severity.label == "error"
    assert one.phases == ("TRAIN",)  # in TEST Dropout passes its input through
    assert one.end_column == 37  # the whole `dropout_ratio: 1.0`
    assert one.message == (
        "`dropout_ratio: 1` on layer 'drop1' is outside [0, 1): Caffe accepts it (the range"
        " check is a DCHECK), but in TRAIN every output is 0 x inf = NaN (measured:"
        ' "Initial loss: -nan")'
    )
    assert big.message == (
        "`dropout_ratio: 1.5` on layer 'drop2' is outside [0, 1): Caffe aborts at the first"
        ' TRAIN forward pass with "Check failed: p >= 0 (-0.5 vs. 0)"'
    )
    assert negative.message.endswith('"Check failed: p <= 1 (1.2 vs. 1)"')
    assert one.hint == "use the fraction of units to drop, in [0, 1) (0.5 is usual)"


def test_dropout_in_range_or_deploy() -> None:
    # 0.0, 0.5 and the default, in a deploy net (where Dropout never drops anything)
    assert lint_fixture("layer_params/good_dropout.prototxt", select=("N322",)) == []
    text = (
        'input: "data"\ninput_shape { dim: 1 dim: 4 }\n'
        'layer { name: "d" type: "Dropout" bottom: "data" top: "data"'
        " dropout_param { dropout_ratio: 1.0 } }\n"
    )
    assert lint_text(text, select=("N322",)) == []


def test_batchnorm_without_scale() -> None:
    (f,) = lint_fixture("layer_params/bad_batchnorm.prototxt", select=("N323",))
    assert (f.code, f.line, f.column, f.end_column) == ("N323", 13, 3, 20)
    assert f.severity.label == "warning"
    assert f.message == (
        "BatchNorm layer 'bn1' feeds layer 'relu1' with no learned scale and shift (and 1"
        " more BatchNorm layers like it in this net): Caffe's BatchNorm only normalizes (its"
        " blobs are statistics, not gamma and beta), so the next layer always sees zero-mean,"
        " unit-variance channels"
    )
    assert f.hint == (
        "add a `Scale` layer with `scale_param { bias_term: true }` right after each BatchNorm"
    )


def test_batchnorm_scale_without_bias() -> None:
    text = (
        'input: "data"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n'
        'layer { name: "bn" type: "BatchNorm" bottom: "data" top: "bn" }\n'
        'layer { name: "scale" type: "Scale" bottom: "bn" top: "bn" }\n'
        'layer { name: "relu" type: "ReLU" bottom: "bn" top: "bn" }\n'
        'input: "label"\ninput_shape { dim: 1 }\n'  # a training net: labels and a loss
        'layer { name: "loss" type: "EuclideanLoss" bottom: "bn" bottom: "label" }\n'
    )
    (f,) = lint_text(text, select=("N323",))
    assert (f.line, f.column) == (3, 20)
    assert f.message.startswith("BatchNorm layer 'bn' feeds layer 'scale' with no learned shift:")
    assert f.hint == "set `scale_param { bias_term: true }` on the Scale after 'bn'"


def test_batchnorm_with_affine_or_linear_next() -> None:
    # Scale with bias; Scale then Bias; BatchNorm straight into a Convolution
    assert lint_fixture("layer_params/good_batchnorm.prototxt", select=("N32",)) == []


def test_batchnorm_learned_statistics() -> None:
    findings = lint_fixture("layer_params/bad_batchnorm.prototxt", select=("N324",))
    assert brief(findings) == [("N324", 17, 11), ("N324", 37, 3)]
    written, default = findings
    assert written.severity.label == "error"
    assert written.end_column == 21  # `lr_mult: 1`
    assert written.message == (
        "BatchNorm layer 'bn1': `param` 1 (the variance) has `lr_mult: 1`: Caffe aborts with"
        ' "Check failed: this->layer_param_.param(i).lr_mult() == 0.f (1 vs. 0) Cannot'
        ' configure batch normalization statistics as layer parameters."'
    )
    assert default.message.startswith(
        "BatchNorm layer 'bn2': `param` 0 (the mean) has no `lr_mult` (default 1): ")
    assert written.hint == "delete the BatchNorm's `param` blocks, or set each `lr_mult: 0`"


@needs_corpus
def test_corpus_param_findings() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".prototxt", ".pt", ".proto")
                   and "protos" not in p.parts)
    findings = lint_files(*files, select=("N32",))
    got = {(f.code, str(Path(f.file).resolve().relative_to(CORPUS))) for f in findings}
    # only BatchNorm without Scale in training nets: on purpose in BVLC's sigmoid BN
    # example and cvjena's BN AlexNet and VGG19; Intel's GoogLeNet v3 and caffe_ocr's
    # Inception-BN put a ReLU straight after BatchNorm. NormFace's InnerProduct layers
    # without `num_output` read their weights from a second bottom (happynear's fork): not
    # judged
    assert {code for code, _ in got} == {"N323"}
    assert {path.split("/")[0] for _, path in got} == {
        "BVLC__caffe", "cvjena__cnn-models", "intel__caffe", "senlinuc__caffe_ocr"}
