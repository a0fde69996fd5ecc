"""N261: bottoms that nothing produces in the net Caffe builds for a phase."""

from __future__ import annotations

from conftest import brief, lint_fixture, lint_text

SELECT = ("N261",)


def test_test_data_layer_without_label() -> None:
    findings = lint_fixture("unknown_bottom/bad_test_label.prototxt", select=SELECT)
    # one missing blob, one finding: the loss, which reads it too, is a related place
    assert brief(findings) == [("N261", 57, 3)]
    (accuracy,) = findings
    assert accuracy.name == "unknown-bottom"
    assert accuracy.severity.label == "error"
    assert accuracy.phases == ("TEST",)
    assert accuracy.end_column == 18  # the whole `bottom: "label"` field
    assert accuracy.message == (
        "in the TEST net, Caffe aborts with \"Unknown bottom blob 'label' (layer 'accuracy',"
        " bottom index 1)\": 'label' is produced only in TRAIN, by layer 'mnist' (line 2)"
        " (read by 1 more layer)"
    )
    assert accuracy.hint == (
        "give the TEST net its own producer of 'label' (e.g. a data layer with"
        " `include { phase: TEST }`), or limit layer 'accuracy' to TRAIN"
    )
    assert [(r.line, r.column, r.message) for r in accuracy.related] == [
        (65, 3, "layer 'loss' reads it too")]


def test_deploy_with_accuracy() -> None:
    (f,) = lint_fixture("unknown_bottom/bad_deploy_accuracy.prototxt", select=SELECT)
    assert (f.code, f.line, f.column) == ("N261", 21, 3)
    assert f.phases == ("deploy",)
    assert f.message == (
        "in the deploy net, Caffe aborts with \"Unknown bottom blob 'label' (layer"
        " 'accuracy', bottom index 1)\": no layer and no net input produces 'label'"
    )
    assert f.hint == (
        "a deploy net has no 'label' to read: remove layer 'accuracy' (Accuracy), or declare"
        " 'label' with `input:` or an Input layer"
    )


def test_producer_after_consumer() -> None:
    (f,) = lint_fixture("unknown_bottom/bad_order.prototxt", select=SELECT)
    assert (f.code, f.line, f.column) == ("N261", 11, 3)
    assert f.phases == ("TRAIN",)  # a loss and no phase rules: a training net
    assert f.message == (
        "in the TRAIN net, Caffe aborts with \"Unknown bottom blob 'ip' (layer"
        " 'relu', bottom index 0)\": 'ip' is produced later, by layer 'ip' at line 14:"
        " Caffe needs a blob's producer before its consumers"
    )
    assert f.hint == "move layer 'ip' above layer 'relu'"


def test_v1_include_phase() -> None:
    (f,) = lint_fixture("unknown_bottom/bad_v1_test_only.prototxt", select=SELECT)
    assert (f.code, f.line, f.column) == ("N261", 28, 3)
    assert f.phases == ("TEST",)
    assert f.message.endswith("'label' is produced only in TRAIN, by layer 'mnist' (line 2)")


def test_good_nets() -> None:
    for name in ("good_lenet_train_val", "good_deploy", "good_train_only"):
        assert lint_fixture(f"unknown_bottom/{name}.prototxt", select=SELECT) == [], name


def test_layer_left_out_by_stage() -> None:
    text = """
input: "data"
layer { name: "extra" type: "Power" bottom: "data" top: "aux"
        include { stage: "debug" } }
layer { name: "use" type: "Eltwise" bottom: "data" bottom: "aux" top: "sum" }
"""
    (f,) = lint_text(text, select=SELECT)
    assert brief([f]) == [("N261", 5, 52)]
    assert f.phases == ("deploy",)  # inputs, no data layer, no loss: stages are no phases
    assert f.message.endswith(
        "'aux' is produced only by layer 'extra' (line 3), which its include/exclude rules"
        " leave out of this net"
    )


def test_layer_name_used_as_blob() -> None:
    text = """
layer { name: "mnist" type: "DummyData" top: "data" top: "label"
        dummy_data_param { shape { dim: 2 dim: 4 } shape { dim: 2 } } }
layer { name: "ip" type: "InnerProduct" bottom: "mnist" top: "ip"
        inner_product_param { num_output: 2 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
"""
    (f,) = lint_text(text, select=SELECT)
    assert brief([f]) == [("N261", 4, 41)]
    assert f.phases == ("TRAIN",)
    assert f.message.endswith("no layer and no net input produces 'mnist'")
    assert f.hint.startswith(
        "'mnist' names a layer, but a bottom names a blob (its tops: 'data', 'label')"
    )


def test_net_inputs_and_v0() -> None:
    """`input:` fields produce blobs; V0 layers have no phase rules (Caffe drops them)."""
    text = """
input: "data"
layers { layer { name: "ip" type: "innerproduct" num_output: 2 } bottom: "data" top: "ip" }
layers { layer { name: "loss" type: "softmax_loss" } bottom: "ip" bottom: "label" }
"""
    (f,) = lint_text(text, select=SELECT)
    assert brief([f]) == [("N261", 4, 67)]
    assert f.phases == ("TRAIN",)


def test_net_without_any_source_is_a_fragment() -> None:
    """No input of any kind: one N262 note for the file, no N261 per bottom."""
    (f,) = lint_fixture("unknown_bottom/bad_fragment.prototxt", select=("N26",))
    assert (f.code, f.line, f.column, f.severity.label) == ("N262", 2, 9, "info")
    assert f.message == (
        "no data layer, Input layer or `input:` in this net (it reads 'features' first): it is"
        " a fragment of a net, and Caffe cannot build it alone; its bottoms are not checked"
    )
    assert f.hint == (
        "declare the net's inputs (`input:` with `input_shape`, or an Input layer) to lint it"
        " as a net"
    )
    for name in ("good_lenet_train_val", "good_deploy", "good_train_only"):
        assert lint_fixture(f"unknown_bottom/{name}.prototxt", select=("N262",)) == [], name


def test_readers_of_one_missing_blob_are_one_finding() -> None:
    text = """
input: "data"
input_shape { dim: 1 dim: 4 }
layer { name: "a" type: "ReLU" bottom: "feat" top: "a" }
layer { name: "b" type: "ReLU" bottom: "feat" top: "b" }
"""
    (f,) = lint_text(text, select=SELECT)
    assert brief([f]) == [("N261", 4, 32)]
    assert f.message == (
        "in the deploy net, Caffe aborts with \"Unknown bottom blob 'feat' (layer 'a', bottom"
        " index 0)\": no layer and no net input produces 'feat' (read by 1 more layer)"
    )
    assert [(r.line, r.column, r.message) for r in f.related] == [
        (5, 32, "layer 'b' reads it too")]


def test_mixed_syntax_is_left_to_caffe_refusal() -> None:
    text = """
layer { name: "ip" type: "InnerProduct" bottom: "x" top: "ip" }
layers { name: "d" type: DUMMY_DATA top: "x" }
"""
    assert lint_text(text, select=SELECT) == []


def test_in_place_layer_without_producer() -> None:
    text = """
input: "data"
layer { name: "relu" type: "ReLU" bottom: "ip" top: "ip" }
"""
    (f,) = lint_text(text, select=SELECT)
    assert brief([f]) == [("N261", 3, 35)]
    assert f.message.endswith(
        "only layer 'relu' itself writes 'ip', in place, and an in-place layer needs the blob"
        " to exist already"
    )
