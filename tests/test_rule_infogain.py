"""N241-N243: InfogainLoss, judged by the schema in use (1.0+ has InfogainLossParameter.axis)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest
from conftest import (
    CORPUS,
    FIXTURES,
    PROTOC,
    REPO,
    brief,
    lint_files,
    lint_fixture,
    lint_text,
)
from google.protobuf.descriptor_pb2 import FileDescriptorSet

from prototxt_lint.findings import Finding
from prototxt_lint.schema import Schema
from prototxt_lint.schema.descriptors import load_file_descriptor
from prototxt_lint.schema.fork import compile_schema

SELECT = ("N24",)


def schema_from(serialized_set: bytes, name: str, drop_axis: bool = False) -> Schema:
    """A Schema from a serialized FileDescriptorSet, in a private pool."""
    files = FileDescriptorSet.FromString(serialized_set)
    for file_proto in files.file:
        for msg in file_proto.message_type:
            if drop_axis and msg.name == "InfogainLossParameter":
                kept = [f for f in msg.field if f.name != "axis"]
                del msg.field[:]
                msg.field.extend(kept)
    return Schema(name, load_file_descriptor(files.SerializeToString(), "caffe.proto"))


@cache
def old_caffe() -> Schema:
    """BVLC's schema without InfogainLossParameter.axis: a Caffe before PR #3855 (or a fork)."""
    desc = (REPO / "prototxt_lint" / "schema" / "caffe.desc").read_bytes()
    return schema_from(desc, "old Caffe", drop_axis=True)


def lint_old(name: str) -> list[Finding]:
    return lint_files(FIXTURES / name, select=SELECT, schema=old_caffe())


def test_old_schema_really_lacks_axis() -> None:
    assert not old_caffe().has_field("InfogainLossParameter", "axis")
    assert old_caffe().has_field("InfogainLossParameter", "source")


def test_double_softmax() -> None:
    (f,) = lint_fixture("infogain/bad_double_softmax.prototxt", select=SELECT)
    assert (f.code, f.line, f.column, f.end_column) == ("N241", 47, 3, 17)
    assert f.name == "infogain-double-softmax"
    assert f.severity.label == "warning"
    assert f.phases == ("TRAIN", "TEST")
    assert f.message == (
        "InfogainLoss layer 'loss' applies its own softmax (this Caffe has"
        " InfogainLossParameter.axis: BVLC 1.0 and later), but 'prob' comes from layer 'prob'"
        " (Softmax), so the scores are squashed twice: training runs without any error but"
        " the loss plateaus above 0 (measured with 4 classes: 0.7438, the double-softmax"
        " floor)"
    )
    assert f.hint == "feed the Softmax layer's input 'ip2' to layer 'loss' instead"


def test_double_softmax_in_place() -> None:
    """The in-place Softmax before the loss is the producer; the Scale after it is not."""
    (f,) = lint_fixture("infogain/bad_double_softmax_inplace.prototxt", select=SELECT)
    assert brief([f]) == [("N241", 47, 3)]
    assert f.phases == ("TRAIN",)
    assert "but 'ip2' comes from layer 'softmax' (Softmax)" in f.message
    assert f.hint.startswith("remove the in-place Softmax layer 'softmax'")


def test_double_softmax_through_reshape() -> None:
    text = """
layer { name: "d" type: "DummyData" top: "x" top: "label"
        dummy_data_param { shape { dim: 2 dim: 4 } shape { dim: 2 } } }
layer { name: "prob" type: "Softmax" bottom: "x" top: "prob" }
layer { name: "flat" type: "Flatten" bottom: "prob" top: "flat" }
layer { name: "loss" type: "InfogainLoss" bottom: "flat" bottom: "label" top: "loss" }
"""
    (f,) = lint_text(text, select=SELECT)
    assert brief([f]) == [("N241", 6, 43)]
    assert "but 'flat' is a reshaped output of layer 'prob' (Softmax)" in f.message


def test_scores_good_on_master() -> None:
    assert lint_fixture("infogain/good_scores.prototxt", select=SELECT) == []
    assert lint_fixture("infogain/bad_raw_scores_old_caffe.prototxt", select=SELECT) == []


def test_raw_scores_old_caffe() -> None:
    (f,) = lint_old("infogain/bad_raw_scores_old_caffe.prototxt")
    assert (f.code, f.line, f.column) == ("N242", 48, 3)
    assert f.name == "infogain-raw-scores"
    assert f.severity.label == "error"
    assert f.phases == ("TRAIN", "TEST")
    assert f.message == (
        "InfogainLoss layer 'loss' reads its first bottom as probabilities in this Caffe (no"
        " InfogainLossParameter.axis: before BVLC 1.0, or a fork), but 'ip2' comes from layer"
        " 'relu2' (ReLU), raw scores: scores above 1 make the loss negative and scores at or"
        " below 0 are clamped to 1e-20, giving gradients of order 1e20"
    )
    assert f.hint == "add a Softmax layer on 'ip2' and feed its top to layer 'loss'"


def test_old_caffe_good_inputs() -> None:
    """Softmax output is right for old Caffe; unknown producers (Python) stay silent."""
    assert lint_old("infogain/bad_double_softmax.prototxt") == []
    assert lint_old("infogain/bad_double_softmax_inplace.prototxt") == []
    assert lint_old("infogain/good_python_probs.prototxt") == []
    assert lint_fixture("infogain/good_python_probs.prototxt", select=SELECT) == []


def test_normalize_deprecated() -> None:
    (f,) = lint_fixture("infogain/bad_normalize.prototxt", select=SELECT)
    assert (f.code, f.line, f.column, f.end_column) == ("N243", 46, 5, 21)
    assert f.name == "infogain-normalize-deprecated"
    assert f.severity.label == "error"
    assert f.phases == ("TRAIN", "TEST")
    assert f.message == (
        "`normalize: false` on InfogainLoss layer 'loss': Caffe aborts when it sets the layer"
        ' up with "Check failed: !this->layer_param_.loss_param().has_normalize() normalize'
        ' is deprecated. use "normalization"" (any written value fails, true or false)'
    )
    assert f.hint == "replace it with `normalization: BATCH_SIZE`"


def test_normalize_true_and_v1() -> None:
    text = """
layers { name: "d" type: DUMMY_DATA top: "x" top: "label"
         dummy_data_param { shape { dim: 2 dim: 4 } shape { dim: 2 } } }
layers { name: "loss" type: INFOGAIN_LOSS bottom: "x" bottom: "label" top: "loss"
         loss_param { normalize: true } }
"""
    (f,) = lint_text(text, select=SELECT)
    assert brief([f]) == [("N243", 5, 23)]
    assert f.message.startswith("`normalize: true` on InfogainLoss layer 'loss'")
    assert f.hint == "replace it with `normalization: VALID`"


def test_normalize_accepted_by_old_caffe() -> None:
    """Old Caffe has no such check (its scores input is N242's business)."""
    assert [f.code for f in lint_old("infogain/bad_normalize.prototxt")] == ["N242"]


def test_real_fork_schema(tmp_path: Path) -> None:
    """py-faster-rcnn's Caffe (no axis) judges the same files like the stripped schema."""
    proto = CORPUS / "protos" / "rbgirshick__caffe-fast-rcnn.caffe.proto"
    if PROTOC is None:
        pytest.skip("compiling a fork's schema needs grpcio-tools or protoc on PATH")
    if not proto.is_file() and not os.environ.get("CI"):
        pytest.skip(f"../shared/corpus/protos/{proto.name} is not next to this checkout")
    (tmp_path / "caffe.proto").write_bytes(proto.read_bytes())
    fork = schema_from(compile_schema(tmp_path / "caffe.proto"), "caffe-fast-rcnn")
    assert not fork.has_field("InfogainLossParameter", "axis")
    findings = lint_files(FIXTURES / "infogain/bad_raw_scores_old_caffe.prototxt",
                          FIXTURES / "infogain/bad_double_softmax.prototxt",
                          FIXTURES / "infogain/bad_normalize.prototxt",
                          select=SELECT, schema=fork)
    assert [(Path(f.file).name, f.code, f.line) for f in findings] == [
        ("bad_raw_scores_old_caffe.prototxt", "N242", 48),
        ("bad_normalize.prototxt", "N242", 41),
    ]
