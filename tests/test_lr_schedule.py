"""The learning-rate engine (prototxt_lint/caffe/lr_schedule.py) and `prototxt-lint lr-schedule`.

The rates are checked against what real BVLC Caffe logged, against numpy's float32 arithmetic
(an independent implementation of IEEE float), and the bisection against a plain loop over
every iteration.
"""

from __future__ import annotations

import ctypes
import math
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from prototxt_lint.caffe import lr_schedule
from prototxt_lint.caffe.lr_schedule import (
    POLICIES,
    Schedule,
    analyse,
    c_pow,
    emulated_expf,
    emulated_powf,
    f32,
    fmt,
    invalid,
    key_points,
)
from prototxt_lint.cli.lr_schedule import lr_schedule_command

LENET = Schedule("inv", f32(0.01), f32(0.0001), f32(0.75), max_iter=10000)


# --- the rate, as Caffe computes it -----------------------------------------------------------
# `Iteration N, lr = X` lines of a real LeNet run (BVLC examples/mnist/lenet_solver.prototxt;
# the first also appears in Caffe's MNIST tutorial). glog prints floats with 6 digits.
LENET_LOG = {
    0: "0.01", 100: "0.00992565", 200: "0.00985258", 300: "0.00978075", 400: "0.00971013",
    500: "0.00964069", 600: "0.0095724", 700: "0.00950522", 800: "0.00943913",
    900: "0.00937411", 1000: "0.00931012", 1800: "0.0088326", 2500: "0.00845897",
    3800: "0.007854", 7600: "0.00654433", 8000: "0.00643496", 9000: "0.00617924",
    9500: "0.00606002", 9900: "0.00596843",
}


@pytest.mark.parametrize(("iteration", "logged"), sorted(LENET_LOG.items()))
def test_inv_matches_a_real_caffe_log(iteration: int, logged: str) -> None:
    assert fmt(LENET.rate(iteration)) == logged


def test_measured_defaults_from_caffe_behaviour() -> None:
    """Rows 1b, 1d, 1e, 1f, 1g and 1i of shared/caffe-behaviour (base_lr 0.1, 5 iterations)."""
    base = f32(0.1)
    step = Schedule("step", base, stepsize=2, max_iter=5)  # no gamma: 0 from iteration 2
    assert [fmt(step.rate(i)) for i in range(5)] == ["0.1", "0.1", "0", "0", "0"]
    exp = Schedule("exp", base, max_iter=5)  # no gamma: 0 after iteration 0
    assert [fmt(exp.rate(i)) for i in range(5)] == ["0.1", "0", "0", "0", "0"]
    sigmoid = Schedule("sigmoid", base, stepsize=3, max_iter=5)  # no gamma: base_lr / 2
    assert {fmt(sigmoid.rate(i)) for i in range(5)} == {"0.05"}
    for constant in (
        Schedule("poly", base, max_iter=5),  # no power
        Schedule("inv", base, max_iter=5),  # no gamma nor power
        Schedule("multistep", base, max_iter=5),  # no stepvalue
    ):
        assert {fmt(constant.rate(i)) for i in range(5)} == {"0.1"}


def test_multistep_takes_one_step_per_iteration() -> None:
    # GetLearningRate advances current_step_ at most once per call, in list order
    s = Schedule("multistep", f32(1.0), f32(0.5), stepvalues=(300, 100, 100, 0), max_iter=1000)
    assert s.fires == (300, 301, 302, 303)
    assert [s.steps_taken(i) for i in (0, 299, 300, 301, 302, 303, 999)] == [0, 0, 1, 2, 3, 4, 4]
    assert s.rate(303) == 0.0625
    assert Schedule("multistep", f32(1.0), f32(0.5), stepvalues=(0,)).rate(0) == 0.5


def test_step_and_exp_use_double_pow_then_round() -> None:
    # pow(float, int) is pow(double, double): 0.1^44 is 1e-44 in double; 0.001 * that is
    # 1e-47, below the smallest float, so the rate is exactly 0 at iteration 44 (and 43)
    s = Schedule("exp", f32(0.001), f32(0.1), max_iter=100)
    assert s.rate(42) > 0
    assert s.rate(43) == 0
    assert analyse(s, 100).zero == (43, 99)


def test_poly_rounds_the_iteration_to_float() -> None:
    # Dtype(iter) / Dtype(max_iter): above 2^24 iterations the ratio rounds to 1 at the end
    # (2^25 - 1 rounds to 2^25, ties to even; 2^25 - 2 is exact)
    s = Schedule("poly", f32(0.01), power=f32(1.0), max_iter=2**25)
    assert s.rate(2**25 - 1) == 0.0
    assert fmt(s.rate(2**25 - 2)) == "5.96046e-10"
    assert analyse(s, 2**25).zero == (2**25 - 1, 2**25 - 1)


def test_c_pow_follows_c_not_python() -> None:
    assert c_pow(0.0, -1.0) == math.inf
    assert c_pow(-0.0, -1.0) == -math.inf
    assert math.isnan(c_pow(-2.0, 0.5))
    assert c_pow(1.0, math.nan) == 1.0
    assert c_pow(10.0, 400.0) == math.inf
    assert f32(1e39) == math.inf and f32(-1e39) == -math.inf
    assert f32(1e-46) == 0.0 and f32(2e-45) > 0


def _libm() -> tuple[Any, Any]:
    """glibc's powf and expf, the functions Caffe calls on Linux (skip elsewhere)."""
    try:
        lib = ctypes.CDLL("libm.so.6")
    except OSError:
        pytest.skip("no glibc libm.so.6")
    powf_, expf_ = lib.powf, lib.expf
    powf_.restype, powf_.argtypes = ctypes.c_float, [ctypes.c_float, ctypes.c_float]
    expf_.restype, expf_.argtypes = ctypes.c_float, [ctypes.c_float]
    return powf_, expf_


def test_float32_operation_order_against_numpy() -> None:
    """Where Caffe rounds to float and where it stays in double, checked against numpy's
    float32 scalars (an independent IEEE float32), with glibc's powf/expf as Caffe's."""
    np = pytest.importorskip("numpy")
    powf_, expf_ = _libm()
    f = np.float32
    cases = [
        Schedule("inv", f32(0.01), f32(0.0001), f32(0.75), max_iter=50000),
        Schedule("inv", f32(0.3), f32(0.37), f32(-3.5), max_iter=50000),
        Schedule("poly", f32(0.05), power=f32(0.9), max_iter=45000),
        Schedule("poly", f32(0.05), power=f32(7.3), max_iter=45000),
        Schedule("sigmoid", f32(0.1), f32(0.002), stepsize=2000, max_iter=50000),
        Schedule("sigmoid", f32(0.1), f32(0.05), stepsize=3000, max_iter=50000),
    ]
    with np.errstate(all="ignore"):
        for s in cases:
            for it in range(0, s.max_iter, 97):
                t = f(it)
                if s.policy == "inv":
                    ref = f(s.base_lr) * f(powf_(f(1) + f(s.gamma) * t, -f(s.power)))
                elif s.policy == "poly":
                    ref = f(s.base_lr) * f(powf_(f(1) - t / f(s.max_iter), f(s.power)))
                else:
                    decay = f(expf_(-f(s.gamma) * (t - f(s.stepsize))))
                    ref = f(s.base_lr) * (f(1) / (f(1) + decay))
                assert f(s.rate(it)) == ref, (s, it)
        for s in (Schedule("step", f32(0.01), f32(0.96), stepsize=7, max_iter=3000),
                  Schedule("exp", f32(0.001), f32(0.99), max_iter=3000)):
            for it in range(s.max_iter):
                k = it // s.stepsize if s.policy == "step" else it
                ref = f(np.float64(s.base_lr) * np.power(np.float64(s.gamma), np.float64(k)))
                assert f(s.rate(it)) == ref, (s, it)


def test_emulation_without_a_c_library_is_within_one_float_bit() -> None:
    powf_, expf_ = _libm()
    xs = [f32(0.5 + i * 0.731) for i in range(3000)]
    ys = [f32(-12 + i * 0.0173) for i in range(3000)]
    for x, y in zip(xs, ys, strict=True):
        assert abs(_bits(emulated_powf(x, y)) - _bits(powf_(x, y))) <= 1, (x, y)
        z = f32(y * 7)
        assert abs(_bits(emulated_expf(z)) - _bits(expf_(z))) <= 1, z


def _bits(x: float) -> int:
    return int.from_bytes(struct.pack("<f", x), "little", signed=True)


def test_the_rate_falls_back_to_the_emulation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lr_schedule, "powf", emulated_powf)
    monkeypatch.setattr(lr_schedule, "expf", emulated_expf)
    monkeypatch.setattr(lr_schedule, "pow64", c_pow)
    for iteration, logged in LENET_LOG.items():
        assert fmt(LENET.rate(iteration)) == logged


# --- the analysis: bisection against a loop over every iteration ------------------------------
class CountingSchedule(Schedule):
    """A schedule that counts how often the rate is computed."""

    def rate(self, iteration: int) -> float:
        CALLS.append(iteration)
        return super().rate(iteration)


CALLS: list[int] = []


@pytest.mark.parametrize(
    "schedule",
    [
        Schedule("exp", f32(0.01), f32(0.9999999), max_iter=2**31 - 1),
        Schedule("exp", f32(0.01), f32(1.0000001), max_iter=2**31 - 1),
        Schedule("step", f32(0.01), f32(0.5), stepsize=1, max_iter=2**31 - 1),
        Schedule("multistep", f32(0.01), f32(3.0), stepvalues=tuple(range(0, 10**6, 10)),
                 max_iter=2**31 - 1),
        Schedule("inv", f32(0.01), f32(1.0), f32(-4.0), max_iter=2**31 - 1),
        Schedule("poly", f32(0.01), power=f32(50.0), max_iter=2**31 - 1),
        Schedule("sigmoid", f32(0.1), f32(1e-5), stepsize=2**30, max_iter=2**31 - 1),
    ],
)
def test_analysis_never_walks_every_iteration(schedule: Schedule) -> None:
    counting = CountingSchedule(**{k: getattr(schedule, k) for k in Schedule.FIELDS})
    assert counting == counting and counting != schedule  # no cached result of another class
    CALLS.clear()
    result = analyse(counting, counting.max_iter)
    assert len(CALLS) < 200
    assert result.first_invalid or result.zero or result.peak  # each case has something


FLOATS = st.one_of(
    st.sampled_from([0.0, 1.0, 0.1, 1e-30, 1e30, math.inf, math.nan, 3.4e38, 1e-45]),
    st.floats(min_value=0.0, max_value=4.0),
    st.floats(min_value=-30.0, max_value=30.0),
).map(f32)


@settings(max_examples=400, deadline=None)
@given(
    policy=st.sampled_from(POLICIES),
    base_lr=st.one_of(st.sampled_from([0.01, 0.1, 1.0, -0.01, 1e-40, 0.0]), FLOATS).map(f32),
    gamma=FLOATS,
    power=FLOATS,
    stepsize=st.integers(min_value=-1, max_value=60),
    stepvalues=st.lists(st.integers(min_value=-5, max_value=300), max_size=6),
    max_iter=st.integers(min_value=1, max_value=300),
)
def test_analysis_equals_a_full_loop(
    policy: str, base_lr: float, gamma: float, power: float, stepsize: int,
    stepvalues: list[int], max_iter: int,
) -> None:
    s = Schedule(policy, base_lr, gamma, power, stepsize, tuple(stepvalues), max_iter)
    if s.refusal() is not None:
        return
    rates = [s.rate(i) for i in range(max_iter)]
    result = analyse(s, max_iter)
    bad = [i for i, r in enumerate(rates) if invalid(r)]
    if bad:
        assert result.first_invalid is not None
        at, value = result.first_invalid
        assert at == bad[0]
        assert fmt(value) == fmt(rates[bad[0]])
        return
    assert result.first_invalid is None
    zeros = [i for i, r in enumerate(rates) if r == 0]
    if zeros:
        assert zeros == list(range(zeros[0], zeros[-1] + 1))  # one run: monotone schedule
        assert result.zero == (zeros[0], zeros[-1])
    else:
        assert result.zero is None
    top = max(rates)
    if base_lr > 0 and top > base_lr:
        assert result.peak == (rates.index(top), top)
    else:
        assert result.peak is None


# --- key points ---------------------------------------------------------------------------------
def test_key_points_of_a_step_schedule() -> None:
    s = Schedule("step", f32(0.01), f32(0.1), stepsize=100000, max_iter=450000)
    rows = [(p.iteration, fmt(p.rate), p.notes) for p in key_points(s, 450000)]
    assert rows == [
        (0, "0.01", ("start",)),
        (100000, "0.001", ("step 1",)),
        (200000, "0.0001", ("step 2",)),
        (300000, "1e-05", ("step 3",)),
        (400000, "1e-06", ("step 4",)),
        (449999, "1e-06", ("last update: max_iter - 1",)),
    ]


def test_key_points_thin_out_many_steps() -> None:
    s = Schedule("step", f32(0.01), f32(0.99), stepsize=10, max_iter=100000)
    rows = key_points(s, 100000, max_steps=24)
    steps = [p for p in rows if p.notes and p.notes[0].startswith("step")]
    assert len(steps) == 24
    assert steps[0].iteration == 10 and steps[-1].iteration == 99990


def test_key_points_of_a_continuous_schedule() -> None:
    rows = key_points(LENET, 10000, samples=4)
    assert [(p.iteration, fmt(p.rate)) for p in rows] == [
        (0, "0.01"), (2500, "0.00845897"), (5000, "0.00737788"), (7500, "0.00657236"),
        (9999, "0.00594626"),
    ]


def test_key_points_mark_the_underflow() -> None:
    s = Schedule("exp", f32(0.001), f32(0.1), max_iter=600000)
    notes = {p.iteration: p.notes for p in key_points(s, 600000)}
    assert notes[43] == ("0 from here: float underflow",)


# --- the command -------------------------------------------------------------------------------
def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(lr_schedule_command, list(args))
    return result.exit_code, result.output


def test_command_prints_the_multistep_schedule() -> None:
    path = str(FIXTURES / "solver_checks/good_multistep.prototxt")
    code, out = run(path)
    assert code == 0
    assert out.splitlines() == [
        f'{path}: lr_policy "multistep": lr = base_lr * gamma^(number of stepvalues passed);'
        " base_lr 0.1, gamma 0.1, stepvalue 16000, 24000; iterations 0 to 27999",
        "iteration  lr",
        "        0  0.1    (start)",
        "    16000  0.01   (step 1)",
        "    24000  0.001  (step 2)",
        "    27999  0.001  (last update: max_iter - 1)",
    ]


def test_command_shows_where_the_rate_underflows() -> None:
    code, out = run(str(FIXTURES / "solver_checks/bad_exp_underflow.prototxt"), "--samples", "2")
    assert code == 0
    assert out.splitlines()[1:] == [
        "iteration  lr",
        "        0  0.001  (start)",
        "       43  0      (0 from here: float underflow)",
        "   300000  0",
        "   599999  0      (last update: max_iter - 1)",
    ]


def test_command_without_max_iter(tmp_path: Path) -> None:
    solver = tmp_path / "solver.prototxt"
    solver.write_text('base_lr: 0.001\nlr_policy: "step"\ngamma: 0.1\nstepsize: 50000\n')
    code, out = run(str(solver))
    assert code == 1
    assert "max_iter is 0: Caffe runs no training iteration (use --max-iter N" in out
    code, out = run(str(solver), "--max-iter", "70000")
    assert code == 0
    assert out.splitlines()[-2:] == [
        "    50000  0.0001  (step 1)",
        "    69999  0.0001  (last update)",
    ]


def test_command_refuses_what_caffe_refuses(tmp_path: Path) -> None:
    solver = tmp_path / "solver.prototxt"
    solver.write_text('base_lr: 0.1\nlr_policy: "step"\ngamma: 0.1\nmax_iter: 100\n')
    code, out = run(str(solver))
    assert code == 1
    assert out == (
        f'{solver}: no schedule: Caffe aborts: "Check failed: this->param_.stepsize() > 0'
        ' (0 vs. 0)"\n'
    )


def test_command_on_a_net_file() -> None:
    net = FIXTURES / "project/models/lenet/train_val.prototxt"
    code, out = run(str(net))
    assert code == 2
    assert "not a solver (net)" in out


def test_command_plot_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out_png = tmp_path / "lr.png"
    code, out = run(str(FIXTURES / "solver_checks/good_lenet.prototxt"), "--plot", str(out_png))
    assert code == 0
    assert out.endswith(f"plot written to {out_png}\n")
    data = out_png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000


def test_command_plot_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    out_png = tmp_path / "lr.png"
    code, out = run(str(FIXTURES / "solver_checks/good_lenet.prototxt"), "--plot", str(out_png))
    assert code == 1
    assert ("--plot needs matplotlib: pip install 'matplotlib>=3.5' into prototxt-lint's"
            " environment (or, from a clone: pip install '.[plot]')") in out
    assert not out_png.exists()


def test_command_plot_into_a_missing_folder(tmp_path: Path) -> None:
    """Issue 14: was a FileNotFoundError traceback from matplotlib's savefig. Now one line on
    stderr before any work, exit 2, nothing on stdout."""
    proc = subprocess.run(
        [sys.executable, "-m", "prototxt_lint", "lr-schedule",
         str(FIXTURES / "solver_checks/good_lenet.prototxt"), "--plot", "missing/dir/out.png"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2, "", "prototxt-lint lr-schedule: cannot write the plot to missing/dir/out.png:"
        " the folder missing/dir does not exist\n")


@pytest.mark.parametrize(
    ("name", "reason"),
    [("out.png", "Is a directory"),
     ("lr.xyz", "Format 'xyz' is not supported (supported formats: ")],
)
def test_command_plot_that_cannot_be_saved(tmp_path: Path, name: str, reason: str) -> None:
    """Found only when matplotlib saves (a folder where the file should go, an unknown
    suffix): the table is printed, then one line on stderr and exit 2."""
    pytest.importorskip("matplotlib", reason="--plot needs matplotlib (dev extra)")
    out = tmp_path / name
    if name == "out.png":
        out.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "prototxt_lint", "lr-schedule",
         str(FIXTURES / "solver_checks/good_lenet.prototxt"), "--plot", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout.splitlines()[1] == "iteration  lr"
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"prototxt-lint lr-schedule: cannot write the plot to {out}: {reason}")
    assert line.endswith(reason if name == "out.png" else ", webp)")
