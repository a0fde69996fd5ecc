from collections import Counter
from pathlib import Path

from conftest import CORPUS, FIXTURES, brief, lint_files, lint_fixture, lint_text, needs_corpus

from prototxt_lint.engine.fixes import apply_edits
from prototxt_lint.engine.linter import Input, Linter
from prototxt_lint.engine.registry import load_rules

SEL = ("N21",)

N211_START = (
    "`use_global_stats: true` in TRAIN: BatchNorm normalizes with its stored mean and variance,"
    " which training never updates; if this net trains from scratch they are 0, so the layer"
    " multiplies its input by 1/sqrt(eps) ≈ "
)


def test_global_stats_in_train() -> None:
    findings = lint_fixture("batchnorm/bad_global_stats_train.prototxt", select=SEL)
    # one cause (frozen statistics in a net trained from scratch), one finding: at the
    # first layer, the second as a related place
    assert brief(findings) == [("N211", 34, 5)]
    (first,) = findings
    assert first.severity.label == "warning"  # weights given to `caffe train` may carry them
    assert first.phases == ("TRAIN",)  # TEST uses the stored statistics anyway
    assert first.end_column == 27  # the whole `use_global_stats: true`
    assert first.message == N211_START + (
        "316 (eps 1e-05) (measured with the default eps: losses at the 87.3365 clamp, then"
        " nan) (and 1 more BatchNorm layers like it in this net)"
    )
    assert first.hint == (
        "delete `use_global_stats` (Caffe uses batch statistics in TRAIN and the stored ones"
        " in TEST); keep it only when fine-tuning from weights that carry these layers'"
        " statistics (caffe train --weights)"
    )
    assert [(r.line, r.column, r.message) for r in first.related] == [
        (62, 22, "BatchNorm 'bn2'")]


def test_global_stats_in_a_training_net_without_phase_rules() -> None:
    # shuffle and mirror say "training": the file is judged as a TRAIN net
    findings = lint_fixture("batchnorm/bad_global_stats_train_no_phase_rules.prototxt",
                            select=SEL)
    assert brief(findings) == [("N211", 24, 22)]
    assert findings[0].phases == ("TRAIN",)


def test_evaluation_net_without_phase_rules_is_not_a_training_net() -> None:
    # no phase rules, frozen statistics, nothing a training net asks for: `caffe test`
    path = FIXTURES / "batchnorm/good_evaluation_no_phase_rules.prototxt"
    assert lint_files(path, select=SEL) == []
    (report,) = Linter(load_rules()).lint([Input(str(path))])
    assert report.net is not None
    assert report.net.role.kind == "evaluation"
    assert report.net.role.phases == ("TEST",)


def test_frozen_for_finetuning() -> None:
    findings = lint_fixture("batchnorm/bad_frozen_for_finetuning.prototxt", select=SEL)
    # bn_conv1 feeds a Scale with both blobs frozen: the net fine-tunes, so every frozen
    # BatchNorm in it (bn2a too) is the same reminder, given once
    assert brief(findings) == [("N212", 21, 5)]
    (info,) = findings
    assert info.severity.label == "info"
    assert info.phases == ("TRAIN",)
    assert info.message == (
        "`use_global_stats: true` in TRAIN in a net that fine-tunes (the Scale 'scale_conv1'"
        " after BatchNorm 'bn_conv1' is frozen (lr_mult 0); layer 'conv1' and 2 more frozen"
        " (`lr_mult: 0`) with no filler or a random one; 2 of its 2 Convolution/InnerProduct"
        " layers have no weight filler (a pretrained trunk)): BatchNorm statistics are frozen,"
        " which"
        " is right only when the loaded weights carry these layers' trained mean and"
        " variance; from scratch they stay 0 and the layer multiplies its input by"
        " 1/sqrt(eps) ≈ 316 (eps 1e-05) (and 1 more BatchNorm layers like it in this net)"
    )
    assert info.hint == (
        "train from weights that contain layer `bn_conv1` (caffe train --weights"
        " model.caffemodel)"
    )
    assert [r.line for r in info.related] == [49]


def test_solver_weights_mean_finetuning(tmp_path: Path) -> None:
    net = (FIXTURES / "batchnorm/bad_global_stats_train.prototxt").read_text()
    (tmp_path / "net.prototxt").write_text(net)
    solver = tmp_path / "solver.prototxt"
    solver.write_text('net: "net.prototxt"\nweights: "pretrained.caffemodel"\n'
                      'base_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 100\n')
    findings = lint_files(solver, select=SEL)
    assert brief(findings) == [("N212", 34, 5)]
    assert "the solver loads weights (pretrained.caffemodel)" in findings[0].message


def test_batch_stats_in_test() -> None:
    findings = lint_fixture("batchnorm/bad_batch_stats_test.prototxt", select=SEL)
    assert brief(findings) == [("N213", 30, 22)]
    (f,) = findings
    assert f.severity.label == "warning"
    assert f.phases == ("TEST",)
    assert f.message == (
        "`use_global_stats: false` in TEST: BatchNorm normalizes each batch with that batch's"
        " own mean and variance instead of the learned ones, so a sample's output depends on"
        " the other samples in its batch and on the batch size"
    )
    assert f.hint == "delete `use_global_stats`: Caffe uses the stored statistics in TEST"


def test_batch_stats_in_deploy() -> None:
    findings = lint_fixture("batchnorm/bad_batch_stats_deploy.prototxt", select=SEL)
    assert brief(findings) == [("N213", 21, 5)]
    assert findings[0].phases == ("deploy",)
    assert findings[0].message.startswith("`use_global_stats: false` in deploy: ")


def test_train_val_without_the_field() -> None:
    # default BatchNorm (with the old `param { lr_mult: 0 }` blocks), plus a TRAIN-only
    # `false` and a TEST-only `true` layer: each matches what Caffe does by phase anyway
    assert lint_fixture("batchnorm/good_train_val_default.prototxt", select=SEL) == []


def test_deploy_with_global_stats() -> None:
    assert lint_fixture("batchnorm/good_deploy_global_stats.prototxt", select=SEL) == []


@needs_corpus
def test_corpus_one_finding_per_net() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".prototxt", ".pt"))
    findings = lint_files(*files, select=SEL)
    per_file = Counter((f.file, f.code) for f in findings)
    assert max(per_file.values()) == 1  # never one finding per BatchNorm layer
    assert {f.severity.label for f in findings} <= {"warning", "info"}


def test_global_stats_in_train_has_an_unsafe_fix() -> None:
    path = FIXTURES / "batchnorm/bad_global_stats_train.prototxt"
    finding = next(f for f in lint_files(path) if f.code == "N211")
    assert finding.fix is not None
    assert finding.fix.safe is False  # wrong when fine-tuning from trained statistics
    text = path.read_text()
    assert [text[e.start : e.end].strip() for e in finding.fix.edits] == [
        "use_global_stats: true", "use_global_stats: true"]
    fixed = apply_edits(text, finding.fix.edits)
    assert fixed.count("\n") == text.count("\n") - 1  # the first was alone on its line
    assert "batch_norm_param { eps: 0.001 }" in fixed
    assert [f for f in lint_text(fixed) if f.code == "N211"] == []
