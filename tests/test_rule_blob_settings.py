"""N334: `loss_weight` / `propagate_down` given, but not once per top / bottom.

The quoted ``Check failed`` texts are compared with real Caffe's in tests/test_oracle.py
(the fixtures are in tests/fixtures/layer_setup/)."""

from __future__ import annotations

from conftest import brief, lint_fixture, lint_text


def test_loss_weight_count() -> None:
    (f,) = lint_fixture("layer_setup/loss_weight_count.prototxt", dialect="bvlc")
    assert (f.code, f.line, f.column, f.severity.label, f.phases) == (
        "N334", 11, 3, "error", ("TRAIN",))
    assert f.message == (
        "SoftmaxWithLoss layer 'loss': Caffe aborts at net setup with \"Check failed:"
        " top.size() == num_loss_weights (1 vs. 2) loss_weight must be unspecified or"
        ' specified once per top blob."')
    assert f.hint == "give one `loss_weight` per top (1, in order), or none"


def test_propagate_down_count() -> None:
    (f,) = lint_fixture("layer_setup/propagate_down_count.prototxt", dialect="bvlc")
    assert (f.code, f.line, f.column, f.severity.label) == ("N334", 12, 3, "error")
    assert f.message == (
        "SoftmaxWithLoss layer 'loss': Caffe aborts at net setup with \"Check failed:"
        " layer_param.propagate_down_size() == layer_param.bottom_size() (1 vs. 2)"
        ' propagate_down param must be specified either 0 or bottom_size times"')
    assert f.hint == "give one `propagate_down` per bottom (2, in order), or none"


def test_good_counts_are_silent() -> None:
    """A loss without a written top has the one Net::Init adds (AutoTopBlobs)."""
    assert lint_fixture("layer_setup/good_blob_settings.prototxt", dialect="bvlc") == []


def test_a_fork_layer_leaves_loss_weight_unjudged() -> None:
    text = ('input: "a"\ninput_shape { dim: 2 dim: 4 }\n'
            'layer { name: "p" type: "MyLoss" bottom: "a" top: "p" }\n'
            'layer { name: "r" type: "ReLU" bottom: "a" top: "r" loss_weight: 1'
            ' loss_weight: 1 }\n')
    assert [f for f in lint_text(text, select=("N334",)) if f.code == "N334"] == []
    one = text.replace('layer { name: "p" type: "MyLoss" bottom: "a" top: "p" }\n', "")
    assert brief(lint_text(one, select=("N334",), dialect="bvlc")) == [("N334", 3, 53)]
