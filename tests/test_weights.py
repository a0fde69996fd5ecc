"""Trained weights: the model reader (prototxt_lint/syntax/caffemodel.py), `prototxt-lint
weights`, and the W rules (rules/weights.py) on models that real Caffe wrote
(scripts/make_weights.py), each case also loaded by real Caffe where the build exists."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, caffe_oracle, lint_files

from prototxt_lint.engine import external_reads
from prototxt_lint.syntax.caffemodel import WeightsError, read_weights

W = FIXTURES / "weights"
V2 = str(W / "v2.caffemodel")
V1_LEGACY = str(W / "v1_legacy.caffemodel")
BN_ZERO = str(W / "bn_zero.caffemodel")
ORACLE = caffe_oracle()
needs_caffe = pytest.mark.skipif(ORACLE is None, reason="no BVLC Caffe build"
                                 " (bash ../shared/caffe-oracle/build.sh)")


def _layers(path: str) -> list[tuple[str, str, list[str], bool | None]]:
    return [(w.name, w.type, [b.shape_string() for b in w.blobs], w.stats_zero)
            for w in read_weights(path).layers]


def test_reads_a_v2_model_written_by_caffe() -> None:
    model = read_weights(V2)
    assert (model.format, model.name) == ("V2", "tiny")
    assert _layers(V2) == [
        ("data", "DummyData", [], None),
        ("conv1", "Convolution", ["4 3 3 3 (108)", "4 (4)"], None),
        ("bn1", "BatchNorm", ["4 (4)", "4 (4)", "1 (1)"], False),
        ("scale1", "Scale", ["4 (4)", "4 (4)"], None),
        ("relu1", "ReLU", [], None),
        ("fc", "InnerProduct", ["3 144 (432)", "3 (3)"], None),
        ("loss", "SoftmaxWithLoss", [], None),
    ]


def test_an_old_syntax_net_is_snapshotted_as_v2() -> None:
    assert read_weights(str(W / "v1.caffemodel")).format == "V2"
    assert [n for n, *_ in _layers(str(W / "v1.caffemodel"))] == [
        "data", "conv1", "relu1", "fc", "loss"]


def test_reads_a_v1_binary_model_with_legacy_shapes() -> None:
    assert read_weights(V1_LEGACY).format == "V1"
    assert _layers(V1_LEGACY) == [
        ("data", "DummyData", [], None),
        ("conv1", "Convolution", ["4 3 3 3 (108)", "1 1 1 4 (4)"], None),
        ("relu1", "ReLU", [], None),
        ("fc", "InnerProduct", ["1 1 3 144 (432)", "1 1 1 3 (3)"], None),
        ("loss", "SoftmaxWithLoss", [], None),
    ]


def test_batchnorm_statistics_of_a_frozen_training_are_zero() -> None:
    assert ("bn1", "BatchNorm", ["4 (4)", "4 (4)", "1 (1)"], True) in _layers(BN_ZERO)


def test_every_read_is_noted_for_the_result_cache() -> None:
    before = len(external_reads.SEEN)
    lint_files(W / "deploy_good.prototxt", weights=(V2,))
    assert external_reads.SEEN[before:] == [V2]


def test_blob_data_is_skipped_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only BatchNorm statistics are read; every other payload is sought past."""
    import builtins

    sizes: list[int] = []
    real_open = builtins.open

    class Spy:
        def __init__(self, handle: object) -> None:
            self._h = handle

        def read(self, n: int = -1) -> bytes:
            data: bytes = self._h.read(n)  # type: ignore[attr-defined]
            sizes.append(len(data))
            return data

        def __getattr__(self, name: str) -> object:
            return getattr(self._h, name)

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *exc: object) -> None:
            self._h.close()  # type: ignore[attr-defined]

    monkeypatch.setattr(builtins, "open", lambda *a, **k: Spy(real_open(*a, **k)))
    read_weights(V2)
    assert max(sizes) < 432 * 4  # the largest blob (fc's 432 floats) is never read


@pytest.mark.parametrize(("make", "message"), [
    (lambda data: data[:1000], "truncated: field 100 says 1808 bytes follow, but the file"
     " ends after 138 at byte 860"),
    (lambda data: b"", "empty file, not a caffemodel"),
    (lambda data: b'name: "tiny"\n', "text, not a caffemodel (a binary NetParameter): it"
     " starts with 'name: \"t' at byte 0; is it a prototxt?"),
    (lambda data: b"\xff" * 40, "corrupt: a number longer than 10 bytes at byte 0"),
    (lambda data: b"\x9a\xe3\x11" + data, "not a caffemodel (binary NetParameter):"
     " unexpected field 36403 at byte 0"),
])
def test_bad_models_say_why_and_where(tmp_path: Path, make: object, message: str) -> None:
    bad = tmp_path / "bad.caffemodel"
    bad.write_bytes(make(Path(V2).read_bytes()))  # type: ignore[operator]
    with pytest.raises(WeightsError) as caught:
        read_weights(str(bad))
    assert str(caught.value) == f"{bad}: {message}"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prototxt_lint", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_weights_command_text_and_json() -> None:
    text = _cli("weights", "tests/fixtures/weights/v2.caffemodel")
    assert text.returncode == 0
    assert text.stdout.splitlines()[:4] == [
        "tests/fixtures/weights/v2.caffemodel: V2 model 'tiny'",
        "layer   type             blobs",
        "data    DummyData",
        "conv1   Convolution      4 3 3 3 (108)  4 (4)",
    ]
    data = json.loads(_cli("weights", "--format", "json",
                           "tests/fixtures/weights/v2.caffemodel").stdout)
    assert data[0]["layers"][2] == {"name": "bn1", "type": "BatchNorm",
                                    "blobs": [[4], [4], [1]], "statistics_zero": False}


def test_a_bad_model_is_exit_2_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "cut.caffemodel"
    bad.write_bytes(Path(V2).read_bytes()[:1000])
    for args in (("weights", str(bad)),
                 ("--weights", str(bad), "tests/fixtures/weights/deploy_good.prototxt")):
        done = _cli(*args)
        assert done.returncode == 2, done
        assert "Traceback" not in done.stderr
        assert "truncated: field 100 says 1808 bytes follow" in done.stderr


# --- the rules -------------------------------------------------------------------------------

V2_SHOWN = "tests/fixtures/weights/v2.caffemodel"
CASES = {
    "deploy_good": [],
    "bad_channels": [("W100", 4, 9, "`Cannot copy param 0 weights from layer 'conv1'; shape"
                      " mismatch.  Source param shape is 4 3 3 3 (108); target param shape is"
                      f" 4 1 3 3 (36).` (weights from {V2})")],
    "bad_bias": [("W100", 4, 9, "`Check failed: target_blobs.size() =="
                  " source_layer.blobs_size() (1 vs. 2) Incompatible number of blobs for layer"
                  " conv1`: the model's layer has 2 blob(s) (4 3 3 3 (108), 4 (4)), this one"
                  f" makes 1 (weights from {V2})")],
    "bad_num_output": [("W100", 9, 9, "`Cannot copy param 0 weights from layer 'fc'; shape"
                        " mismatch.  Source param shape is 3 144 (432); target param shape is"
                        f" 5 144 (720).` (weights from {V2})")],
    "renamed": [
        ("W103", 1, 1, "1 layer(s) of the loaded weights that no layer of this net is named"
         " after (Caffe: \"Ignoring source layer\"): 'fc' (InnerProduct: 3 144 (432) / 3 (3))"),
        ("W101", 9, 9, f"1 layer(s) with parameters get no weights from {V2} and compute with"
         " their fillers' values (untrained): 'fc_new'"),
    ],
    "duplicate": [
        ("W103", 1, 1, "2 layer(s) of the loaded weights that no layer of this net is named"
         " after (Caffe: \"Ignoring source layer\"): 'bn1' (BatchNorm: 4 (4) / 4 (4) / 1 (1)),"
         " 'scale1' (Scale: 4 (4) / 4 (4))"),
        ("W104", 6, 9, "a second layer named 'conv1': Caffe copies the weights of 'conv1' into"
         " the first one (the Convolution at line 4) and this one keeps its filler's values"),
    ],
}
#: what `caffe test -model NET -weights v2.caffemodel` does: None loads, else the F line's text
CAFFE = {
    "deploy_good": None, "renamed": None, "duplicate": None,
    "bad_channels": "Cannot copy param 0 weights from layer 'conv1'; shape mismatch.  Source"
                    " param shape is 4 3 3 3 (108); target param shape is 4 1 3 3 (36).",
    "bad_bias": "Check failed: target_blobs.size() == source_layer.blobs_size() (1 vs. 2)"
                " Incompatible number of blobs for layer conv1",
    "bad_num_output": "Cannot copy param 0 weights from layer 'fc'; shape mismatch.  Source"
                      " param shape is 3 144 (432); target param shape is 5 144 (720).",
}


def _found(*paths: Path, **kw: object) -> list[tuple[str, int, int, str]]:
    return [(f.code, f.line, f.column, f.message) for f in lint_files(*paths, **kw)
            if f.code.startswith("W") or f.code in ("N211", "N212")]


@pytest.mark.parametrize("case", sorted(CASES))
def test_findings_against_a_v2_model(case: str) -> None:
    assert _found(W / f"{case}.prototxt", weights=(V2,)) == CASES[case]


def test_a_v1_binary_model_matches_by_legacy_shapes() -> None:
    assert _found(W / "deploy_good.prototxt", weights=(V1_LEGACY,)) == [
        ("W101", 6, 9, f"2 layer(s) with parameters get no weights from {V1_LEGACY} and"
         " compute with their fillers' values (untrained): 'bn1', 'scale1'")]
    assert _found(W / "bad_channels.prototxt", weights=(V1_LEGACY,))[0][:3] == ("W100", 4, 9)


def test_no_weights_no_w_findings() -> None:
    assert _found(*(W / f"{case}.prototxt" for case in CASES)) == []


def test_trained_statistics_make_frozen_batchnorm_right() -> None:
    """The solver loads v2.caffemodel, whose bn1 was trained: N211/N212 are not reported."""
    assert _found(W / "solver_frozen.prototxt") == []


def test_zero_statistics_are_reported() -> None:
    assert _found(W / "solver_frozen_zero.prototxt") == [
        ("W105", 8, 9, "the statistics of BatchNorm 'bn1' in tests/fixtures/weights/"
         "bn_zero.caffemodel are all 0 (never trained): with global statistics the layer"
         " divides its input by sqrt(eps)")]


def test_without_weights_frozen_batchnorm_is_still_n211() -> None:
    text = (W / "solver_frozen.prototxt").read_text().replace(
        'weights: "tests/fixtures/weights/v2.caffemodel"\n', "")
    solver = W / "_tmp_solver_noweights.prototxt"
    solver.write_text(text)
    try:
        assert [c for c, *_ in _found(solver)] == ["N211"]
    finally:
        solver.unlink()


def test_a_new_classifier_at_the_fine_tuning_rate() -> None:
    assert _found(W / "solver_finetune.prototxt") == [
        ("W103", 1, 1, "1 layer(s) of the loaded weights that no layer of this net is named"
         " after (Caffe: \"Ignoring source layer\"): 'fc' (InnerProduct: 3 144 (432) / 3 (3))"),
        ("W102", 11, 9, "the classifier 'fc_new' gets no weights from"
         " tests/fixtures/weights/v2.caffemodel and learns from its filler at 0.0001 (base_lr"
         " 0.0001 x lr_mult 1), the rate meant for the fine-tuned layers"),
    ]


def test_a_missing_solver_model() -> None:
    """Missing here is no certain abort (models are often fetched later, or kept where caffe
    runs): a W107 reminder, not W106's error."""
    assert _found(W / "solver_missing.prototxt") == [
        ("W107", 1, 1, "the weights missing.caffemodel are not found from here, so the net is"
         " not checked against them; Caffe aborts at load if they are missing where it runs"
         " too")]


def test_weights_from_the_configuration(tmp_path: Path) -> None:
    shutil.copy(W / "bad_channels.prototxt", tmp_path / "deploy.prototxt")
    shutil.copy(V2, tmp_path / "model.caffemodel")
    (tmp_path / ".prototxt-lint.toml").write_text(
        '[weights]\n"deploy.prototxt" = "model.caffemodel"\n')
    done = subprocess.run([sys.executable, "-m", "prototxt_lint", "--output-format",
                           "concise", "deploy.prototxt"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1, done
    assert "W100 `Cannot copy param 0 weights from layer 'conv1'" in done.stdout


def test_comma_separated_weights_on_the_command_line() -> None:
    done = _cli("--output-format", "concise", "--weights", f"{V2_SHOWN},{V2_SHOWN}",
                "tests/fixtures/weights/bad_num_output.prototxt")
    assert done.returncode == 1
    assert done.stdout.count("W100") == 1  # the same finding from both, once


# --- real Caffe agrees -----------------------------------------------------------------------


def _caffe(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    assert ORACLE is not None
    caffe = ORACLE.parent / "caffe"
    return subprocess.run([str(caffe), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "GLOG_minloglevel": "0"})


def _fatal(stderr: str) -> str | None:
    lines = [line for line in stderr.splitlines() if line.startswith("F")]
    return lines[0].split("] ", 1)[1] if lines else None


@needs_caffe
@pytest.mark.parametrize("case", sorted(CAFFE))
def test_caffe_loads_or_refuses_as_the_linter_says(case: str) -> None:
    done = _caffe("test", "-model", f"tests/fixtures/weights/{case}.prototxt", "-weights",
                  V2_SHOWN, "-iterations", "1")
    expected = CAFFE[case]
    if expected is None:
        assert done.returncode == 0, done.stderr[-2000:]
        assert not any(f[3] for f in CASES[case] if f[0] == "W100")
    else:
        assert done.returncode in (134, -6)  # SIGABRT
        fatal = _fatal(done.stderr)
        assert fatal is not None and fatal.startswith(expected), fatal
        assert [f[0] for f in CASES[case]] == ["W100"]


@needs_caffe
def test_caffe_loads_the_v1_binary_model() -> None:
    done = _caffe("test", "-model", "tests/fixtures/weights/train_v1.prototxt", "-weights",
                  "tests/fixtures/weights/v1_legacy.caffemodel", "-iterations", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert _found(W / "train_v1.prototxt", weights=(V1_LEGACY,)) == []


@needs_caffe
@pytest.mark.parametrize(("solver", "code"), [
    ("solver_frozen", 0), ("solver_frozen_zero", 0), ("solver_finetune", 0),
    ("solver_missing", -6)])
def test_caffe_trains_the_solvers(solver: str, code: int) -> None:
    done = _caffe("train", "--solver", f"tests/fixtures/weights/{solver}.prototxt")
    assert done.returncode == code, done.stderr[-2000:]
    if code:
        assert _fatal(done.stderr) == ("Check failed: file_hid >= 0 (-1 vs. 0) Couldn't open"
                                       " missing.caffemodel")


# --- .caffemodel.h5 (snapshot_format: HDF5) ----------------------------------------------------

H5 = str(W / "h5.caffemodel.h5")
H5_SHOWN = "tests/fixtures/weights/h5.caffemodel.h5"
HAS_H5PY = importlib.util.find_spec("h5py") is not None
needs_h5py = pytest.mark.skipif(not HAS_H5PY, reason="h5py is not installed (pip install h5py)")
#: Caffe's HDF5 loader words its checks differently (net.cpp:814, util/hdf5.cpp:80)
H5_CASES = {
    "deploy_good": None,
    "bad_channels": "Check failed: blob_dims == blob->shape() Cannot load blob from hdf5; shape"
                    " mismatch. Source shape is 4 3 3 3 (108) target shape is 4 1 3 3 (36)",
    "bad_bias": "Check failed: num_source_params <= target_blobs.size() (2 vs. 1) Incompatible"
                " number of blobs for layer conv1",
    "bad_num_output": "Check failed: blob_dims == blob->shape() Cannot load blob from hdf5;"
                      " shape mismatch. Source shape is 3 144 (432) target shape is 5 144 (720)",
}


@needs_h5py
def test_reads_an_hdf5_model() -> None:
    assert read_weights(H5).format == "HDF5"
    assert sorted(_layers(H5)) == [
        ("bn1", "", ["4 (4)", "4 (4)", "1 (1)"], False),
        ("conv1", "", ["4 3 3 3 (108)", "4 (4)"], None),
        ("data", "", [], None),
        ("fc", "", ["3 144 (432)", "3 (3)"], None),
        ("loss", "", [], None),
        ("relu1", "", [], None),
        ("scale1", "", ["4 (4)", "4 (4)"], None),
    ]


def test_an_hdf5_model_without_h5py_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py raises ImportError
    with pytest.raises(WeightsError, match=r"an HDF5 model, which needs h5py \(pip install"
                       r" h5py\) to be read"):
        read_weights(H5)


@needs_h5py
@pytest.mark.parametrize("case", sorted(H5_CASES))
def test_findings_against_an_hdf5_model(case: str) -> None:
    expected = H5_CASES[case]
    assert _found(W / f"{case}.prototxt", weights=(H5,)) == (
        [] if expected is None else
        [("W100", CASES[case][0][1], 9, f"`{expected}` (weights from {H5})")])


@needs_caffe
@pytest.mark.parametrize("case", sorted(H5_CASES))
def test_caffe_loads_or_refuses_the_hdf5_model_as_the_linter_says(case: str) -> None:
    done = _caffe("test", "-model", f"tests/fixtures/weights/{case}.prototxt", "-weights",
                  H5_SHOWN, "-iterations", "1")
    if H5_CASES[case] is None:
        assert done.returncode == 0, done.stderr[-2000:]
    else:
        assert done.returncode in (134, -6)
        assert _fatal(done.stderr) == H5_CASES[case]


# --- an old-syntax (V1 `layers`) net against the model Caffe trained from it -----------------

V1 = str(W / "v1.caffemodel")


def test_an_old_syntax_net_against_its_model() -> None:
    assert _found(W / "train_v1.prototxt", weights=(V1,)) == []
    assert _found(W / "bad_v1_num_output.prototxt", weights=(V1,)) == [
        ("W100", 6, 10, "`Cannot copy param 0 weights from layer 'conv1'; shape mismatch."
         "  Source param shape is 4 3 3 3 (108); target param shape is 5 3 3 3 (135).`"
         f" (weights from {V1})"),
        # Caffe stops at the first; the second follows from it (fc's input grows)
        ("W100", 10, 10, "`Cannot copy param 0 weights from layer 'fc'; shape mismatch."
         "  Source param shape is 3 144 (432); target param shape is 3 180 (540).`"
         f" (weights from {V1})"),
    ]


@needs_caffe
def test_caffe_refuses_the_old_syntax_net_at_the_first_mismatch() -> None:
    done = _caffe("test", "-model", "tests/fixtures/weights/bad_v1_num_output.prototxt",
                  "-weights", "tests/fixtures/weights/v1.caffemodel", "-iterations", "1")
    assert done.returncode in (134, -6)
    assert _fatal(done.stderr) == (
        "Cannot copy param 0 weights from layer 'conv1'; shape mismatch.  Source param shape"
        " is 4 3 3 3 (108); target param shape is 5 3 3 3 (135). To learn this layer's"
        " parameters from scratch rather than copying from a saved net, rename the layer.")
    ok = _caffe("test", "-model", "tests/fixtures/weights/train_v1.prototxt", "-weights",
                "tests/fixtures/weights/v1.caffemodel", "-iterations", "1")
    assert ok.returncode == 0, ok.stderr[-2000:]


# --- a V0 binary model (2013-2014: `layers { layer { type: "conv" blobs } }`) ----------------

V0_LEGACY = str(W / "v0_legacy.caffemodel")
V0_SHOWN = "tests/fixtures/weights/v0_legacy.caffemodel"


def test_reads_a_v0_binary_model() -> None:
    assert read_weights(V0_LEGACY).format == "V0"
    assert _layers(V0_LEGACY) == [
        ("conv1", "Convolution", ["4 3 3 3 (108)", "1 1 1 4 (4)"], None),
        ("fc", "InnerProduct", ["1 1 3 144 (432)", "1 1 1 3 (3)"], None),
    ]


def test_an_old_syntax_net_against_a_v0_model() -> None:
    assert _found(W / "train_v1.prototxt", weights=(V0_LEGACY,)) == []
    assert _found(W / "bad_v1_num_output.prototxt", weights=(V0_LEGACY,))[0] == (
        "W100", 6, 10, "`Cannot copy param 0 weights from layer 'conv1'; shape mismatch."
        "  Source param shape is 4 3 3 3 (108); target param shape is 5 3 3 3 (135).`"
        f" (weights from {V0_LEGACY})")


@needs_caffe
def test_caffe_upgrades_the_v0_model_and_loads_or_refuses_it_as_the_linter_says() -> None:
    ok = _caffe("test", "-model", "tests/fixtures/weights/train_v1.prototxt", "-weights",
                V0_SHOWN, "-iterations", "1")
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "Successfully upgraded file specified using deprecated V0LayerParameter" in ok.stderr
    bad = _caffe("test", "-model", "tests/fixtures/weights/bad_v1_num_output.prototxt",
                 "-weights", V0_SHOWN, "-iterations", "1")
    assert bad.returncode in (134, -6)
    found = _found(W / "bad_v1_num_output.prototxt", weights=(V0_LEGACY,))[0][3]
    fatal = _fatal(bad.stderr)
    assert fatal is not None and found.split("`")[1] in fatal


def test_a_train_val_net_reports_layers_without_weights_once() -> None:
    """The test nets share the train net's weights: only TRAIN's are named."""
    found = [(f.code, f.phases) for f in lint_files(W / "solver_finetune_val.prototxt")
             if f.code == "W101"]
    assert found == [("W101", ("TRAIN",))]


def test_reads_in_worker_processes_reach_the_parent() -> None:
    from prototxt_lint.engine.linter import Input, Options
    from prototxt_lint.engine.parallel import lint_inputs
    from prototxt_lint.engine.registry import load_rules

    before = len(external_reads.SEEN)
    inputs = [Input(str(W / f"{case}.prototxt")) for case in ("bad_channels", "renamed")]
    reports = lint_inputs(load_rules(), Options(weights=(V2,)), inputs, jobs=2)
    assert [f.code for r in reports for f in r.findings if f.code == "W100"] == ["W100"]
    assert external_reads.SEEN[before:] == [V2, V2]


# --- PReLU, Scale over two axes, Bias: the shapes their LayerSetUp gives the blobs ----------

PARAMS = str(W / "params.caffemodel")


def test_prelu_scale_and_bias_blobs() -> None:
    assert _layers(PARAMS)[1:5] == [
        ("pr", "PReLU", ["(1)"], None), ("pr2", "PReLU", ["3 (3)"], None),
        ("sc", "Scale", ["3 4 (12)", "3 4 (12)"], None), ("bi", "Bias", ["3 (3)"], None)]
    assert _found(W / "train_params.prototxt", weights=(PARAMS,)) == []
    assert _found(W / "bad_prelu.prototxt", weights=(PARAMS,)) == [
        ("W100", 5, 9, "`Cannot copy param 0 weights from layer 'pr'; shape mismatch.  Source"
         " param shape is (1); target param shape is 3 (3).` (weights from"
         f" {PARAMS})")]


@needs_caffe
def test_caffe_refuses_the_per_channel_prelu() -> None:
    done = _caffe("test", "-model", "tests/fixtures/weights/bad_prelu.prototxt", "-weights",
                  "tests/fixtures/weights/params.caffemodel", "-iterations", "1")
    assert done.returncode in (134, -6)
    assert _fatal(done.stderr) == (
        "Cannot copy param 0 weights from layer 'pr'; shape mismatch.  Source param shape is"
        " (1); target param shape is 3 (3). To learn this layer's parameters from scratch"
        " rather than copying from a saved net, rename the layer.")
    ok = _caffe("test", "-model", "tests/fixtures/weights/train_params.prototxt", "-weights",
                "tests/fixtures/weights/params.caffemodel", "-iterations", "1")
    assert ok.returncode == 0, ok.stderr[-2000:]


def test_weights_without_the_frozen_batchnorm_are_n211() -> None:
    """The solver loads a model that has no `bn1`: its statistics stay 0, as from scratch."""
    assert sorted(c for c, *_ in _found(W / "solver_frozen_other.prototxt")) == [
        "N211", "W100", "W101", "W103"]
