"""N311-N313: layer types BVLC Caffe does not register."""

from __future__ import annotations

import re

from conftest import CORPUS, FIXTURES, brief, lint_files, lint_fixture, lint_text, needs_corpus
from google.protobuf import descriptor_pb2

from prototxt_lint.caffe.layers import BVLC_LAYER_TYPES, near_miss
from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.schema import Schema, caffe_pb2
from prototxt_lint.schema.descriptors import load_file_descriptor

SELECT = ("N311", "N312", "N313")


def test_misspelled_types_are_errors_with_did_you_mean() -> None:
    findings = lint_fixture("layer_types/bad_misspelled.prototxt", select=SELECT)
    assert brief(findings) == [
        ("N311", 6, 3), ("N311", 13, 3), ("N311", 19, 3), ("N311", 26, 3), ("N311", 33, 3),
    ]
    conv, relu, fc, lower, enum = findings
    assert relu.severity.label == "error"
    assert relu.name == "misspelled-layer-type"
    assert relu.phases == ("deploy",)
    assert relu.end_column == 15  # the whole `type: "Relu"`
    assert relu.message == (
        'unknown layer type "Relu" (layer \'relu1\'): Caffe aborts with "Unknown layer type:'
        ' Relu (known types: ...)"; type names are case-sensitive'
    )
    assert [f.hint for f in findings] == [
        'did you mean "Convolution"?', 'did you mean "ReLU"?', 'did you mean "InnerProduct"?',
        'did you mean "InnerProduct"?', 'did you mean "Softmax"?',
    ]
    assert fc.message.startswith('unknown layer type "FullyConnected" (layer \'fc1\')')
    assert conv.message.startswith('unknown layer type "Convolutoin"')
    assert lower.message.startswith('unknown layer type "innerproduct"')
    assert enum.message.startswith('unknown layer type "SOFTMAX"')


def test_custom_types_once_per_net() -> None:
    # read as BVLC Caffe reads it; detected, ROIPooling makes it a Fast R-CNN file (below)
    findings = lint_fixture("layer_types/bad_custom.prototxt", select=SELECT, dialect="bvlc")
    # one cause (the net needs a fork), one finding: both types with their counts, the first
    # use of the second as a related place; ReLU6 is a fork's layer, not a typo of ReLU;
    # Python is registered
    assert brief(findings) == [("N312", 15, 3)]
    (f,) = findings
    assert f.severity.label == "warning"
    assert f.phases == ()
    assert f.message == (
        'layer types "ROIPooling" (2 layers), "ReLU6" (1 layer) are not registered by BVLC'
        " Caffe: this net is written for a fork or a custom build; a Caffe build without them"
        ' aborts with "Unknown layer type: ROIPooling"'
    )
    assert f.hint == (
        "run it with the Caffe fork or build that provides these layers (lint with its"
        " schema: --proto path/to/caffe.proto)"
    )
    assert [(r.line, r.column, r.message) for r in f.related] == [
        (29, 3, 'first layer of type "ReLU6"')]


def test_near_miss_in_a_fork_file_is_the_forks() -> None:
    text = """
input: "data"
input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
layer { name: "roi" type: "ROIPooling" bottom: "data" top: "roi" }
layer { name: "lstm1" type: "Lstm" bottom: "roi" top: "lstm1" }
"""
    (f,) = lint_text(text, select=("N31",), dialect="bvlc")
    assert f.code == "N312"  # not an N311 error: the fork this file needs may register it
    assert f.message.startswith(
        'layer types "ROIPooling" (1 layer), "Lstm" (1 layer; BVLC\'s is "LSTM") are not'
        " registered by BVLC Caffe")


def test_missing_type() -> None:
    (f,) = lint_fixture("layer_types/bad_missing_type.prototxt", select=SELECT)
    assert (f.code, f.line, f.column, f.end_column) == ("N313", 11, 1, 8)  # the `layer {`
    assert f.severity.label == "error"
    assert f.message == (
        "layer 'relu' has no type: Caffe aborts with \"Unknown layer type:  (known types:"
        ' ...)"'
    )


def test_registered_types_and_v1_enums_are_known() -> None:
    assert lint_fixture("layer_types/good_types.prototxt", select=SELECT) == []
    assert lint_fixture("layer_types/good_v1.prototxt", select=SELECT) == []


def test_v2_string_with_a_v1_enum_name() -> None:
    text = (
        'input: "data"\ninput_shape { dim: 1 dim: 4 }\n'
        'layer { name: "ip" type: "INNER_PRODUCT" bottom: "data" top: "ip"\n'
        '        inner_product_param { num_output: 2 } }\n'
    )
    (f,) = lint_text(text, select=SELECT)
    assert (f.code, f.line, f.column) == ("N311", 3, 20)
    assert f.hint == 'did you mean "InnerProduct"?'


def test_near_miss_is_strict() -> None:
    assert near_miss("Dense") == "InnerProduct"
    assert near_miss("Sofmax") == "Softmax"
    assert near_miss("SOFTMAX_LOSS") == "SoftmaxWithLoss"
    assert near_miss("conv") == "Convolution"  # a V0 name
    for fork in ("ReLU6", "CReLU", "ROIPooling", "PSROIPooling", "BN", "Interp", "Normalize",
                 "MarginInnerProduct", "ConvolutionDepthwise", "SmoothL1Loss", "PriorBox",
                 "SegAccuracy", "ImageSegData", "VideoData", "Axpy", "Upsample"):
        assert near_miss(fork) is None, fork
    assert {"Python", "Clip", "Swish", "Input", "Parameter", "LSTM"} <= BVLC_LAYER_TYPES
    assert "Recurrent" not in BVLC_LAYER_TYPES  # abstract, never registered


def _fork_schema() -> Schema:
    """BVLC's schema plus a `roi_pooling_param` on LayerParameter, as Fast R-CNN's has."""
    proto = descriptor_pb2.FileDescriptorProto()
    caffe_pb2.DESCRIPTOR.CopyToProto(proto)
    extra = proto.message_type.add(name="ROIPoolingParameter")
    extra.field.add(name="pooled_h", number=1, type=13, label=1)  # uint32
    layer = next(m for m in proto.message_type if m.name == "LayerParameter")
    layer.field.add(name="roi_pooling_param", number=8266711, type=11, label=1,
                    type_name=".caffe.ROIPoolingParameter")
    serialized = descriptor_pb2.FileDescriptorSet(file=[proto]).SerializeToString()
    return Schema("fast-rcnn caffe.proto", load_file_descriptor(serialized, proto.name))


def test_fork_schema_provides_its_layers() -> None:
    path = FIXTURES / "layer_types/bad_custom.prototxt"
    assert {f.code for f in lint_files(path, select=SELECT, dialect="bvlc")} == {"N312"}
    # detected from ROIPooling (Fast R-CNN's roi_pooling_param): read as that fork
    assert [(f.code, f.message) for f in lint_files(path, select=(*SELECT, "X003"))] == [(
        "X003", "read as the Fast/Faster R-CNN fork (rbgirshick/caffe-fast-rcnn) reads it: uses"
        " `ROIPooling`, which that fork declares and BVLC Caffe's schema lacks (so do: rfcn,"
        " intel, caffe-windows, tsn, ...)")]
    linter = Linter(load_rules(), Options(select=SELECT, schema=_fork_schema()))
    # with a fork's schema, the fork is taken to provide its layers (ROIPooling, ReLU6 alike):
    # a schema cannot say which parameter-less layers a fork registers
    assert linter.lint([Input(str(path))])[0].findings == []


@needs_corpus
def test_corpus_has_no_misspelled_types() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".prototxt", ".pt", ".proto")
                   and "protos" not in p.parts)
    findings = lint_files(*files, select=SELECT, dialect="bvlc")
    assert {f.code for f in findings} == {"N312"}
    kinds = {m for f in findings for m in re.findall(r'"([^"]+)" \(\d+ layers?', f.message)}
    assert {"ROIPooling", "PSROIPooling", "SmoothL1Loss", "BN", "Interp", "PriorBox",
            "Permute", "DetectionOutput", "MultiBoxLoss", "Axpy"} <= kinds
    assert not kinds & BVLC_LAYER_TYPES
