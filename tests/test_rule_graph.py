"""N301-N309: how the layers of each phase connect."""

from __future__ import annotations

from pathlib import Path

from conftest import CORPUS, brief, lint_files, lint_fixture, lint_text, needs_corpus

MULTI = "produced by multiple sources.\": "


def test_top_produced_twice() -> None:
    findings = lint_fixture("graph/bad_top_twice.prototxt", select=("N301",))
    assert brief(findings) == [("N301", 22, 3), ("N301", 35, 3), ("N301", 43, 3), ("N301", 48, 3)]
    split, plain, index, inputs = findings
    assert plain.severity.label == "error"
    assert plain.phases == ("deploy",)
    assert plain.end_column == 12  # the whole `top: "ip"`
    assert plain.message == (
        "in the deploy net, Caffe aborts with \"Top blob 'ip' " + MULTI + "layer 'ip' (line 24)"
        " already produces 'ip', and layer 'ip_again' writes it again, not in place"
    )
    assert plain.hint == (
        "give the top of layer 'ip_again' its own name and update the layers that read it"
    )
    # relu1 writes conv1 in place, but pool1 reads conv1 too: InsertSplits renames relu1's
    # bottom, so its top is a second producer
    assert split.message == (
        "in the deploy net, Caffe aborts with \"Top blob 'conv1' " + MULTI + "layer 'relu1'"
        " writes 'conv1' in place, but 'conv1' is also read by layer 'pool1', so Caffe's"
        " InsertSplits gives layer 'relu1' a split copy 'conv1_conv1_0_split_1' as its bottom,"
        " and its top 'conv1' is then a second producer of the original"
    )
    assert split.hint.startswith("give layer 'relu1' its own top (e.g. 'conv1_relu1')")
    assert index.message.endswith(
        "layer 'sum' reads 'ip' as bottom 1 but writes it as top 0: Caffe computes in place"
        " only when a top repeats the bottom at the same index"
    )
    assert inputs.message.endswith(
        "layer 'image' writes 'data', which the net input `input: \"data\"` already declares"
    )


def test_in_place_chains_and_phase_twins_are_fine() -> None:
    # includes `input: "data"` without a shape, which UpgradeNetInput drops
    assert lint_fixture("graph/good_in_place.prototxt", select=("N3",)) == []


def test_include_and_exclude() -> None:
    (f,) = lint_fixture("graph/bad_include_exclude.prototxt", select=("N302",))
    assert (f.code, f.line, f.column, f.end_column) == ("N302", 21, 3, 12)
    assert f.severity.label == "error"
    assert f.message == (
        "layer 'drop' has both `include` and `exclude` rules: Caffe aborts with \"Specify"
        " either include rules or exclude rules; not both.\" whichever phase it builds"
    )
    assert lint_fixture("graph/good_include_not_stage.prototxt", select=("N3",)) == []


def test_duplicate_layer_name_with_weights() -> None:
    # the two data layers named "mnist" are in different phases; the two "relu" layers have
    # no weights: only the second "ip" is reported
    (f,) = lint_fixture("graph/bad_duplicate_name.prototxt", select=("N303",))
    assert (f.code, f.line, f.column, f.end_column) == ("N303", 34, 3, 13)
    assert f.severity.label == "warning"
    assert f.phases == ("TRAIN", "TEST")
    assert f.message == (
        "layer name 'ip' is already used by the InnerProduct layer at line 20: Caffe accepts"
        " it and trains, but it restores weights by layer name, always into the first 'ip',"
        " so this net cannot reload its own snapshots (measured: \"Cannot copy param 0"
        " weights from layer 'ip'; shape mismatch\"), and with equal shapes the wrong weights"
        " load silently"
    )
    assert f.hint == "rename this layer (e.g. 'ip_2')"


def test_too_many_param_specs() -> None:
    findings = lint_fixture("graph/bad_param_specs.prototxt", select=("N304",))
    assert brief(findings) == [("N304", 10, 3), ("N304", 18, 3), ("N304", 28, 3), ("N304", 36, 3)]
    conv, relu, bn, scale = findings
    assert conv.severity.label == "error"
    assert conv.end_column == 10  # the `param {` opener of the extra spec
    assert conv.message == (
        "layer 'conv1' (Convolution) has 2 `param` specs but 1 parameter blob (weights only:"
        " `bias_term: false`): Caffe aborts with \"Check failed: param_size <= num_param_blobs"
        " (2 vs. 1) Too many params specified for layer conv1\""
    )
    assert conv.hint == "keep only the first of its `param` blocks"
    assert relu.message.startswith(
        "layer 'relu1' (ReLU) has 1 `param` spec but 0 parameter blobs (none):")
    assert relu.hint == "remove its `param` blocks: this layer has no weights"
    assert "(4 vs. 3)" in bn.message
    assert "(mean, variance and the moving-average factor)" in bn.message
    assert scale.message.startswith(
        "layer 'scale1' (Scale) has 2 `param` specs but 1 parameter blob (scale):")


def test_too_many_param_specs_v1() -> None:
    (f,) = lint_fixture("graph/bad_param_specs_v1.prototxt", select=("N304",))
    assert (f.code, f.line, f.column) == ("N304", 14, 3)  # the third `blobs_lr`
    assert "(3 vs. 2)" in f.message
    assert f.hint == "keep only the first 2 of its `blobs_lr`/`weight_decay` entries"


def test_param_specs_within_the_blob_count() -> None:
    # bias_term: false with one spec, BatchNorm 3, Scale with bias 2, PReLU 1, Python unjudged
    assert lint_fixture("graph/good_param_specs.prototxt", select=("N304",)) == []


def test_no_loss_in_train() -> None:
    findings = lint_fixture("graph/bad_no_loss.prototxt", select=("N305", "N306"))
    # data for TRAIN only: a training file, so its Accuracy has no TEST net to go to (N306)
    assert brief(findings) == [("N305", 1, 1)]
    (loss,) = findings
    assert loss.severity.label == "warning"
    assert loss.phases == ("TRAIN",)
    assert loss.message == (
        "the TRAIN net has no loss layer: this file has data for a TRAIN net; if that net is"
        " trained, Caffe trains it without complaint (measured: \"Initial loss: 0\"), but no"
        " gradient reaches any weight, so nothing is learned"
    )
    assert loss.hint == "add a loss layer (e.g. SoftmaxWithLoss on the scores and the labels)"


def test_no_loss_in_a_net_without_weights() -> None:
    # a data-layer demo (NimSed's nima demo.prototxt): nothing in it has weights to learn
    text = (
        'name: "demo"\n'
        'layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TRAIN }\n'
        '        data_param { source: "train_lmdb" batch_size: 4 backend: LMDB } }\n'
        'layer { name: "flat" type: "Flatten" bottom: "data" top: "flat" }\n'
    )
    assert lint_text(text, select=("N305",)) == []
    with_weights = text + (
        'layer { name: "ip" type: "InnerProduct" bottom: "flat" top: "ip"\n'
        '        inner_product_param { num_output: 2 } }\n')
    assert [f.code for f in lint_text(with_weights, select=("N305",))] == ["N305"]


def test_python_loss_without_loss_weight() -> None:
    (f,) = lint_fixture("graph/bad_python_loss.prototxt", select=("N305",))
    assert (f.line, f.column) == (1, 1)
    assert f.message.endswith(
        "; Python layer 'loss' has no `loss_weight`, and Caffe gives Python layers a loss"
        " weight of 0"
    )
    assert f.hint == "add `loss_weight: 1` to layer 'loss'"


def test_losses_that_count() -> None:
    assert lint_fixture("graph/good_losses.prototxt", select=("N305", "N306")) == []
    # a fork layer whose output nothing reads may be a loss
    assert lint_fixture("graph/good_fork_loss.prototxt", select=("N305",)) == []


def test_no_loss_judged_from_the_solver(tmp_path: Path) -> None:
    net = tmp_path / "net.prototxt"
    net.write_text(
        'layer { name: "d" type: "Data" top: "data" data_param { source: "x" batch_size: 1 } }\n'
        'layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"\n'
        '        inner_product_param { num_output: 2 } }\n'
    )
    # alone, the net has no phase rules: nothing says it is trained
    assert lint_files(net, select=("N305",)) == []
    solver = tmp_path / "solver.prototxt"
    solver.write_text(f'net: "{net}"\nbase_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 10\n')
    findings = lint_files(solver, select=("N305",))
    assert [(f.file, f.code, f.line, f.phases) for f in findings] == [
        (str(net), "N305", 1, ("TRAIN",))
    ]


def test_data_layer_in_deploy() -> None:
    (f,) = lint_fixture("graph/bad_data_in_deploy.prototxt", select=("N307",))
    assert (f.code, f.line, f.column, f.end_column) == ("N307", 6, 3, 15)
    assert f.severity.label == "warning"
    assert f.message == (
        "Data layer 'mnist' is left in a deploy net (its inputs are declared with `input:` or"
        " an Input layer, and it has no loss): Caffe still sets it up when the net is loaded,"
        " opening its training source, and aborts where that source does not exist"
    )
    assert f.hint == "delete layer 'mnist' from the deploy net"
    # inputs next to a data layer in a net with a loss: a training net fed partly by a script
    assert lint_fixture("graph/good_input_and_data.prototxt", select=("N307",)) == []


def test_double_softmax_through_in_place_layers() -> None:
    (f,) = lint_fixture("graph/bad_double_softmax.prototxt", select=("N308",))
    assert (f.code, f.line, f.column, f.end_column) == ("N308", 40, 3, 17)
    assert f.severity.label == "warning"
    assert f.phases == ("TRAIN", "TEST")
    assert f.message == (
        "SoftmaxWithLoss layer 'loss' applies softmax itself, but its input 'prob' is already"
        " the output of Softmax layer 'prob': the probabilities are squashed again, so"
        " training plateaus with small gradients and a loss that stays high (with 10 classes"
        " it cannot go below log(1 + 9/e) = 1.46)"
    )
    assert f.hint == "feed the scores 'ip' to layer 'loss'"
    assert lint_fixture("graph/good_softmax_for_test.prototxt", select=("N308",)) == []


def test_unweighted_losses() -> None:
    (f,) = lint_fixture("graph/bad_two_losses.prototxt", select=("N309",))
    assert (f.code, f.line, f.column) == ("N309", 34, 3)  # the second loss's type
    assert f.severity.label == "info"
    assert f.message == (
        "the TRAIN net has 2 loss layers ('loss_cls', 'loss_box') and none has a"
        " `loss_weight`: each counts with weight 1 and the solver minimizes their sum; if one"
        " term dominates or diverges, balance them with `loss_weight` rather than lowering"
        " base_lr for all"
    )
    assert lint_fixture("graph/good_weighted_losses.prototxt", select=("N309",)) == []


@needs_corpus
def test_corpus_graph_findings() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".prototxt", ".pt", ".proto")
                   and "protos" not in p.parts)
    findings = lint_files(*files, select=("N30",))
    got = {(f.code, str(Path(f.file).resolve().relative_to(CORPUS))) for f in findings}
    # Accuracy layers in TRAIN of train/val nets (SqueezeNet v1.1), two-loss nets, two
    # layer names written twice on layers with weights (SSH's 'm3@ssh_7x7', ECO's
    # 'res3a_2n'), and channel-pruning's Filter layers with a `param` (Caffe aborts:
    # "param_size <= num_param_blobs (1 vs. 0)", checked on BVLC Caffe), once per net
    assert {code for code, _ in got} == {"N303", "N304", "N306", "N309"}
    assert {f for code, f in got if code in ("N303", "N304")} == {
        "mahyarnajibi__SSH/SSH/models/train_ssh.prototxt",
        "mzolfaghari__ECO-efficient-video-understanding/caffe_3d/python/bn_inception_rgb_res3D"
        ".prototxt",
        "yihui-he__channel-pruning/temp/resnet-50-cp.prototxt",
    }
    assert ("N309", "shelhamer__fcn.berkeleyvision.org/siftflow-fcn8s/trainval.prototxt") in got
    assert ("N306", "forresti__SqueezeNet/SqueezeNet_v1.1/train_val.prototxt") in got


def test_top_produced_twice_is_linear_in_a_blobs_fan_out() -> None:
    """Each reader of a split blob kept its own list of the other readers: 12,000 readers
    took 1.25 GB. Measured in allocated bytes per input byte, not in time; the fixed rule
    stays near 50 at any fan-out, the quadratic one was 430 at 3,000 readers."""
    import tracemalloc

    from conftest import lint_text

    readers = 3000
    text = ('layer { name: "data" type: "Input" top: "data"'
            ' input_param { shape { dim: 1 dim: 3 } } }\n'
            + "".join(f'layer {{ name: "r{i}" type: "ReLU" bottom: "data" top: "r{i}" }}\n'
                      for i in range(readers))
            # in place among the readers: a clash, named with the first other readers
            + 'layer { name: "last" type: "ReLU" bottom: "data" top: "data" }\n')
    tracemalloc.start()
    try:
        findings = lint_text(text, select=("N301",))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert brief(findings) == [("N301", readers + 2, 50)]
    assert "'data' is also read by layers 'r0', 'r1', 'r2', so Caffe's" in findings[0].message
    assert peak / len(text) < 150


def test_n303_needs_a_layer_known_to_have_weights() -> None:
    """A Python loss and a SoftmaxWithLoss both named 'loss' (neither has parameter blobs as
    far as is known): no claim about reloading snapshots (found on an unseen real net)."""
    text = """
input: "x" input_shape { dim: 2 dim: 4 }
input: "label" input_shape { dim: 2 }
layer { name: "ip" type: "InnerProduct" bottom: "x" top: "ip"
        inner_product_param { num_output: 3 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "l1" }
layer { name: "loss" type: "Python" bottom: "ip" top: "l2"
        python_param { module: "m" layer: "L" } }
"""
    assert [f for f in lint_text(text, select=("N303",))] == []
    with_weights = text.replace('name: "loss" type: "Python"', 'name: "ip" type: "Python"')
    assert [(f.code, f.line) for f in lint_text(with_weights, select=("N303",))] == [
        ("N303", 7)]
