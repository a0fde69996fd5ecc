"""N314: blob counts each BVLC layer type takes (Layer::CheckBlobCounts)."""

from __future__ import annotations

from conftest import brief, lint_fixture

from prototxt_lint.caffe.blob_counts import BLOB_COUNTS

SEL = ("N314",)


def test_blob_counts() -> None:
    findings = lint_fixture("blob_counts/bad_blob_counts.prototxt", select=SEL)
    assert brief(findings) == [("N314", 4, 56), ("N314", 6, 37), ("N314", 7, 67),
                               ("N314", 9, 63), ("N314", 10, 46)]
    assert {f.severity.label for f in findings} == {"error"}
    ip, eltwise, conv, softmax, loss = findings
    assert ip.message == (
        "layer 'ip' (InnerProduct): Caffe aborts at net setup with \"Check failed:"
        " ExactNumBottomBlobs() == bottom.size() (1 vs. 2) InnerProduct Layer takes 1 bottom"
        ' blob(s) as input."'
    )
    assert ip.hint == "give the layer exactly 1 `bottom` blob"
    assert eltwise.message.endswith(
        '(2 vs. 1) Eltwise Layer takes at least 2 bottom blob(s) as input."')
    assert conv.message.endswith(
        '"Check failed: bottom.size() == top.size() (1 vs. 2) Convolution Layer produces one'
        ' top blob as output for each bottom blob input."')
    assert softmax.message.endswith('(1 vs. 2) Softmax Layer produces 1 top blob(s) as output."')
    assert loss.message.endswith(
        '(2 vs. 1) SoftmaxWithLoss Layer takes 2 bottom blob(s) as input."')


def test_good_counts() -> None:
    assert lint_fixture("blob_counts/good_blob_counts.prototxt", select=SEL) == []


def test_table_comes_from_the_class_hierarchy() -> None:
    assert BLOB_COUNTS["ReLU"] == {"ExactNumBottomBlobs": 1, "ExactNumTopBlobs": 1}  # Neuron
    assert BLOB_COUNTS["EuclideanLoss"]["ExactNumBottomBlobs"] == 2  # LossLayer
    assert BLOB_COUNTS["EuclideanLoss"]["AutoTopBlobs"] == 1
    assert "LSTM" not in BLOB_COUNTS  # counts from its parameters: not judged
