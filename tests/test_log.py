"""`prototxt-lint log`: diagnoses of real Caffe logs only.

The logs are the three in ../shared/caffe-logs (written by the BVLC Caffe build of
../shared/caffe-oracle) and those under tests/fixtures/logs, written by the same Caffe through
scripts/make_logs.py (the nets and solvers that made them are beside them; nothing is edited
by hand). One test regenerates a log with the real Caffe so the fixtures cannot drift.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SHARED, caffe_oracle, needs_shared

from prototxt_lint.log import read
from prototxt_lint.log.examine import examine
from prototxt_lint.log.reader import LogError

LOGS = Path(__file__).parent / "fixtures" / "logs"
SHARED_LOGS = SHARED / "caffe-logs"


def brief(log: Path | str, with_net: bool = True) -> list[tuple[object, ...]]:
    """(kind, iteration, layer, blob, lines, the rule codes joined) of each diagnosis."""
    folder = Path(log).parent
    net = folder / "net.prototxt"
    solver = folder / "solver.prototxt"
    result = examine(str(log), net=str(net) if with_net and net.exists() else None,
                     solver=str(solver) if with_net and solver.exists() else None)
    return [(d.kind, d.iteration, d.layer, d.blob, d.lines, [r[:4] for r in d.rules])
            for d in result.diagnoses]


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prototxt_lint", "log", *args], capture_output=True,
        text=True, input=stdin.decode() if stdin is not None else None, cwd=REPO,
        timeout=120, check=False,
    )


# -- the real logs of ../shared/caffe-logs ------------------------------------------------
@needs_shared("caffe-logs")
def test_shared_healthy_log_is_healthy() -> None:
    result = examine(str(SHARED_LOGS / "healthy_debug.log"))
    assert result.diagnoses == []
    assert result.doctor.healthy() == (
        "healthy: 21 iterations displayed, loss 1.37706 -> 0.00488327 at iteration 200,"
        " lr 0.00985983; last test: accuracy 1, loss 0.00781086"
    )


@needs_shared("caffe-logs")
def test_shared_diverging_debug_log() -> None:
    assert brief(SHARED_LOGS / "diverge_debug.log") == [
        ("exploding-gradients", 1, "ip1", "ip1", [474, 505, 506, 525], []),
        ("loss-clamp", 1, "", "", [526], []),
        ("first-nonfinite", 5, "", "all net params diff", [649], []),
        ("first-nonfinite-layer", 6, "ip1", "ip1", [660], []),
        ("loss-nonfinite", 6, "", "", [681], []),
        ("accuracy-with-nan", 20, "", "", [1108, 1109], []),
        ("libc-abort", None, "", "", [1771], ["N201"]),
    ]
    result = examine(str(SHARED_LOGS / "diverge_debug.log"))
    clamp = result.diagnoses[1]
    assert "= 87.3365 x 23/32" in clamp.message  # 62.7731, the batch of 32 from the log
    # the printed net maps ip1 to its line in the log itself
    assert result.diagnoses[3].where.endswith("diverge_debug.log:85")


@needs_shared("caffe-logs")
def test_shared_diverging_log_without_debug_info() -> None:
    assert brief(SHARED_LOGS / "diverge_nodebug.log") == [
        ("loss-clamp", 1, "", "", [449], []),
        ("loss-nonfinite", 6, "", "", [464], []),
        ("accuracy-with-nan", 20, "", "", [507, 508], []),
        ("libc-abort", None, "", "", [638], ["N201"]),
    ]


@needs_shared("caffe-logs")
def test_read_api_returns_the_iterations() -> None:
    iterations = list(read(str(SHARED_LOGS / "diverge_debug.log")))
    assert [i.number for i in iterations[:3]] == [0, 1, 2]
    assert (iterations[1].loss, iterations[1].lr, iterations[1].loss_line) == (62.7731, 1000.0,
                                                                              526)
    assert len(iterations[0].blobs) == 27
    assert iterations[5].norms is not None and iterations[5].norms.l2_diff == float("inf")


# -- logs written by scripts/make_logs.py ---------------------------------------------------
def test_healthy_fixture() -> None:
    result = examine(str(LOGS / "healthy" / "caffe.log"))
    assert result.diagnoses == []
    assert result.doctor.healthy().startswith(
        "healthy: 9 iterations displayed, loss 1.28808 -> 0.00865255 at iteration 8, lr 0.01"
    )


@pytest.mark.parametrize(
    ("case", "index", "code", "line", "text"),
    [
        ("bn_global_stats", 0, "N211", 75, "    use_global_stats: true"),
        ("ave_pool_stride", 1, "N201", 82, "    stride: 5"),
        ("poly_no_max_iter", 0, "S101", 7, 'lr_policy: "poly"'),
    ],
)
def test_net_and_solver_printed_in_the_log_are_linted(case: str, index: int, code: str,
                                                      line: int, text: str) -> None:
    """Without --net/--solver: what Caffe printed is linted as the solver trains the net,
    and each finding points at its line in the log."""
    log = LOGS / case / "caffe.log"
    diagnosis = examine(str(log)).diagnoses[index]
    assert diagnosis.rules[0].startswith(f"{code} ({log}:{line}: ")
    assert log.read_text().splitlines()[line - 1] == text


def test_huge_base_lr() -> None:
    assert brief(LOGS / "huge_lr" / "caffe.log") == [
        ("exploding-gradients", 1, "ip1", "ip1", [437, 468, 469, 488], []),
        ("loss-clamp", 1, "", "", [489], []),
        ("first-nonfinite", 3, "ip2", "ip2", [534], []),
        ("loss-nonfinite", 3, "", "", [551], []),
        ("accuracy-with-nan", 4, "", "", [575, 576], []),
        ("libc-abort", None, "", "", [804], ["N201"]),
    ]


def test_one_layer_with_a_huge_lr_mult_explodes_first() -> None:
    """lr_mult 1e5 on ip1 only (base_lr 0.01): ip2, after it, is the first series to grow
    1e4x (it compounds ip1's growth), but ip1 is where the values explode: its output grew
    1050x more than its input, its weights 702x; conv1 before it stays put. The global L2
    norm of the param diffs follows one iteration later."""
    log = LOGS / "huge_lr_mult" / "caffe.log"
    assert brief(log) == [
        ("loss-clamp", 1, "", "", [501], []),
        ("exploding-gradients", 2, "ip1", "ip1", [449, 511, 512, 515, 562], []),
        ("dead-relu", 6, "relu2", "ip1", [661, 746], []),
    ]
    result = examine(str(log), net=str(log.parent / "net.prototxt"))
    explosion = result.diagnoses[1]
    assert explosion.message == (
        "values explode from iteration 2, starting in layer ip1: top blob ip1 data 0.866 at"
        " iteration 0 -> 907 at iteration 2 (1.05e+03x), 1.05e+03x more than its input"
        " grew; its param blob 0 data 0.0876 -> 61.5 (702x); ip2, after it, is the first to"
        " reach 10000x (top blob ip2 data 0.393 -> 6.37e+03); at iteration 3 the L2 norm of"
        " all param diffs is 141770, 10000x or more the first one (1.10215); lower base_lr"
        " (or this layer's lr_mult) or clip gradients (clip_gradients)"
    )
    assert explosion.where == f"{log.parent / 'net.prototxt'}:43"
    lines = log.read_text().splitlines()
    assert lines[511 - 1].endswith("[Forward] Layer ip1, top blob ip1 data: 907.151")
    assert lines[449 - 1].endswith("[Forward] Layer ip1, top blob ip1 data: 0.8656")


def test_first_layer_with_a_huge_lr_mult_explodes_first() -> None:
    """The same with lr_mult 1e6 on conv1: ip1 is the first to grow 1e4x, conv1 (whose
    output grew 2,570x more than its input, the data, which stays put) is named."""
    log = LOGS / "huge_lr_mult_conv1" / "caffe.log"
    assert brief(log) == [
        ("loss-clamp", 1, "", "", [501], []),
        ("exploding-gradients", 2, "conv1", "conv1", [444, 506, 507, 511, 531], []),
        ("dead-relu", 3, "relu2", "ip1", [545, 630], []),
    ]
    lines = log.read_text().splitlines()
    assert lines[506 - 1].endswith("[Forward] Layer conv1, top blob conv1 data: 1802.34")
    assert lines[507 - 1].endswith("[Forward] Layer conv1, param blob 0 data: 530.321")


def test_huge_base_lr_without_debug_info() -> None:
    assert brief(LOGS / "huge_lr_nodebug" / "caffe.log") == [
        ("loss-clamp", 1, "", "", [412], []),
        ("loss-nonfinite", 3, "", "", [418], []),
        ("accuracy-with-nan", 4, "", "", [422, 423], []),
        ("libc-abort", None, "", "", [448], ["N201"]),
    ]


def test_batchnorm_global_stats_in_train() -> None:
    assert brief(LOGS / "bn_global_stats" / "caffe.log") == [
        ("loss-clamp", 0, "", "", [549], ["N211"]),
        ("exploding-gradients", 3, "ip1", "ip1", [521, 656], []),
        ("dead-relu", 2, "relu2", "ip1", [614, 734], []),
    ]


def test_unscaled_input() -> None:
    assert brief(LOGS / "unscaled_input" / "caffe.log") == [
        ("loss-clamp", 0, "", "", [460], []),
        ("dead-relu", 2, "relu1", "conv1", [499, 584], []),
    ]


def test_ave_pooling_stride_over_kernel_joins_n201() -> None:
    assert brief(LOGS / "ave_pool_stride" / "caffe.log") == [
        ("accuracy-with-nan", 0, "", "", [426, 427], ["N201"]),
        ("first-nonfinite", 0, "pool1", "pool1", [434], ["N201"]),
        ("loss-nonfinite", 0, "", "", [456], ["N201"]),
    ]
    result = examine(str(LOGS / "ave_pool_stride" / "caffe.log"),
                     net=str(LOGS / "ave_pool_stride" / "net.prototxt"))
    first = result.diagnoses[1]
    assert first.where == f"{LOGS / 'ave_pool_stride' / 'net.prototxt'}:32"


def test_max_pooling_stride_over_kernel_aborts() -> None:
    assert brief(LOGS / "max_pool_stride" / "caffe.log") == [
        ("accuracy-with-nan", 0, "", "", [426, 427], ["N201"]),
        ("first-nonfinite", 0, "pool1", "pool1", [434], ["N201"]),
        ("loss-nonfinite", 0, "", "", [456], ["N201"]),
        ("libc-abort", None, "", "", [539], ["N201"]),
    ]
    assert (LOGS / "max_pool_stride" / "caffe.exit").read_text() == "-6\n"


def test_resumed_from_a_snapshot_in_the_same_log() -> None:
    """Two `caffe train` runs appended to one log, the second `--snapshot tiny_iter_4`."""
    log = str(LOGS / "resume" / "caffe.log")
    iterations = list(read(log))
    assert [(i.run, i.number) for i in iterations] == (
        [(0, n) for n in range(9)] + [(1, n) for n in range(4, 9)]
    )
    result = examine(log)
    assert result.diagnoses == []
    assert [(r.line, r.restored_from) for r in result.doctor.runs] == [
        (2, ""), (446, "tiny_iter_4.solverstate")]
    assert result.doctor.healthy().startswith(
        "healthy: 14 iterations displayed, loss 1.28808 -> 0.00969688 at iteration 8")


def test_check_failure_is_explained() -> None:
    assert brief(LOGS / "step_no_stepsize" / "caffe.log") == [
        ("fatal", None, "", "", [410], ["S103"]),
    ]
    (fatal,) = examine(str(LOGS / "step_no_stepsize" / "caffe.log")).diagnoses
    assert fatal.message == (
        "Caffe aborted at sgd_solver.cpp:33: Check failed: this->param_.stepsize() > 0 (0 vs."
        ' 0)  (lr_policy "step" without a positive stepsize: Caffe aborts at the first update)'
    )
    # without files, the solver Caffe printed is linted: the finding is on its log line
    assert fatal.rules[0].startswith(f"S103 ({LOGS / 'step_no_stepsize' / 'caffe.log'}:8: ")
    solver = LOGS / "step_no_stepsize" / "solver.prototxt"
    (joined,) = examine(str(LOGS / "step_no_stepsize" / "caffe.log"),
                        solver=str(solver)).diagnoses
    assert joined.rules[0].startswith(f"S103 ({solver}:5: ")


def test_lr_zero_after_the_first_iteration() -> None:
    assert brief(LOGS / "exp_no_gamma" / "caffe.log") == [
        ("lr-invalid", 1, "", "", [412], ["S106"]),
    ]


def test_lr_never_changes_under_a_schedule() -> None:
    assert brief(LOGS / "multistep_no_stepvalue" / "caffe.log") == [
        ("lr-constant", None, "", "", [410], ["S108"]),
    ]


def test_test_loss_far_from_train_loss() -> None:
    """The TEST net reads other labels (2) than TRAIN (1): 5.68 against 0.00865."""
    assert brief(LOGS / "test_data_differs" / "caffe.log") == [
        ("test-train-gap", 8, "", "", [445, 442], ["N211", "N213"]),
    ]


def test_poly_without_max_iter_trains_nothing() -> None:
    assert brief(LOGS / "poly_no_max_iter" / "caffe.log") == [
        ("zero-iterations", 0, "", "", [408], ["S101"]),
    ]


# -- input in the wild ----------------------------------------------------------------------
def test_gzip_crlf_truncated_noise_and_two_runs(tmp_path: Path) -> None:
    """A real log, gzip'd, with CRLF ends, shell noise, a second run appended and the last
    line cut in half: the same diagnoses, shifted by the lines added."""
    real = (LOGS / "huge_lr_nodebug" / "caffe.log").read_bytes()
    healthy = (LOGS / "healthy" / "caffe.log").read_bytes()
    text = b"$ ./train.sh\nloading data...\n" + healthy + real
    text = text.replace(b"\n", b"\r\n")[:-5]
    path = tmp_path / "two.log.gz"
    path.write_bytes(gzip.compress(text))
    shift = 2 + healthy.count(b"\n")
    kinds = [(k, i, lines) for k, i, _, _, lines, _ in brief(path, with_net=False)]
    assert kinds == [
        ("loss-clamp", 1, [412 + shift]),
        ("loss-nonfinite", 3, [418 + shift]),
        ("accuracy-with-nan", 4, [422 + shift, 423 + shift]),
        ("libc-abort", None, [448 + shift]),
    ]
    runs = examine(str(path)).doctor.runs
    assert len(runs) == 2


def test_display_zero_is_not_zero_iterations() -> None:
    """display: 0 (with debug_info): Caffe prints no train iteration at all, not even the
    debug values (set_debug_info(display && debug_info)), but it tested at iteration 4, so
    it trained: no zero-iterations error."""
    result = examine(str(LOGS / "no_display" / "caffe.log"))
    assert result.diagnoses == []
    assert result.doctor.healthy() == (
        "healthy: no training iteration displayed (display is 0, or larger than max_iter);"
        " last test at iteration 4: accuracy 1, loss 0.385229"
    )


def test_log_cut_during_set_up(tmp_path: Path) -> None:
    """The first 100 lines of a real log (the job still starting, or a cut copy): no
    iteration to judge, said as such, not a traceback."""
    lines = (LOGS / "healthy" / "caffe.log").read_bytes().split(b"\n")[:100]
    path = tmp_path / "cut.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert brief(path, with_net=False) == [("no-iterations", None, "", "", [100], [])]
    result = run_cli(str(path))
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(f"{path}:100: info no-iterations: the log has no training"
                                    " iteration: it ends at line 100 before the first one")


def test_stdin() -> None:
    data = (LOGS / "poly_no_max_iter" / "caffe.log").read_bytes()
    result = run_cli("-", "--format", "json", stdin=data)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [d["kind"] for d in report["diagnoses"]] == ["zero-iterations"]
    assert report["log"] == "<stdin>"


def test_read_accepts_an_open_file() -> None:
    data = (LOGS / "healthy" / "caffe.log").read_bytes()
    assert [i.number for i in read(io.BytesIO(data))] == list(range(9))


# -- the command ------------------------------------------------------------------------------
def test_cli_healthy_exits_0() -> None:
    result = run_cli(str(LOGS / "healthy" / "caffe.log"))
    assert result.returncode == 0
    assert result.stdout.strip().endswith("last test: accuracy 1, loss 0.0121597")


def test_cli_text_joins_the_rule() -> None:
    folder = LOGS / "ave_pool_stride"
    result = run_cli(str(folder / "caffe.log"), "--net", str(folder / "net.prototxt"))
    assert result.returncode == 1
    assert ("error first-nonfinite: first nan at iteration 0: forward pass, layer pool1, top"
            " blob pool1 data [") in result.stdout
    assert "    flagged by N201 (" in result.stdout


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.log", None, "missing.log: no such file"),
        ("", None, "is a directory, not a log file"),
        ("e.log", b"", "e.log: the file is empty (no Caffe log lines)"),
        ("b.log", b"I0101 ok\n\x00\x01\x02garbage",
         "b.log:2: binary data (a NUL byte at byte 9), not a Caffe log"),
        ("t.log", b"hello\nworld\n", "t.log:1: no glog lines"),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(tmp_path: Path, name: str,
                                                content: bytes | None, message: str) -> None:
    path = tmp_path / name if name else tmp_path
    if content is not None:
        path.write_bytes(content)
    result = run_cli(str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(LogError):
        examine(str(path))


def test_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="--plot needs the 'plot' extra (matplotlib)")
    out = tmp_path / "run.png"
    result = run_cli(str(LOGS / "huge_lr" / "caffe.log"), "--plot", str(out))
    assert result.returncode == 1, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- the fixtures are what real Caffe writes ----------------------------------------------------
@pytest.mark.skipif(caffe_oracle() is None, reason="the Caffe oracle is not built"
                    " (../shared/caffe-oracle/build.sh)")
def test_regenerated_log_gives_the_same_diagnosis(tmp_path: Path) -> None:
    oracle = caffe_oracle()
    assert oracle is not None
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import make_logs
    finally:
        sys.path.pop(0)
    log = make_logs.make("ave_pool_stride", tmp_path, oracle.parent / "caffe")
    assert brief(log) == brief(LOGS / "ave_pool_stride" / "caffe.log")


@pytest.mark.parametrize("case", ["huge_lr", "huge_lr_mult", "huge_lr_mult_conv1",
                                  "bn_global_stats",
                                  "unscaled_input", "healthy"])
def test_fast_checks_of_usual_iterations_find_what_value_by_value_does(
        case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An iteration laid out like the run's others is checked with list operations; the same
    log checked value by value (no layout ever fits) gives the same raw diagnoses, including
    the zero param diffs of BatchNorm that examine() drops later."""
    from prototxt_lint.log.diagnose import diagnose
    from prototxt_lint.log.layout import Layout
    from prototxt_lint.log.reader import LogReader, LogSource

    def raw() -> list[tuple[object, ...]]:
        found, _ = diagnose(LogReader(LogSource.open(str(LOGS / case / "caffe.log"))))
        return [(d.kind, d.iteration, d.layer, d.blob, d.lines, d.message) for d in found]

    fast = raw()
    monkeypatch.setattr(Layout, "fits", lambda self, blobs: False)
    assert raw() == fast
    if case == "bn_global_stats":
        assert [d[:5] for d in fast if d[0] == "zero-gradients"] == [
            ("zero-gradients", 0, "bn1", f"param blob {i}", [line])
            for i, line in ((0, 543), (1, 544), (2, 545))]
