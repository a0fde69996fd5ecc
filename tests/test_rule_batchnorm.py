from conftest import CORPUS, FIXTURES, brief, lint_files, lint_fixture, lint_text

SEL = ("N21",)

N211_START = (
    "`use_global_stats: true` in TRAIN: BatchNorm normalizes with its stored mean and variance,"
    " which training never updates; from scratch they are 0, so the layer multiplies its input"
    " by 1/sqrt(eps) ≈ "
)


def test_global_stats_in_train() -> None:
    findings = lint_fixture("batchnorm/bad_global_stats_train.prototxt", select=SEL)
    assert brief(findings) == [("N211", 34, 5), ("N211", 62, 22)]
    first, second = findings
    assert first.severity.label == "error"
    assert first.phases == ("TRAIN",)  # TEST uses the stored statistics anyway
    assert first.end_column == 27  # the whole `use_global_stats: true`
    assert first.message == N211_START + (
        "316 (eps 1e-05) (measured with the default eps: losses at the 87.3365 clamp, then nan)"
    )
    assert first.hint == (
        "delete `use_global_stats`: Caffe uses batch statistics in TRAIN and the stored ones"
        " in TEST"
    )
    assert second.message.startswith(N211_START + "32 (eps 0.001)")


def test_frozen_for_finetuning() -> None:
    findings = lint_fixture("batchnorm/bad_frozen_for_finetuning.prototxt", select=SEL)
    # bn_conv1 feeds a Scale with both blobs frozen: info. bn2a's Scale has bias_term but a
    # single `param { lr_mult: 0 }`, so its bias learns (lr_mult 1): error.
    assert brief(findings) == [("N212", 21, 5), ("N211", 49, 5)]
    info, error = findings
    assert info.severity.label == "info"
    assert info.phases == ("TRAIN",)
    assert info.message == (
        "`use_global_stats: true` in TRAIN, and the Scale `scale_conv1` after it is frozen"
        " (lr_mult 0): BatchNorm statistics are frozen for fine-tuning, which is right only"
        " when the loaded weights carry this layer's trained mean and variance; from scratch"
        " they stay 0 and the layer multiplies its input by 1/sqrt(eps) ≈ 316 (eps 1e-05)"
    )
    assert info.hint == (
        "train from weights that contain layer `bn_conv1` (caffe train --weights"
        " model.caffemodel)"
    )
    assert error.severity.label == "error"
    assert error.message.startswith(N211_START)


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


def test_corpus_only_rfcn_finetuning_infos() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".prototxt", ".pt"))
    findings = lint_files(*files, select=SEL)
    assert {f.code for f in findings} == {"N212"}
    assert {f.phases for f in findings} == {("TRAIN",)}
    assert all("R-FCN" in f.file for f in findings)


def test_global_stats_in_train_has_a_minimal_fix() -> None:
    path = FIXTURES / "batchnorm/bad_global_stats_train.prototxt"
    finding = next(f for f in lint_files(path) if f.code == "N211")
    assert finding.fix is not None
    text = path.read_text()
    (edit,) = finding.fix.edits
    assert text[edit.start : edit.end].strip() == "use_global_stats: true"
    fixed = text[: edit.start] + edit.new_text + text[edit.end :]
    assert fixed.count("\n") == text.count("\n") - 1  # the field was alone on its line
    assert fixed.splitlines()[: finding.line - 1] == text.splitlines()[: finding.line - 1]
    left = [f for f in lint_text(fixed) if f.code == "N211"]
    assert len(left) == len([f for f in lint_files(path) if f.code == "N211"]) - 1
