"""S201-S220: the solver checks (rules/learning_rate.py, optimizer.py, solver_type.py,
solver_testing.py), on bad and good fixtures.

Every bad fixture is linted with all solver rules (``S``) selected, so a test also proves
that the lr_policy and test_iter rules (S101-S110) do not report the same problem again.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES, brief, lint_fixture, lint_text

from prototxt_lint.findings import Finding

ALL_S = ("S",)


def only(name: str) -> Finding:
    """The single finding of ``solver_checks/name`` among every solver rule."""
    findings = lint_fixture(f"solver_checks/{name}", select=ALL_S)
    assert len(findings) == 1, [(f.code, f.message) for f in findings]
    return findings[0]


def where(f: Finding) -> tuple[str, int, int, int, str]:
    return (f.code, f.line, f.column, f.end_column, f.severity.label)


# --- S201 learning-rate-invalid ----------------------------------------------------------------
def test_negative_base_lr() -> None:
    f = only("bad_negative_base_lr.prototxt")
    assert where(f) == ("S201", 2, 1, 15, "error")
    assert f.name == "learning-rate-invalid"
    assert f.message == (
        "`base_lr: -0.01` is negative: the learning rate is -0.01 from iteration 0, so every"
        " update moves the weights up the gradient (Caffe subtracts rate * gradient) and the"
        " loss grows instead of falling"
    )
    assert f.hint == "use a positive base_lr"


def test_exp_gamma_above_one_overflows_float() -> None:
    f = only("bad_exp_overflow.prototxt")
    assert where(f) == ("S201", 4, 1, 11, "error")
    assert f.message == (
        'the learning rate becomes inf at iteration 231 (of 10000): `lr_policy: "exp"` computes'
        " base_lr * gamma^iter in float, which is beyond the float range (3.4e38) there with"
        " `gamma: 1.5`; Caffe applies it unchecked, so from that update on the weights are"
        " inf/NaN"
    )
    assert f.hint == "use a gamma below 1 to decay the rate (above 1 it grows)"


def test_inv_negative_power_overflows_in_float_pow() -> None:
    # powf(1 + iter, 10) leaves the float range at 1 + iter = 7132, before the product
    # with base_lr 0.01 (in double it would still be finite there)
    f = only("bad_inv_negative_power.prototxt")
    assert where(f) == ("S201", 4, 1, 11, "error")
    assert f.message.startswith("the learning rate becomes inf at iteration 7131 (of 20000):")
    assert "`power: -10`" in f.message
    assert f.hint == "use a positive power (0.75 is usual): a negative one makes inv grow"


def test_nan_parameter() -> None:
    text = 'base_lr: 0.01\nlr_policy: "poly"\npower: nan\nmax_iter: 100\n'
    (f,) = lint_text(text, name="s.prototxt", select=ALL_S)
    # pow(1, nan) is 1 in C, so iteration 0 is fine; iteration 1 is pow(0.99, nan) = nan
    assert brief([f]) == [("S201", 3, 1)]
    assert f.message.startswith("the learning rate becomes nan at iteration 1 (of 100):")


def test_negative_base_lr_checked_without_max_iter() -> None:
    # a solver driven by solver.step(n): only iteration 0 is known to run
    text = 'base_lr: -0.1\nlr_policy: "step"\ngamma: 2\nstepsize: 10\n'
    findings = lint_text(text, name="s.prototxt", select=("S2",))
    assert brief(findings) == [("S201", 1, 1)]


# --- S202 learning-rate-underflow --------------------------------------------------------------
def test_exp_underflows_to_zero() -> None:
    f = only("bad_exp_underflow.prototxt")
    assert where(f) == ("S202", 7, 1, 11, "warning")
    assert f.name == "learning-rate-underflow"
    assert f.message == (
        "the learning rate underflows to 0 at iteration 43 and stays 0 for the last 599957 of"
        ' 600000 iterations (99.99%): `lr_policy: "exp"` computes base_lr * gamma^iter in'
        " float, where anything below 1.4e-45 is 0, so those updates change nothing"
    )
    assert f.hint == (
        "exp multiplies the rate by gamma at every iteration: use a gamma just below 1 (e.g."
        ' 0.9999); `stepsize` is set but exp ignores it: did you mean `lr_policy: "step"`?'
    )


def test_sigmoid_starts_at_zero() -> None:
    f = only("bad_sigmoid_zero_start.prototxt")
    assert where(f) == ("S202", 4, 1, 11, "warning")
    assert f.message.startswith(
        "the learning rate is 0 from iteration 0 to 9112 (9113 of 20000 iterations, 46%):"
        ' `lr_policy: "sigmoid"` computes base_lr / (1 + exp(-gamma*(iter - stepsize)))'
    )
    assert "with gamma*stepsize = 1000 it is 0 in float until iteration 9113" in f.message
    assert f.hint.startswith("Caffe's sigmoid only rises (gamma must be >= 0)")


def test_zero_gamma_left_to_s106() -> None:
    text = 'base_lr: 0.1\nlr_policy: "exp"\nmax_iter: 1000\n'
    assert [f.code for f in lint_text(text, name="s.prototxt", select=ALL_S)] == ["S106"]


def test_poly_reaching_zero_in_its_last_iteration_is_fine() -> None:
    # iter/max_iter rounds to 1 in float at the last update of 2^25: one zero rate, < 1%
    assert lint_fixture("solver_checks/good_poly_long.prototxt", select=ALL_S) == []


def test_short_zero_tail_threshold() -> None:
    # 0.01 * 0.95^iter is 0 in float from iteration 1938 on
    text = 'base_lr: 0.01\nlr_policy: "exp"\ngamma: 0.95\nmax_iter: {}\n'
    (f,) = lint_text(text.format(2000), name="s.prototxt", select=ALL_S)
    assert f.message.startswith(
        "the learning rate underflows to 0 at iteration 1938 and stays 0 for the last 62 of"
        " 2000 iterations (3%)"
    )
    # 20 zero rates of 1958 iterations (1.02%) are reported, 19 of 1957 (0.97%) are not
    assert brief(lint_text(text.format(1958), name="s.prototxt", select=ALL_S)) == [
        ("S202", 3, 1)
    ]
    assert lint_text(text.format(1957), name="s.prototxt", select=ALL_S) == []


# --- S203 learning-rate-grows ------------------------------------------------------------------
def test_multistep_gamma_above_one_grows() -> None:
    f = only("bad_multistep_grows.prototxt")
    assert where(f) == ("S203", 3, 1, 10, "warning")
    assert f.message == (
        "the learning rate grows from base_lr 0.001 to 0.1 (100 times) by iteration 20000:"
        ' with `gamma: 10` above 1, `lr_policy: "multistep"` (base_lr * gamma^(number of'
        " stepvalues passed)) rises instead of decaying"
    )
    assert f.hint == "use a gamma below 1 to decay the rate"


def test_poly_negative_power_grows() -> None:
    text = 'base_lr: 0.01\nlr_policy: "poly"\npower: -1\nmax_iter: 100000\n'
    (f,) = lint_text(text, name="s.prototxt", select=ALL_S)
    assert brief([f]) == [("S203", 3, 1)]
    assert f.message.startswith(
        "the learning rate grows from base_lr 0.01 to 998.644 (9.99e+04 times) by iteration"
        " 99999: with `power: -1` below 0"
    )


def test_gamma_one_is_constant_not_growing() -> None:
    # BVLC's cifar10_full_sigmoid_solver: step with gamma 1
    text = 'base_lr: 0.001\nlr_policy: "step"\ngamma: 1\nstepsize: 5000\nmax_iter: 60000\n'
    assert lint_text(text, name="s.prototxt", select=ALL_S) == []


# --- S204 stepvalue-beyond-max-iter ------------------------------------------------------------
def test_stepvalue_beyond_max_iter() -> None:
    findings = lint_fixture("solver_checks/bad_stepvalue_beyond_max_iter.prototxt", select=ALL_S)
    # 28000 = max_iter marks the end (as SSD's generator writes it); 30000 and 32000 are one
    # cause (max_iter shorter than the schedule): one finding, the other late drop related
    assert [where(f) for f in findings] == [("S204", 8, 1, 17, "warning")]
    assert findings[0].message == (
        "`stepvalue: 30000` is beyond `max_iter: 28000`: the last update is iteration"
        " 27999, so this learning-rate drop never happens (and 1 more stepvalue beyond it)"
    )
    assert [(r.line, r.message) for r in findings[0].related] == [(9, "`stepvalue: 32000`")]


def test_last_stepvalue_at_max_iter_marks_the_end() -> None:
    text = (
        'base_lr: 0.1\nlr_policy: "multistep"\ngamma: 0.1\nstepvalue: 80000\n'
        "stepvalue: 120000\nmax_iter: 120000\n"
    )
    assert lint_text(text, name="s.prototxt", select=("S204",)) == []


def test_stepvalue_list_syntax() -> None:
    text = (
        'base_lr: 0.1\nlr_policy: "multistep"\ngamma: 0.1\nstepvalue: [100, 2000]\n'
        "max_iter: 1000\n"
    )
    (f,) = lint_text(text, name="s.prototxt", select=ALL_S)
    assert f.code == "S204" and f.line == 4
    assert f.message.startswith("`stepvalue: 2000` is beyond `max_iter: 1000`")


def test_stepvalue_without_max_iter_is_not_judged() -> None:
    # a py-faster-rcnn style solver: driven by solver.step(n), no max_iter
    text = (
        'train_net: "t.prototxt"\nbase_lr: 0.001\nlr_policy: "multistep"\ngamma: 0.1\n'
        "stepvalue: 50000\n"
    )
    assert [f.code for f in lint_text(text, name="s.prototxt", select=("S2",))] == []


# --- S205-S210 momentum and the adaptive solvers -----------------------------------------------
def test_sgd_momentum_above_one() -> None:
    f = only("bad_momentum_sgd.prototxt")
    assert where(f) == ("S205", 3, 1, 14, "error")
    assert f.message == (
        '`momentum: 1.9` with the default `type: "SGD"` is not below 1: SGD keeps history ='
        " momentum * history + rate * gradient and moves the weights by it, so old gradients"
        " grow 1.9 times per iteration: the steps grow without bound and the weights turn into"
        " inf and NaN (`SGDSolver::ComputeUpdateValue`)"
    )
    assert f.hint == "use a momentum below 1 (0.9 is usual)"


def test_adam_momentum_one_is_nan() -> None:
    f = only("bad_momentum_adam.prototxt")
    assert where(f) == ("S205", 3, 1, 12, "error")
    assert f.message == (
        '`momentum: 1` with `type: "Adam"` is not below 1: Adam uses it as beta1, and its bias'
        " correction divides by 1 - beta1^t = 0: the first update is 0 * inf = NaN"
        " (`AdamSolver::ComputeUpdateValue`)"
    )


@pytest.mark.parametrize(
    ("kind", "momentum", "code", "expected"),
    [
        ("Nesterov", "1", "S219", "so old gradients never fade: the steps do not shrink, and the"
         " weights oscillate unless every gradient keeps one direction"),
        ("SGD", "1", "S219", "so old gradients never fade"),
        ("AdaDelta", "1", "S219", "then stay 0: every update is just base_lr * gradient (plain"
         " SGD at a rate meant for AdaDelta)"),
        ("Adam", "1.1", "S219", "its first-moment average then grows without bound"),
        ("AdaDelta", "1.5", "S205", "then turn negative: their square root is NaN at the first"
         " update"),
        ("Nesterov", "1.01", "S205", "so old gradients grow 1.01 times per iteration"),
    ],
)
def test_momentum_not_below_one_per_solver(kind: str, momentum: str, code: str,
                                           expected: str) -> None:
    text = f'base_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 10\ntype: "{kind}"\nmomentum: {momentum}\n'
    (f,) = lint_text(text, name="s.prototxt", select=ALL_S)
    assert brief([f]) == [(code, 5, 1)]
    assert f.severity.label == ("error" if code == "S205" else "warning")
    assert expected in f.message


def test_momentum_with_rmsprop_aborts() -> None:
    f = only("bad_momentum_rmsprop.prototxt")
    assert where(f) == ("S206", 3, 1, 14, "error")
    assert f.name == "momentum-not-allowed"
    assert f.message == (
        '`momentum: 0.9` with `type: "RMSProp"`: Caffe aborts at start-up with "Check failed:'
        ' 0 == this->param_.momentum() (0 vs. 0.9) Momentum cannot be used with RMSProp."'
    )


def test_momentum_with_adagrad_enum_type() -> None:
    text = 'base_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 10\nsolver_type: ADAGRAD\nmomentum: 0.5\n'
    findings = lint_text(text, name="s.prototxt", select=("S206",))
    assert brief(findings) == [("S206", 5, 1)]
    assert findings[0].message.startswith("`momentum: 0.5` with `solver_type: ADAGRAD`: Caffe")
    assert findings[0].message.endswith("Momentum cannot be used with AdaGrad.\"")


def test_adam_without_momentum() -> None:
    f = only("bad_adam_no_momentum.prototxt")
    assert where(f) == ("S207", 4, 1, 13, "warning")
    assert f.message == (
        '`type: "Adam"` with `momentum` missing (it defaults to 0): Caffe\'s Adam takes its'
        " beta1 from `momentum`, so there is no first-moment average: each step is the raw"
        " gradient divided by its running RMS (RMSProp with a bias correction), not Adam"
    )
    assert f.hint.startswith("add `momentum: 0.9`")


def test_adam_momentum2_one() -> None:
    f = only("bad_adam_momentum2.prototxt")
    assert where(f) == ("S208", 4, 1, 13, "error")
    assert f.message == (
        "`momentum2: 1` (Adam's beta2) is outside [0, 1): the squared-gradient average never"
        " leaves 0 and the bias correction sqrt(1 - momentum2^t) is 0, so every update is 0"
        " and the weights never change"
    )


def test_adam_momentum2_above_one() -> None:
    text = (
        'base_lr: 0.001\nlr_policy: "fixed"\nmax_iter: 10\ntype: "Adam"\nmomentum: 0.9\n'
        "momentum2: 1.1\n"
    )
    (f,) = lint_text(text, name="s.prototxt", select=ALL_S)
    assert brief([f]) == [("S208", 6, 1)]
    assert f.message.endswith("the bias correction sqrt(1 - momentum2^t) is the square root"
                              " of a negative number (NaN): measured, the weights then never"
                              " change")


def test_adagrad_delta_zero() -> None:
    f = only("bad_adagrad_delta.prototxt")
    assert where(f) == ("S209", 5, 1, 9, "warning")
    assert f.message == (
        '`delta: 0` with `type: "AdaGrad"`: AdaGrad divides each step by sqrt(history) +'
        " delta, so a weight whose gradient has been exactly 0 from the start (a dead ReLU"
        " unit, an input pixel that is always 0, an unused output) gets 0/0 = NaN, and the"
        " NaN spreads through the net (`AdaGradSolver::ComputeUpdateValue`)"
    )


def test_adadelta_delta_zero_with_enum_type() -> None:
    findings = lint_fixture("solver_checks/bad_adadelta_delta.prototxt", select=ALL_S)
    assert [where(f) for f in findings] == [
        ("S220", 4, 1, 9, "error"),
        ("S211", 6, 1, 22, "info"),
    ]
    assert findings[0].message.startswith(
        "`delta: 0` with `solver_type: ADADELTA`: AdaDelta's step is gradient * sqrt((update"
        " history + delta) / (gradient history + delta)): the update history starts at 0 and"
        " stays 0, so no weight ever moves"
    )


def test_rms_decay_one() -> None:
    f = only("bad_rms_decay.prototxt")
    assert where(f) == ("S210", 5, 1, 13, "error")
    assert f.message == (
        '`rms_decay: 1` with `type: "RMSProp"`: Caffe aborts at start-up with "Check failed:'
        ' this->param_.rms_decay() < 1 (1 vs. 1) rms_decay should lie between 0 and 1."'
    )


def test_rms_decay_negative() -> None:
    text = 'base_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 10\ntype: "RMSProp"\nrms_decay: -0.5\n'
    (f,) = lint_text(text, name="s.prototxt", select=ALL_S)
    assert "this->param_.rms_decay() >= 0 (-0.5 vs. 0)" in f.message


# --- S211-S214 the solver type -----------------------------------------------------------------
def test_deprecated_solver_type_with_fix() -> None:
    f = only("bad_solver_type_enum.prototxt")
    assert where(f) == ("S211", 5, 1, 18, "info")
    assert f.name == "deprecated-solver-type"
    assert f.message == (
        '`solver_type: ADAM` is deprecated: Caffe upgrades it to `type: "Adam"` on every load'
        " (UpgradeSolverAsNeeded)"
    )
    assert f.hint == 'write `type: "Adam"` instead'
    assert f.fix is not None and f.fix.title == 'Replace with `type: "Adam"`'
    text = (FIXTURES / "solver_checks/bad_solver_type_enum.prototxt").read_text()
    (edit,) = f.fix.edits
    fixed = text[: edit.start] + edit.new_text + text[edit.end :]
    assert fixed == text.replace("solver_type: ADAM", 'type: "Adam"')
    assert lint_text(fixed, name="s.prototxt", select=ALL_S) == []


def test_solver_type_and_type_both() -> None:
    f = only("bad_solver_type_both.prototxt")
    assert where(f) == ("S212", 5, 1, 18, "error")
    assert f.message.startswith(
        "`solver_type` and `type` are both given: Caffe aborts while reading the solver with"
        ' "Check failed: !solver_param->has_solver_type() || !solver_param->has_type() Failed'
        " to upgrade solver"
    )


def test_misspelled_solver_type() -> None:
    f = only("bad_type_case.prototxt")
    assert where(f) == ("S213", 5, 1, 13, "error")
    assert f.message == (
        'unknown solver `type: "adam"`: Caffe aborts at start-up with "Check failed:'
        " registry.count(type) == 1 (0 vs. 1) Unknown solver type: adam (known types:"
        ' AdaDelta, AdaGrad, Adam, Nesterov, RMSProp, SGD)"'
    )
    assert f.hint == 'did you mean "Adam"? (solver type names are case-sensitive)'


@pytest.mark.parametrize(("name", "guess"), [("RMSprop", "RMSProp"), ("Nesterow", "Nesterov")])
def test_solver_type_did_you_mean(name: str, guess: str) -> None:
    text = f'base_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 10\ntype: "{name}"\n'
    (f,) = lint_text(text, name="s.prototxt", select=ALL_S)
    assert f.code == "S213" and f.hint.startswith(f'did you mean "{guess}"?')


def test_fork_solver_type() -> None:
    f = only("bad_type_fork.prototxt")
    assert where(f) == ("S214", 5, 1, 18, "warning")
    assert f.message.startswith(
        '`type: "Lookahead"` is not a solver type BVLC Caffe registers: BVLC Caffe aborts at'
        ' start-up with "Check failed: registry.count(type) == 1 (0 vs. 1) Unknown solver'
        " type: Lookahead"
    )
    # a longer name is a different solver, not a typo of Adam
    text = 'base_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 10\nmomentum: 0.9\ntype: "AdamW"\n'
    assert [f.code for f in lint_text(text, name="s.prototxt", select=ALL_S)] == ["S214"]


# --- S215-S218 testing, snapshots, base_lr ----------------------------------------------------
def test_test_interval_missing() -> None:
    f = only("bad_test_interval_missing.prototxt")
    assert where(f) == ("S215", 2, 1, 15, "error")
    assert f.message == (
        "1 test net (one per `test_iter`) but `test_interval` missing (it defaults to 0):"
        ' Caffe aborts at start-up with "Check failed: param_.test_interval() > 0 (0 vs. 0)"'
    )


def test_test_interval_zero_written() -> None:
    text = (
        'train_net: "a.prototxt"\ntest_net: "b.prototxt"\ntest_net: "c.prototxt"\n'
        'test_iter: 10\ntest_iter: 20\ntest_interval: 0\nbase_lr: 0.1\nlr_policy: "fixed"\n'
        "max_iter: 10\n"
    )
    (f,) = lint_text(text, name="s.prototxt", select=ALL_S)
    assert brief([f]) == [("S215", 6, 1)]
    assert f.message.startswith("2 test nets (one per `test_iter`) but `test_interval: 0`:")


def test_test_interval_not_reported_when_s110_aborts_first() -> None:
    text = (
        'train_net: "a.prototxt"\ntest_iter: 10\nbase_lr: 0.1\nlr_policy: "fixed"\n'
        "max_iter: 10\n"
    )
    assert [f.code for f in lint_text(text, name="s.prototxt", select=ALL_S)] == ["S110"]


def test_tests_never_run() -> None:
    f = only("bad_tests_never_run.prototxt")
    assert where(f) == ("S216", 2, 1, 19, "warning")
    assert f.message == (
        "`test_interval: 500` but no `test_iter`: with a generic `net`, Caffe builds one test"
        " net per `test_iter` entry (Solver::InitTestNets), so there is none and nothing is"
        " ever tested"
    )


def test_snapshot_without_prefix() -> None:
    f = only("bad_snapshot_no_prefix.prototxt")
    assert where(f) == ("S217", 6, 1, 15, "warning")
    assert f.message == (
        "`snapshot: 5000` without `snapshot_prefix`: Caffe 1.0 and older (and forks based on"
        ' them) abort at start-up with "Check failed: param_.has_snapshot_prefix() In solver'
        ' params, snapshot is specified but snapshot_prefix is not"; BVLC master writes the'
        " snapshots beside the solver file as bad_snapshot_no_prefix_iter_5000.caffemodel"
    )


def test_missing_base_lr() -> None:
    f = only("bad_missing_base_lr.prototxt")
    assert where(f) == ("S218", 2, 1, 18, "error")
    assert f.name == "missing-base-lr"
    assert f.message == (
        "no `base_lr`: it defaults to 0, so the learning rate is 0 at every iteration (Caffe"
        " logs `lr = 0`) and the weights never change"
    )


# --- good solvers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "good_lenet",
        "good_adam",
        "good_rmsprop",
        "good_adadelta",
        "good_multistep",
        "good_eval_only",
        "good_explicit_zero_lr",
        "good_sigmoid_warmup",
        "good_poly_long",
    ],
)
def test_good(name: str) -> None:
    assert lint_fixture(f"solver_checks/{name}.prototxt", select=ALL_S) == []
