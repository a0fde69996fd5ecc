"""N335 (a reminder: `engine: CUDNN` needs a cuDNN build) and N336 (a dilated convolution on
the CUDNN engine aborts in every build). The CPU-only oracle's "has unknown engine." text is
compared in tests/test_oracle.py; N335's fixtures are in its ALLOWED list (Caffe aborts, the
linter only reminds)."""

from __future__ import annotations

from conftest import lint_fixture


def test_cudnn_engine_is_one_reminder_per_net() -> None:
    (f,) = lint_fixture("layer_setup/cudnn_engine.prototxt", dialect="bvlc")
    assert (f.code, f.line, f.column, f.severity.label) == ("N335", 9, 52, "info")
    assert f.message == (
        "Convolution layer 'conv1' asks for `engine: CUDNN`: only a Caffe built with cuDNN"
        " (USE_CUDNN) has it; a build without cuDNN (every CPU-only build) aborts at net"
        ' setup with "Layer conv1 has unknown engine." (and 1 more layers like it in this'
        " net)")
    assert [r.line for r in f.related] == [16]


def test_softmax_with_loss_creates_its_softmax_with_the_engine() -> None:
    (f,) = lint_fixture("layer_setup/cudnn_softmax_loss.prototxt", dialect="bvlc")
    assert (f.code, f.line, f.column, f.phases) == ("N335", 12, 19, ("TRAIN",))
    assert f.message.endswith('aborts at net setup with "Layer loss has unknown engine."')


def test_cudnn_dilated_convolution() -> None:
    (f,) = lint_fixture("layer_setup/cudnn_dilated.prototxt", dialect="bvlc")
    assert (f.code, f.line, f.column, f.severity.label) == ("N336", 9, 64, "error")
    assert f.message == (
        "Convolution layer 'conv1' is dilated and asks for `engine: CUDNN`: Caffe aborts at"
        " net setup in every build, with cuDNN \"CuDNN doesn't support the dilated"
        ' convolution at Layer conv1", without it "Layer conv1 has unknown engine."')


def test_caffe_and_default_engines_are_silent() -> None:
    assert lint_fixture("layer_setup/good_engines.prototxt", dialect="bvlc") == []
