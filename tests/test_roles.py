"""What a net is for (``model.decide_role``), decided once from evidence, on real files.

One net of each role from the corpus: the role, the nets Caffe builds for it, and the exact
findings the linter then gives (code, line, column), all rules on.
"""

from __future__ import annotations

import pytest
from conftest import CORPUS, FIXTURES, brief, lint_text, needs_corpus

from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules

RULES = load_rules()

#: corpus file -> (role, phases, exact findings)
CASES = {
    # a deploy net whose one TRAIN-only layer (and 52 frozen BatchNorm layers) made it a
    # train/test net before: 52 errors for one setting
    "eric612__MobileNet-YOLO/models/mobilenetv2_voc/MobileNetV2.prototxt":
        ("deploy", ("deploy",), []),
    # `input:` plus a TEST-only reshape: still a deploy net (no loss)
    "LisaAnne__lisa-caffe-public/examples/LRCN_activity_recognition/deploy_lstm.prototxt":
        ("deploy", ("deploy",), []),
    "BVLC__caffe/examples/mnist/lenet_train_test.prototxt":
        ("train-val", ("TRAIN", "TEST"), [("N252", 14, 5)]),
    # no phase rules, a loss, `train.txt`: a training net, so the seed "no shuffle" fires
    "BVLC__caffe/examples/hdf5_classification/nonlinear_auto_train.prototxt":
        ("train", ("TRAIN",), [("N251", 6, 3)]),
    # no phase rules and no weight fillers: BVLC's feature-extraction net
    "BVLC__caffe/examples/feature_extraction/imagenet_val.prototxt":
        ("evaluation", ("TEST",), []),
    # a loss head to append to a net: one note, not an unknown-bottom error per layer; its
    # fields are those of happynear's fork, so it is read as that fork reads it
    "happynear__NormFace/prototxt/normalized_Euclidean_triplet.prototxt":
        ("fragment", ("TRAIN", "TEST"), [("N262", 2, 3), ("X003", 3, 3)]),
    # DIGITS: data layers gated by `stage: "train"` / `"val"`
    "NVIDIA-AI-IOT__redtail/models/nets/ResNet/TrailNet_SResNet-18.prototxt":
        ("staged", ("TRAIN", "TEST"), []),
}


@needs_corpus
@pytest.mark.parametrize("name", sorted(CASES))
def test_role_and_findings_on_real_files(name: str) -> None:
    kind, phases, expected = CASES[name]
    (report,) = Linter(RULES, Options()).lint([Input(str(CORPUS / name))])
    assert report.net is not None
    assert (report.net.role.kind, tuple(p.name for p in report.net.phases)) == (kind, phases)
    assert report.net.role.evidence  # always says why
    assert brief(report.findings) == expected


def test_solver_decides_the_phases() -> None:
    """A solver that names the net overrides the file's own evidence."""
    net = FIXTURES / "batchnorm" / "good_evaluation_no_phase_rules.prototxt"
    solver = f'train_net: "{net}"\nbase_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 9\n'
    reports = Linter(RULES, Options()).lint([Input("solver.prototxt", solver.encode())])
    linked = next(r for r in reports if r.path.endswith("good_evaluation_no_phase_rules.prototxt"))
    assert linked.net is not None
    assert (linked.net.role.kind, linked.net.role.phases) == ("train", ("TRAIN",))
    assert linked.net.role.evidence == ("a solver builds it for TRAIN",)
    # as a training net: its Data layer's order (N252) and its frozen BatchNorm (N211)
    assert [f.code for f in linked.findings] == ["N252", "N211"]


def test_role_in_json() -> None:
    import json

    from click.testing import CliRunner

    from prototxt_lint.cli.command import lint_command

    path = FIXTURES / "batchnorm" / "good_evaluation_no_phase_rules.prototxt"
    result = CliRunner().invoke(lint_command, ["--format", "json", str(path)])
    (entry,) = json.loads(result.stdout)["files"]
    assert entry == {"file": str(path), "dialect": {"name": "bvlc", "detected": False},
                     "nets": [{
        "net": None, "kind": "evaluation", "phases": ["TEST"],
        "evidence": ["no phase rules", "layer 'data' reads `val_lmdb`",
                     "BatchNorm `use_global_stats: true`, which a file meant for testing"
                     " writes"],
        "finetuning": [], "template": []}]}


def test_a_digits_template_is_completed_by_digits() -> None:
    """Data layers without a source: DIGITS fills them in, with the mean and the output
    layer's num_output (caffe_train.py), so neither is judged missing."""
    path = FIXTURES / "roles" / "digits_template.prototxt"
    (report,) = Linter(RULES, Options(dialect="bvlc")).lint([Input(str(path))])
    assert report.net is not None
    assert report.net.role.kind == "train-val"
    assert report.net.role.template == (
        "data layers 'mnist', 'mnist' name no source: a template that a tool (DIGITS)"
        " completes",)
    assert brief(report.findings) == [("N252", 11, 3)]  # data_param: no source to point at
    # the same net with its sources written is a net Caffe reads as it is
    text = path.read_text().replace("batch_size: 64", 'source: "train_lmdb" backend: LMDB'
                                    " batch_size: 64").replace(
        "batch_size: 100", 'source: "val_lmdb" backend: LMDB batch_size: 100')
    (report,) = Linter(RULES, Options(dialect="bvlc")).lint([Input("n.prototxt", text.encode())])
    assert report.net is not None and report.net.role.template == ()
    assert [f.code for f in report.findings] == ["N231", "N252", "N321"]


def test_a_train_val_net_whose_loss_is_missing_is_still_a_train_val_net() -> None:
    """Data layers written for TRAIN and for TEST and no loss (commented out): the author
    builds a TRAIN net from it, so N305 says it trains nothing (it was taken for an
    evaluation net: found on an unseen real file)."""
    text = """
layer { name: "data" type: "Data" top: "data" include { phase: TRAIN }
        transform_param { scale: 0.0078125 } data_param { source: "train" batch_size: 8 } }
layer { name: "labels" type: "Data" top: "labels" include { phase: TRAIN }
        data_param { source: "train_labels" batch_size: 8 } }
layer { name: "data" type: "Data" top: "data" include { phase: TEST }
        transform_param { scale: 0.0078125 } data_param { source: "val" batch_size: 8 } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 4 weight_filler { type: "xavier" } } }
"""
    assert [(f.code, f.line) for f in lint_text(text, select=("N305", "N231"))] == [
        ("N305", 2)]


def test_data_for_both_phases_an_accuracy_and_no_loss_is_an_evaluation_net() -> None:
    """Keeping Accuracy and dropping the loss is what an evaluation or net-surgery file does
    (an unseen real file: 'This file is for the net_surgery example'): no N305."""
    text = """
layer { name: "data" type: "HDF5Data" top: "data" top: "label" include { phase: TRAIN }
        hdf5_data_param { source: "train.txt" batch_size: 8 } }
layer { name: "data" type: "HDF5Data" top: "data" top: "label" include { phase: TEST }
        hdf5_data_param { source: "test.txt" batch_size: 8 } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 4 weight_filler { type: "xavier" } } }
layer { name: "accuracy" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy"
        include { phase: TEST } }
"""
    assert [f.code for f in lint_text(text, select=("N305",))] == []
